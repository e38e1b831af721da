"""The address links are written with when ``ROOMCAST_BASE_URL`` is unset: the one the request
came to (its scheme and Host header), so a server started on 0.0.0.0:9000 and opened as
http://192.168.1.5:9000 hands out links that work there. Outside a request (the CLI, the worker),
the default stands; set ROOMCAST_BASE_URL for a public address that must not change.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT = "http://127.0.0.1:8000"
request_base: ContextVar[str | None] = ContextVar("request_base", default=None)


class RequestBaseUrl:
    """ASGI middleware: the request's own base URL, for everything that runs to answer it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        base = str(HTTPConnection(scope).base_url).rstrip("/")
        if scope["type"] == "websocket":
            base = base.replace("ws", "http", 1)
        token = request_base.set(base)
        try:
            await self.app(scope, receive, send)
        finally:
            request_base.reset(token)


def current(configured: str | None) -> str:
    return (configured or request_base.get() or DEFAULT).rstrip("/")
