"""One room's live stream on the event loop: packets in, MP3 out to listeners, HLS to files.

Every ``TICK_S`` (200 ms) the packets that arrived are handed to the mixing thread, which mixes up
to ``DELAY_S`` behind real time and returns MP3 frames for the room's broadcast. The mix's
timeline starts when the stream does (the room's first event on this node); a packet's
place on it is where it arrived, so a late-starting stream needs no history.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from live.stream.icecast import Mp3Broadcast
from live.stream.jitter import DELAY_S, RATE
from live.stream.pipeline import Arrival, MixPipeline, Pause, Span, mixing_thread
from live.stream.started import mark_started
from roomcast import clock
from roomcast.storage import MediaStore

log = logging.getLogger(__name__)
# Each step costs a fixed part whatever it holds: 200 ms steps cost a quarter less CPU than 100 ms
# (4 speakers: 0.033 against 0.042 of a core), for 100 ms more latency on a budget of 1.5 s.
TICK_S = 0.2
KEEP_AFTER_END_S = 60.0  # HLS files outlive the room this long: players at the edge fetch the last segments


class RoomStream:
    def __init__(self, store: MediaStore, room_id: int) -> None:
        self.room_id, self.store = room_id, store
        self.zero = clock.now()
        started_at = datetime.fromtimestamp(self.zero, timezone.utc)
        self.pipeline = MixPipeline(store, room_id, started_at)
        self.broadcast = Mp3Broadcast("")
        self.room_title = ""
        self.topic: str | None = None
        self.off_record: list[list[int | None]] = []
        self.inbox: list[Arrival | Pause] = []
        self.announced = False
        self.ended = False
        self._task = asyncio.create_task(self._run())

    # --- from the SFU (event loop) ----------------------------------------------------------
    def packet(self, identity: str, ssrc: int, timestamp: int, payload: bytes) -> None:
        self.inbox.append(Arrival(identity, ssrc, timestamp, payload, self._position()))

    def pause(self, identity: str) -> None:
        self.inbox.append(identity)

    def set_topic(self, title: str) -> None:
        self.topic = title
        self._retitle()

    def set_off_record(self, on: bool) -> None:
        position = self._position() + self.pipeline.lag
        if on:
            self.off_record.append([position, None])
        elif self.off_record and self.off_record[-1][1] is None:
            self.off_record[-1][1] = position

    def name(self, title: str) -> None:
        self.room_title = title
        self._retitle()

    async def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        self._task.cancel()
        loop = asyncio.get_running_loop()
        inbox, self.inbox = self.inbox, []
        try:
            frames = await loop.run_in_executor(mixing_thread, self._finish, inbox, self._position(), self._spans())
            self.broadcast.publish(frames)
        except Exception:
            log.exception("room %s: finishing the live stream failed", self.room_id)
        self.broadcast.end()
        loop.call_later(KEEP_AFTER_END_S, self.remove_files)

    def remove_files(self) -> None:
        mixing_thread.submit(self.store.delete_tree, f"rooms/{self.room_id}/live")

    # --- the tick -----------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_S)
            inbox, self.inbox = self.inbox, []
            until = self._position() - int(DELAY_S * RATE)
            try:
                frames = await loop.run_in_executor(mixing_thread, self.pipeline.step, inbox, until, self._spans())
            except Exception:  # one bad step must not end the room's stream
                log.exception("room %s: a live mix step failed", self.room_id)
                continue
            self.broadcast.publish(frames)
            if not self.announced and self.pipeline.segments:
                self.announced = True  # both streams play: the feed may say live
                loop.run_in_executor(mixing_thread, mark_started, self.room_id)

    def _finish(self, inbox: list[Arrival | Pause], until: int, spans: list[Span]) -> list[bytes]:
        """The last step, up to now (the jitter buffer's content included), then the ends of both streams."""
        return self.pipeline.step(inbox, until + int(DELAY_S * RATE), spans) + self.pipeline.finish(spans)

    def _position(self) -> int:
        return round((clock.now() - self.zero) * RATE)

    def _spans(self) -> list[Span]:
        return [(start, end) for start, end in self.off_record]  # type: ignore[misc]

    def _retitle(self) -> None:
        self.broadcast.title = self.topic or self.room_title
