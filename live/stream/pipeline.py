"""The part of a room's stream that runs in the mixing thread: mix, encode, write HLS.

One thread serves every room on the node (``mixing_thread``), so the event loop that
forwards packets never waits for a decoder or the disk, and one room's steps stay in order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from live.stream.encoders import AacEncoder, Mp3Encoder
from live.stream.hls import HlsWriter
from live.stream.mixer import LiveMixer
from roomcast.storage import MediaStore

mixing_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-mix")


@dataclass(frozen=True)
class Arrival:
    identity: str
    ssrc: int
    timestamp: int
    payload: bytes
    position: int  # where on the mix's timeline it arrived


Pause = str  # an identity whose stream stopped (muted, off the stage, gone): anchor it afresh
Span = tuple[int, int | None]  # off the record, in output positions; None: still off


class MixPipeline:
    def __init__(self, store: MediaStore, room_id: int, started_at: datetime) -> None:
        self.mixer = LiveMixer()
        self.mp3, self.aac = Mp3Encoder(), AacEncoder()
        self.hls = HlsWriter(store, room_id, started_at, self.aac.context.extradata)
        self.segments = 0

    @property
    def lag(self) -> int:
        """Samples between a packet's arrival position and its place in the output (the limiter's look-ahead)."""
        return self.mixer.limiter.reach

    def step(self, inbox: list[Arrival | Pause], until: int, off_record: list[Span]) -> list[bytes]:
        """Take in what arrived, mix up to ``until``; the new MP3 frames."""
        for item in inbox:
            if isinstance(item, Arrival):
                self.mixer.add(item.identity, item.ssrc, item.timestamp, item.payload, item.position)
            else:
                self.mixer.pause(item)
        block = self.mixer.render(until)
        if self.hls.add(self.aac.encode(block), off_record):
            self.segments += 1
        return self.mp3.encode_bytes(block)

    def finish(self, off_record: list[Span]) -> list[bytes]:
        self.hls.add(self.aac.flush(), off_record)
        self.hls.end(off_record)
        return [bytes(packet) for packet in self.mp3.flush()]
