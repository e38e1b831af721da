"""An Ogg/Opus file written from Opus packets as they arrive: no decoding, no re-encoding.

PyAV's Ogg muxer does the framing (pages, CRCs, granule positions). Pages are cut every
200 ms of audio and the file is flushed with each one, so a crash loses well under a second,
and a torn last page never hides the pages before it.
"""

from __future__ import annotations

import fractions
import struct
from pathlib import Path

import av

RATE = 48_000
PAGE_US = 200_000  # a page, flushed, every 200 ms of audio: about 3 % of overhead at 32 kbit/s
# A code-0 Opus packet with no frame data: decoders conceal 20 ms (packet loss concealment).
LOST_FRAME = bytes([0xF8])  # TOC: CELT fullband, 20 ms, mono, one frame


FRAME_SAMPLES = (  # per TOC configuration (RFC 6716 section 3.1): SILK, hybrid, CELT
    [480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4
)


def packet_samples(payload: bytes) -> int:
    """The duration of one Opus packet at 48 kHz, from its TOC byte (and frame count byte)."""
    if not payload:
        return 960
    toc = payload[0]
    frames = (1, 2, 2, payload[1] & 0x3F if len(payload) > 1 else 1)[toc & 0x3]
    return FRAME_SAMPLES[toc >> 3] * max(frames, 1)


# Packets of one or two frames (all but code 3) take their duration from the TOC byte alone:
# looked up, since this runs for every packet of every speaker.
SAMPLES_BY_TOC = {toc: packet_samples(bytes([toc])) for toc in range(256) if toc & 0x3 != 3}


def opus_head(channels: int = 1, pre_skip: int = 0) -> bytes:
    """The identification header (RFC 7845 section 5.1): mapping family 0, no gain."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, RATE, 0, 0)


class OggOpusWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.samples = 0  # the end of the last packet, in 48 kHz samples from the segment's start
        self._container = av.open(str(path), "w", format="ogg",
                                  options={"page_duration": str(PAGE_US), "flush_packets": "1"})
        self._stream = self._container.add_stream("libopus", rate=RATE)
        self._stream.codec_context.layout = "mono"
        self._stream.time_base = self._time_base = fractions.Fraction(1, RATE)  # the getter makes a new one
        # PyAV opens an encoder for the stream, whose header (stereo, its own 312-sample pre-skip)
        # would replace ours: open it first, then put ours back. Mono and no pre-skip: the packets
        # come from elsewhere, and a decoder must not drop the first 6.5 ms of every segment.
        self._stream.codec_context.open()
        self._stream.codec_context.extradata = opus_head()

    def write(self, payload: bytes, pts: int) -> None:
        """One packet at ``pts`` samples; earlier gaps are filled with concealed 20 ms frames."""
        while self.samples + 960 <= pts:
            self._mux(LOST_FRAME, self.samples, 960)
        duration = SAMPLES_BY_TOC.get(payload[0]) if payload else None
        self._mux(payload, pts, duration or packet_samples(payload))

    def _mux(self, payload: bytes, pts: int, duration: int) -> None:
        packet = av.Packet(payload)
        packet.pts = packet.dts = pts
        packet.duration = duration
        packet.time_base = self._time_base
        packet.stream = self._stream
        self._container.mux(packet)
        self.samples = pts + duration

    @property
    def duration_s(self) -> float:
        return self.samples / RATE

    def close(self) -> None:
        self._container.close()
