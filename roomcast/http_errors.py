"""Domain exceptions as HTTP answers, mapped once: the app factory registers these handlers.

Endpoints let a ``UserError`` (bad input: 422; ``NotFound``: 404; ``Conflict``: 409) or an
``AccessDenied`` (its own 401/403) go; the request's session closes without a commit, so
nothing half-done is kept. The answer goes through the site's error page (``roomcast.site``):
JSON for the API and podcast apps, a page for a browser.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from roomcast.access import AccessDenied
from roomcast.errors import Conflict, NotFound, UserError
from roomcast.site import error_page

STATUS: tuple[tuple[type[UserError], int], ...] = ((NotFound, 404), (Conflict, 409), (UserError, 422))


async def user_error(request: Request, error: Exception) -> Response:
    status = next(code for kind, code in STATUS if isinstance(error, kind))
    return await error_page(request, HTTPException(status, str(error)))


async def access_denied(request: Request, error: Exception) -> Response:
    assert isinstance(error, AccessDenied)
    return await error_page(request, HTTPException(error.status, str(error)))


def install(app: FastAPI) -> None:
    app.add_exception_handler(UserError, user_error)
    app.add_exception_handler(AccessDenied, access_denied)
