"""Chapters from the room's timeline, as Podcast Namespace chapters JSON (version 1.2.0).

Moderators' topic markers make the chapters. Without markers, the moments speakers came on
stage stand in; an episode with neither has no chapters file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from roomcast.events import EventKind

MIN_CHAPTER_S = 5.0  # closer markers are folded into the earlier one


@dataclass(frozen=True)
class TimelineEvent:
    kind: str
    at_s: float
    title: str


def chapters_from(events: list[TimelineEvent], duration_s: float) -> list[dict]:
    markers = [e for e in events if e.kind == EventKind.marker] or [e for e in events if e.kind == EventKind.stage_join]
    chapters: list[dict] = []
    for event in sorted(markers, key=lambda e: e.at_s):
        start = min(max(0.0, event.at_s), duration_s)
        if chapters and start - chapters[-1]["startTime"] < MIN_CHAPTER_S:
            continue
        chapters.append({"startTime": round(start, 2), "title": event.title})
    if chapters and chapters[0]["startTime"] > 0:
        chapters.insert(0, {"startTime": 0.0, "title": "Introduction"})
    for current, following in zip(chapters, chapters[1:]):
        current["endTime"] = following["startTime"]
    if chapters:
        chapters[-1]["endTime"] = round(duration_s, 2)
    return chapters


def to_chapters_json(chapters: list[dict]) -> str:
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=1)
