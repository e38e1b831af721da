"""What a request may weigh, and what a refusal says back.

Every body the API takes is a small JSON object (a room, a show, a token request), so a body
past ``MAX_BODY_BYTES`` is refused with 413 before it is read, let alone parsed: 20-50 MB of
JSON used to be parsed, validated and echoed back whole in the 422. A 422 now says where and
what is wrong and quotes at most ``MAX_QUOTED`` characters of the offending input.
"""

from __future__ import annotations

import json
import re

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024
# The one body that is not small JSON: a track uploaded for an import, written to disk as it comes.
STREAMED = re.compile(r"^/api/shows/[^/]+/uploads/[^/]+$")
MAX_QUOTED = 200


class BodyLimit:
    """ASGI middleware: 413 for a declared length past the limit, and for a chunked body once it
    passes it. A body is read here whole (at most the limit) and handed on as it came: the app's
    own body parsing would turn any error raised while reading into a 400."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and STREAMED.match(scope["path"]):
            await self.app(scope, receive, send)  # streamed to disk, with its own cap (capture.uploads)
            return
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (or a WebSocket)
            return
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"a request body is at most {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def quoted(value: object) -> object:
    """An offending input as a 422 quotes it: short values as they are, long ones cut."""
    text = value if isinstance(value, str) else json.dumps(jsonable_encoder(value), default=str)
    if len(text) <= MAX_QUOTED:
        return value
    return text[:MAX_QUOTED] + f"... ({len(text)} characters)"


def install(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{**{k: v for k, v in item.items() if k not in ("input", "ctx", "url")},
                    **({"input": quoted(item["input"])} if "input" in item else {})}
                   for item in error.errors()[:20]]
        return JSONResponse({"detail": jsonable_encoder(details)}, 422)
