"""What the site's pages share besides their layout: error pages for browsers, and the favicon.

FastAPI answers every HTTPException with ``{"detail": ...}``; a person who follows a dead link
to ``/episodes/9`` saw that raw JSON. Paths under ``/api/`` and clients that do not ask for
HTML (podcast apps, curl) keep the JSON.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from roomcast.web import templates

FAVICON = Path(__file__).with_name("static") / "favicon.svg"
TITLES = {404: "Not found", 403: "Not allowed", 401: "Sign-in needed", 409: "Not possible now"}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


async def error_page(request: Request, error: HTTPException) -> Response:
    if not wants_page(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    title = TITLES.get(error.status_code, "Something went wrong")
    # Starlette's own "Not Found" for an unknown address says nothing the title does not.
    detail = error.detail if isinstance(error.detail, str) and error.detail != HTTPStatus(error.status_code).phrase else ""
    return templates.TemplateResponse(request, "error.html", {"title": title, "detail": detail, "status": error.status_code},
                                      status_code=error.status_code, headers=getattr(error, "headers", None))


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, error_page)  # type: ignore[arg-type]

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it whatever the page says; pages also link the SVG itself."""
        return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
