"""Soundbites: the moments people clipped, placed on the published audio, titled by what was said.

A clip made in the room ("Clip that") has no title; the episode's title on every soundbite
told a listener nothing, so an untitled one takes its first words from the transcript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from roomcast.events import EventKind
from roomcast.models import Episode
from roomcast.timemap import TimeMap

SOUNDBITE_MIN_S, SOUNDBITE_MAX_S = 1.0, 120.0
TITLE_WORDS = 8


@dataclass(frozen=True)
class Soundbite:
    start: float  # seconds on the published audio
    duration: float
    title: str


def said_between(episode: Episode, start: float, end: float) -> list[str]:
    """The words of the line heard most from ``start`` to ``end`` on the published audio: one
    speaker's words in order (two people talking at once interleave word by word)."""
    best: list[str] = []
    for segment in episode.segments:
        timed = [w for w in segment.words or [] if w.get("word", "").strip()]
        words = ([w["word"].strip() for w in sorted(timed, key=lambda w: w["start"]) if start <= w["start"] < end]
                 if timed else segment.text.split() if start <= segment.start_s < end else [])
        if len(words) > len(best):
            best = words
    return best


def title_from(words: list[str], fallback: str) -> str:
    if not words:
        return fallback
    title = " ".join(words[:TITLE_WORDS])
    title = re.sub(r"[\s,;:]+$", "", title)
    more = len(words) > TITLE_WORDS or not re.search(r"[.!?]$", title)
    return f"{title[0].upper()}{title[1:]}{'…' if more else ''}"


def soundbites(episode: Episode) -> list[Soundbite]:
    """Clip marks on the published audio; a clip that was cut is left out."""
    time_map = TimeMap.from_json(episode.time_map) or TimeMap.identity(episode.duration_s or 0.0)
    bites = []
    for event in sorted(episode.room.events, key=lambda e: e.at_s):
        if event.kind != EventKind.clip or not time_map.is_kept(event.at_s):
            continue
        start = time_map.to_episode(event.at_s)
        end = time_map.to_episode(event.at_s + float(event.data.get("duration", 30)))
        duration = min(end - start, SOUNDBITE_MAX_S, (episode.duration_s or 0) - start)
        if duration >= SOUNDBITE_MIN_S:
            title = event.data.get("title") or title_from(said_between(episode, start, start + duration), episode.title)
            bites.append(Soundbite(start, duration, title))
    return bites
