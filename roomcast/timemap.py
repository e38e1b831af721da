"""From room time to episode time.

Post-production keeps some spans of the room (off-the-record spans are cut, long silences
shortened) and joins them with short crossfades, after an optional intro. Every later stage
(transcript, chapters, soundbites, search deep links) places things on the published audio
through this one map.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from roomcast.events import EventKind


@dataclass(frozen=True)
class Span:
    room_start: float
    room_end: float
    episode_start: float

    @property
    def duration(self) -> float:
        return self.room_end - self.room_start


@dataclass
class TimeMap:
    spans: list[Span] = field(default_factory=list)
    # What was cut on purpose (off the record), in room seconds. Known: only those moments are
    # not kept; the quiet trimmed from the edges or shortened between turns is, and a word, a
    # marker or a clip there lands at the join. None (maps stored before): whatever no span holds.
    cuts: list[tuple[float, float]] | None = None

    @classmethod
    def identity(cls, duration: float) -> TimeMap:
        return cls([Span(0.0, duration, 0.0)])

    @classmethod
    def from_kept(cls, kept: list[tuple[float, float]], crossfade_s: float = 0.0, lead_s: float = 0.0,
                  cuts: list[tuple[float, float]] | None = None) -> TimeMap:
        """Spans of room time kept in order; each join overlaps the previous by ``crossfade_s``."""
        spans, cursor = [], lead_s
        for index, (start, end) in enumerate(kept):
            if index:
                cursor -= crossfade_s
            spans.append(Span(start, end, cursor))
            cursor += end - start
        return cls(spans, cuts)

    @property
    def episode_duration(self) -> float:
        return self.spans[-1].episode_start + self.spans[-1].duration if self.spans else 0.0

    def is_kept(self, room_time: float) -> bool:
        if self.cuts is not None:
            return room_time >= 0 and not any(start <= room_time < end for start, end in self.cuts)
        span = self._span_at(room_time)
        return span is not None and span.room_start <= room_time <= span.room_end

    def to_episode(self, room_time: float) -> float:
        """Where a moment of the room is heard; a moment that was cut maps to the cut."""
        if not self.spans:
            return 0.0
        span = self._span_at(room_time)
        if span is None:
            return self.spans[0].episode_start
        offset = min(max(room_time - span.room_start, 0.0), span.duration)
        return round(span.episode_start + offset, 3)

    def _span_at(self, room_time: float) -> Span | None:
        starts = [s.room_start for s in self.spans]
        index = bisect.bisect_right(starts, room_time) - 1
        return self.spans[index] if index >= 0 else None

    def to_json(self) -> list[list[float]]:
        """Spans as [room_start, room_end, episode_start]; cuts, when known, as [start, end] after them."""
        rows = [[round(s.room_start, 4), round(s.room_end, 4), round(s.episode_start, 4)] for s in self.spans]
        if self.cuts is not None:
            rows += [[round(a, 4), round(b, 4)] for a, b in self.cuts] or [[0.0, 0.0]]  # an empty cut: "known, none"
        return rows

    @classmethod
    def from_json(cls, data: list[list[float]] | None) -> TimeMap | None:
        if not data:
            return None
        cuts = [(a, b) for a, b in (row for row in data if len(row) == 2) if b > a]
        known = any(len(row) == 2 for row in data)
        return cls([Span(*row) for row in data if len(row) == 3], cuts if known else None)


def off_record_spans(events: list[tuple[str, float]]) -> list[tuple[float, float]]:
    """Pairs of off-the-record start and end; a span never closed runs to the end of the room."""
    spans: list[tuple[float, float]] = []
    opened = None
    for kind, at in sorted(events, key=lambda e: e[1]):
        if kind == EventKind.off_record_start and opened is None:
            opened = at
        elif kind == EventKind.off_record_end and opened is not None:
            spans.append((opened, at))
            opened = None
    if opened is not None:
        spans.append((opened, math.inf))
    return spans
