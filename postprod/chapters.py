"""Chapters from the room's timeline, as Podcast Namespace chapters JSON (version 1.2.0).

Moderators' topic markers make the chapters. Without markers, the moments speakers came on
stage stand in; an episode with neither has no chapters file. They are made while the episode is
mastered (the time map is known then), so the MP3 is written once with its chapter frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from roomcast.events import EventKind, Marker
from roomcast.models import RoomEvent
from roomcast.timemap import TimeMap

MIN_CHAPTER_S = 5.0  # closer markers are folded into the earlier one


@dataclass(frozen=True)
class ChapterMark:
    """A moment that may start a chapter: a marker, or someone coming on stage."""

    kind: str  # EventKind.marker or EventKind.stage_join
    at_s: float  # on the published audio
    title: str


def chapter_marks(events: Iterable[RoomEvent], names: dict[int, str], time_map: TimeMap) -> list[ChapterMark]:
    """Markers and stage joins that were kept, placed on the published audio."""
    marks = []
    for event in events:
        if event.kind not in (EventKind.marker, EventKind.stage_join) or not time_map.is_kept(event.at_s):
            continue
        title = Marker.from_data(event.data).title or f"{names.get(event.participant_id, 'A speaker')} on stage"
        marks.append(ChapterMark(event.kind, time_map.to_episode(event.at_s), title))
    return marks


def chapters_from(marks: list[ChapterMark], duration_s: float) -> list[dict]:
    markers = [m for m in marks if m.kind == EventKind.marker] or [m for m in marks if m.kind == EventKind.stage_join]
    chapters: list[dict] = []
    for mark in sorted(markers, key=lambda m: m.at_s):
        start = min(max(0.0, mark.at_s), duration_s)
        if chapters and start - chapters[-1]["startTime"] < MIN_CHAPTER_S:
            continue
        chapters.append({"startTime": round(start, 2), "title": mark.title})
    if chapters and chapters[0]["startTime"] > 0:
        chapters.insert(0, {"startTime": 0.0, "title": "Introduction"})
    for current, following in zip(chapters, chapters[1:]):
        current["endTime"] = following["startTime"]
    if chapters:
        chapters[-1]["endTime"] = round(duration_s, 2)
    return chapters


def to_chapters_json(chapters: list[dict]) -> str:
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=1)
