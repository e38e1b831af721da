"""An Icecast-compatible MP3 stream, served from memory to any number of listeners.

The room's MP3 frames go into one ring of the last ``RING_S`` seconds, shared by everyone.
A new listener starts ``BURST_S`` back (a player starts at once instead of filling its
buffer in real time); then, every ``FLUSH_S``, each listener is sent what is new since
its last send, in one write. A listener whose writes stall (it reads slower than real time,
or not at all) is dropped once it falls out of the ring, or after ``STALL_S`` in one write:
nothing is ever buffered for one listener beyond what the socket holds.

With ``Icy-MetaData: 1`` the stream carries SHOUTcast metadata every ``METAINT`` bytes:
``StreamTitle`` is the room's current topic (a moderator's marker), or its title.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)
RING_S = 10.0
BURST_S = 1.5
FLUSH_S = 0.25  # how often a listener is written to: fewer, larger writes cost less CPU per listener
STALL_S = 5.0
METAINT = 16_000
FRAME_S = 1152 / 48_000


class Mp3Broadcast:
    """The shared ring of one room's MP3 frames; lives on the event loop."""

    def __init__(self, title: str) -> None:
        self.frames: deque[bytes] = deque(maxlen=int(RING_S / FRAME_S))
        self.first = 0  # the number of the oldest frame in the ring
        self.title = title
        self.ended = False
        self.listeners = 0
        self.by_address: dict[str, int] = {}
        self._flushed = asyncio.Event()  # replaced at every flush; a waiter that leaves cancels only its own wait
        self._flusher = asyncio.get_running_loop().call_later(FLUSH_S, self._flush)

    @property
    def next(self) -> int:
        return self.first + len(self.frames)

    def publish(self, frames: list[bytes]) -> None:
        for frame in frames:
            if len(self.frames) == self.frames.maxlen:
                self.first += 1
            self.frames.append(frame)

    def end(self) -> None:
        self.ended = True
        self._flusher.cancel()
        self._flush()

    def since(self, number: int) -> bytes | None:
        """Everything from frame ``number`` on; None if it has left the ring."""
        if number < self.first:
            return None
        frames = self.frames
        return b"".join(frames[i] for i in range(number - self.first, len(frames)))

    def listeners_from(self, address: str) -> int:
        return self.by_address.get(address, 0)

    def burst_start(self) -> int:
        return max(self.first, self.next - int(BURST_S / FRAME_S))

    async def flushed(self) -> None:
        await self._flushed.wait()

    def _flush(self) -> None:
        waiting, self._flushed = self._flushed, asyncio.Event()
        waiting.set()
        if not self.ended:
            self._flusher = asyncio.get_running_loop().call_later(FLUSH_S, self._flush)


@dataclass
class IcyMetadata:
    """SHOUTcast in-band metadata: after every ``METAINT`` bytes of audio, one length byte and a block."""

    broadcast: Mp3Broadcast
    countdown: int = METAINT
    sent_title: str | None = field(default=None)

    def interleave(self, audio: bytes) -> bytes:
        parts, view = [], memoryview(audio)
        while len(view) >= self.countdown:
            parts += [view[:self.countdown], self._block()]
            view, self.countdown = view[self.countdown:], METAINT
        self.countdown -= len(view)
        parts.append(view)
        return b"".join(parts)

    def _block(self) -> bytes:
        title = self.broadcast.title
        if title == self.sent_title:
            return b"\x00"  # unchanged: players keep showing the last title
        self.sent_title = title
        text = "StreamTitle='" + title.replace("'", "\u2019") + "';"
        data = text.encode()[:16 * 255 - 1]
        data += b"\x00" * (-len(data) % 16)
        return bytes([len(data) // 16]) + data


class Mp3Listener(Response):
    """The ASGI response of one listener: headers, the burst, then real time until the room ends."""

    def __init__(self, broadcast: Mp3Broadcast, headers: dict[str, str], metadata: bool,
                 recheck: Callable[[], Awaitable[bool]] | None = None, recheck_s: float = 15.0,
                 address: str = "") -> None:
        self.broadcast, self.metadata = broadcast, IcyMetadata(broadcast) if metadata else None
        self.address = address
        self.recheck, self.recheck_s = recheck, recheck_s
        self.background = None  # FastAPI sets background tasks on a returned response
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()]
        if metadata:
            self.raw_headers.append((b"icy-metaint", str(METAINT).encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        streaming = asyncio.current_task()
        watcher = asyncio.ensure_future(self._cancel_on_disconnect(receive, streaming))
        self.broadcast.listeners += 1
        self.broadcast.by_address[self.address] = self.broadcast.listeners_from(self.address) + 1
        try:
            await self._stream(send)
        except TimeoutError:
            log.info("dropped a live listener: one write stalled for %s s", STALL_S)
            return  # the server closes the connection; the rest of the room never waited
        except asyncio.CancelledError:
            if not watcher.done():
                raise  # cancelled from outside (shutdown), not by the listener leaving
            if streaming is not None:
                streaming.uncancel()
            return
        finally:
            self.broadcast.listeners -= 1
            left = self.broadcast.by_address.pop(self.address, 1) - 1
            if left:
                self.broadcast.by_address[self.address] = left
            watcher.cancel()
        await send({"type": "http.response.body", "body": b""})  # the room ended, or they fell behind

    async def _stream(self, send: Send) -> None:
        broadcast, number = self.broadcast, self.broadcast.burst_start()
        loop = asyncio.get_running_loop()
        recheck_at = loop.time() + self.recheck_s
        while True:
            if self.recheck is not None and loop.time() >= recheck_at:
                if not await self.recheck():
                    return  # their link was revoked
                recheck_at = loop.time() + self.recheck_s
            audio = broadcast.since(number)
            if audio is None:
                return  # fell out of the ring: too slow for real time
            number = broadcast.next
            if audio:
                if self.metadata is not None:
                    audio = self.metadata.interleave(audio)
                async with asyncio.timeout(STALL_S):
                    await send({"type": "http.response.body", "body": audio, "more_body": True})
            if broadcast.ended:
                return
            await broadcast.flushed()

    @staticmethod
    async def _cancel_on_disconnect(receive: Receive, streaming: asyncio.Task | None) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if streaming is not None:
            streaming.cancel()
