"""HLS as plain files: AAC-LC in MPEG-TS segments of about two seconds, and their playlist.

Everything goes to media storage under ``rooms/{id}/live/``, so any node, CDN or reverse
proxy can serve a room's whole audience from files: segments never change once written
(a long ``Cache-Control``), the playlist changes every segment (a short one).

The playlist is a rewind window back to the room's start, with a PROGRAM-DATE-TIME on every
segment. Off the record stays live (the room hears it) but not in the window: an
off-record segment leaves the playlist and the disk once it is ``LIVE_EDGE`` segments behind
the newest. Players count segments by position (MEDIA-SEQUENCE + index), so each removal
from the middle raises MEDIA-SEQUENCE by one: the segments after it keep their numbers,
and those are the ones a player at the live edge holds. The audio's timestamps run on
across the hole, which players cross by PROGRAM-DATE-TIME.

Apple's low-latency partial segments are not written: FFmpeg's muxers do not make them and
a player gains from them only with blocking playlist reloads, which need a server of their
own; a 2 s segment is on disk about 2.2 s after its first sample was spoken.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

import av

from live.stream.jitter import RATE
from roomcast.storage import MediaStore

SEGMENT_S = 2.0
LIVE_EDGE = 4  # segments a player at the live edge may still fetch: past them, off the record is deleted
TS_OFFSET = 10 * RATE  # MPEG-TS timestamps start 10 s in: the muxer's PCR runs ahead of the first PTS
TIME_BASE = Fraction(1, RATE)
PLAYLIST = "live.m3u8"


def live_prefix(room_id: int) -> str:
    return f"rooms/{room_id}/live"


@dataclass
class Segment:
    name: str
    start: int  # mix position of its first sample
    duration_s: float
    began_at: datetime
    off_record: bool


class HlsWriter:
    def __init__(self, store: MediaStore, room_id: int, started_at: datetime, extradata: bytes) -> None:
        self.store, self.prefix, self.started_at, self.extradata = store, live_prefix(room_id), started_at, extradata
        self.segments: list[Segment] = []
        self.removed = 0  # segments taken out of the middle: the playlist's MEDIA-SEQUENCE
        self.count = 0
        self.pending: list[av.Packet] = []
        self.ended = False

    def add(self, packets: list[av.Packet], off_record: list[tuple[int, int | None]]) -> bool:
        """AAC packets (pts = mix position); True if a segment was written."""
        written = False
        for packet in packets:
            if self.pending and packet.pts - self.pending[0].pts >= SEGMENT_S * RATE:
                self._write_segment(off_record)
                written = True
            self.pending.append(packet)
        return written

    def end(self, off_record: list[tuple[int, int | None]]) -> None:
        if self.pending:
            self._write_segment(off_record)
        self.ended = True
        self._forget_off_record(keep=0)
        self._write_playlist()

    def _write_segment(self, off_record: list[tuple[int, int | None]]) -> None:
        packets, self.pending = self.pending, []
        start, end = packets[0].pts, packets[-1].pts + 1024
        name = f"{self.count:06d}.ts"
        self.count += 1
        with self.store.atomic_path(f"{self.prefix}/{name}") as path:
            path.write_bytes(self._mux(packets))
        hidden = any(a < end and (b is None or b > start) for a, b in off_record)
        self.segments.append(Segment(name, start, (end - start) / RATE,
                                     self.started_at + timedelta(seconds=start / RATE), hidden))
        self._forget_off_record(keep=LIVE_EDGE)
        self._write_playlist()

    def _mux(self, packets: list[av.Packet]) -> bytes:
        buffer = io.BytesIO()
        # max_delay lets the muxer put several AAC frames in one PES: 20 % smaller segments.
        with av.open(buffer, "w", format="mpegts", options={"max_delay": "500000"}) as container:
            stream = container.add_stream("aac", rate=RATE, layout="mono")
            stream.codec_context.extradata = self.extradata
            for packet in packets:
                packet.stream, packet.time_base = stream, TIME_BASE
                packet.pts = packet.dts = packet.pts + TS_OFFSET
                container.mux(packet)
        return buffer.getvalue()

    def _forget_off_record(self, keep: int) -> None:
        """Off-record segments more than ``keep`` behind the newest leave the playlist and the disk."""
        edge = len(self.segments) - keep
        kept = []
        for index, segment in enumerate(self.segments):
            if segment.off_record and index < edge:
                self.store.delete(f"{self.prefix}/{segment.name}")
                self.removed += 1
            else:
                kept.append(segment)
        self.segments = kept

    def _write_playlist(self) -> None:
        # Each EXTINF, rounded to the nearest second, must not exceed it (RFC 8216, 4.3.3.1).
        target = max([round(s.duration_s) for s in self.segments] + [round(SEGMENT_S)])
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
                 f"#EXT-X-MEDIA-SEQUENCE:{self.removed}", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for segment in self.segments:
            stamp = segment.began_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            lines += [f"#EXT-X-PROGRAM-DATE-TIME:{stamp}", f"#EXTINF:{segment.duration_s:.3f},", f"live/{segment.name}"]
        if self.ended:
            lines.append("#EXT-X-ENDLIST")
        self.store.write_text(f"{self.prefix}/{PLAYLIST}", "\n".join(lines) + "\n")
