"""Overload answered at once: a fast 503 with ``Retry-After`` instead of a queue that stalls.

A request counts as pending from its arrival until its response starts: the work still owed.
Past ``max_pending_requests`` the server says so at once. The long part of a response (a media
download, a live stream) and WebSockets are not counted, since they cost no thread and no
connection of the database pool. ``/healthz`` is never refused: it answers how the process
is, and that must not depend on how busy it is.

uvicorn's own ``--limit-concurrency`` is not used: it counts open connections, idle keep-alive
and WebSockets included, so a full room would turn every page into a 503, and it sends no
``Retry-After``.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_AFTER_S = 1
EXEMPT_PATHS = frozenset({"/healthz"})


def busy_response_parts(detail: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"retry-after", str(RETRY_AFTER_S).encode()), (b"cache-control", b"no-store")]
    return headers, body


class AdmissionLimit:
    """ASGI middleware; the counter is per process, as are the threads and the pool it protects."""

    def __init__(self, app: ASGIApp, max_pending: int) -> None:
        self.app, self.max_pending, self.pending = app, max_pending, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.pending >= self.max_pending:
            headers, body = busy_response_parts("the server is busy: retry in a second")
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.pending += 1
        counted = True

        async def send_and_release(message: Message) -> None:
            nonlocal counted
            if counted and message["type"] == "http.response.start":
                counted = False
                self.pending -= 1
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            if counted:  # it failed or was cancelled before answering
                self.pending -= 1
