"""One participant's socket: what the room owes them (``live.outbox``), written by a task of its own.

The room never waits on a socket: it queues, and each connection's writer sends at the pace its
client reads. Keyed messages coalesce there, so the queue stays as small as the room; a client
that falls hopelessly behind on the rest is closed alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketState

from live.outbox import MAX_POINT_MESSAGES, Outbox
from live.peers import Peer
from live.rate import Bucket

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    """One participant's socket (and, once they offer, their peer connection)."""

    identity: str
    websocket: WebSocket
    peer: Peer | None = None
    outbox: Outbox = field(default_factory=Outbox)
    bucket: Bucket = field(default_factory=Bucket)  # what this socket may still send (live.rate)
    writer: asyncio.Task | None = None
    bytes_sent: int = 0

    def send(self, text: str, key: str | None = None, lazy: bool = False) -> None:
        """Queue a message; one with a ``key`` replaces the unsent message with that key.

        ``lazy``: it may wait up to a second for company (``live.outbox``).
        """
        if not self.outbox.put(text, key, lazy):
            log.warning("closing %s: %d messages it did not read", self.identity, MAX_POINT_MESSAGES)
            self.abort(4008, "too slow")

    def abort(self, code: int, reason: str) -> None:
        """Close now, dropping what is queued: the writer may be stuck on a client that does not read."""
        self.outbox.close(code, reason, now=True)
        if self.writer is not None:
            self.writer.cancel()
        asyncio.ensure_future(close_quietly(self.websocket, code, reason))

    def start(self) -> None:
        self.writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while True:
            taken = await self.outbox.take()
            if isinstance(taken, tuple):  # the close, after everything queued before it
                await close_quietly(self.websocket, *taken)
                return
            text = taken[0] if len(taken) == 1 else batch(taken)
            try:
                await self.websocket.send_text(text)
            except Exception:  # the socket went away; the reader ends the connection
                return
            self.bytes_sent += len(text)

    async def flushed(self, timeout: float = 5.0) -> None:
        if self.writer is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self.writer), timeout)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.outbox.close(code, reason)


def batch(messages: list[str]) -> str:
    """Several messages in one frame, to be read in order (each is already JSON: no re-encoding)."""
    return '{"type":"batch","messages":[' + ",".join(messages) + "]}"


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code, reason)
