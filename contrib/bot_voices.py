"""What a bot's microphone sends: pre-encoded Opus packets, each with its RFC 6464 audio level.

aiortc writes the audio-level header extension only for frames it encodes itself; a bot sends
packets read from a file, so ``send_levels`` hands aiortc each packet's level as a browser's
encoder would. ``Talker`` is a stage bot that takes turns as people do: the quiet packets of a
silent room until it is told to speak, then a file's speech, then quiet again.
"""

from __future__ import annotations

import asyncio
import functools
import time
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamTrack

from live.aiortc_internals import wrap_encoded_frames
from live.voice_activity import OpusLevel

FRAME = 960  # 20 ms at 48 kHz
TIME_BASE = Fraction(1, 48_000)
Packet = tuple[bytes, int]  # payload, level in -dBov


@functools.lru_cache(maxsize=16)
def opus_packets(path: str) -> tuple[Packet, ...]:
    """A file's Opus packets and the level of each, decoded once per file."""
    meter = OpusLevel()
    with av.open(path) as container:
        return tuple((bytes(packet), meter.level(bytes(packet))) for packet in container.demux(audio=0) if packet.size)


def send_levels(sender: Any, track: Any) -> None:
    """Make aiortc write ``track.level`` into each packet it sends."""
    def with_level(frame: Any) -> Any:
        if frame is not None and frame.audio_level is None and track.level is not None:
            frame.audio_level = -track.level  # aiortc keeps dBov (<= 0) and writes its negation
        return frame

    wrap_encoded_frames(sender, with_level)


class Talker(MediaStreamTrack):
    """Quiet until ``speak``; then the speech file's packets, then quiet again. Paced in real time."""

    kind = "audio"

    def __init__(self, speech: str, quiet: str) -> None:
        super().__init__()
        self.speech, self.quiet = opus_packets(speech), opus_packets(quiet)
        self.level: int | None = 127
        self.sent = 0
        self.spoke_at: list[float] = []  # when each utterance's first packet went out (monotonic)
        self._utterance: list[Packet] = []
        self._starting = False
        self._started: float | None = None

    def speak(self, packets: int | None = None) -> None:
        """Say the speech file (its first ``packets`` only, if given) from its start."""
        self._utterance = list(self.speech[:packets])
        self._starting = True

    @property
    def speaking(self) -> bool:
        return bool(self._utterance)

    async def recv(self) -> av.Packet:
        if self._started is None:
            self._started = time.monotonic()
        delay = self._started + self.sent * 0.02 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if self._utterance:
            payload, self.level = self._utterance.pop(0)
            if self._starting:
                self._starting = False
                self.spoke_at.append(time.monotonic())
        else:
            payload, self.level = self.quiet[self.sent % len(self.quiet)]
        packet = av.Packet(payload)
        packet.pts, packet.time_base = self.sent * FRAME, TIME_BASE
        self.sent += 1
        return packet
