"""Tokens that travel in URLs leak through logs and Referer headers; neither carries them.

Podcast apps and ``<audio>`` elements send no headers, so feed, media and review links carry
``?token=`` (roomcast.access). The access log wrote every one of them (29 creator JWTs and 45
subscriber tokens in one session), and a page opened with one told the next site in its
Referer. Here: the access log's request lines are redacted, and every response says
``Referrer-Policy: no-referrer`` (a page that never carries a token loses nothing by it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_IN_URL = re.compile(r"([?&;](?:token|access_token|join)=)[^&#\s\"]+", re.IGNORECASE)
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return TOKEN_IN_URL.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def redact_logs() -> None:
    """Idempotent: again once the server has configured its logging (which may replace loggers' setup)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


class NoReferrer:
    """ASGI middleware: ``Referrer-Policy: no-referrer`` on every response that does not set one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"referrer-policy" for name, _ in headers):
                    headers.append((b"referrer-policy", b"no-referrer"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_policy)


@asynccontextmanager
async def _at_startup(app: object) -> AsyncIterator[None]:
    redact_logs()
    yield


def install(app: FastAPI) -> None:
    redact_logs()
    app.add_middleware(NoReferrer)
    app.include_router(APIRouter(lifespan=_at_startup))
