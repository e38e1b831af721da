"""Soundbites: the moments people clipped, placed on the published audio, titled by what was said.

A clip made in the room ("Clip that") has no title; the episode's title on every soundbite told a
listener nothing, so an untitled one takes its first words from the transcript.

Anyone in a room may clip, but the feed is the show's: a listener's clip (an anonymous guest, as
often as not) never publishes its own title, and a listener cannot fill the feed with clips (150
spam soundbites in one episode, issue 15 item 4). Listeners' clips that overlap are one moment;
the ``MAX_LISTENER_SOUNDBITES`` moments clipped by most listeners are kept, each titled from the
transcript; one already covered by a host's, moderator's or speaker's clip adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from roomcast.events import Clip, EventKind
from roomcast.models import Role, RoomEvent, TranscriptSegment
from roomcast.soundbites import Soundbite
from roomcast.timemap import TimeMap

SOUNDBITE_MIN_S, SOUNDBITE_MAX_S = 1.0, 120.0
TITLE_WORDS = 8
MAX_LISTENER_SOUNDBITES = 5


@dataclass
class PlacedClip:
    start: float  # on the published audio
    end: float
    title: str
    by_listener: bool
    clips: int = 1  # listeners' clips merged into this one


def said_between(segments: Iterable[TranscriptSegment], start: float, end: float) -> list[str]:
    """The words of the line heard most from ``start`` to ``end`` on the published audio: one
    speaker's words in order (two people talking at once interleave word by word)."""
    best: list[str] = []
    for segment in segments:
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


def _by_listener(clip: Clip, clipper_role: Role | None) -> bool:
    """The role when they clipped, as live/ records it; for clips recorded before it did, the
    highest role the clipper held (None: no participant, a creator's clip from an import)."""
    if clip.by_role is not None:
        return clip.by_role == Role.listener.value
    return clipper_role == Role.listener


def placed_clips(events: Iterable[RoomEvent], roles: dict[int, Role], time_map: TimeMap, duration_s: float) -> list[PlacedClip]:
    """Clip marks on the published audio, in time order; a clip that was cut, or too short once
    placed, is left out."""
    placed = []
    for event in sorted(events, key=lambda e: e.at_s):
        if event.kind != EventKind.clip or not time_map.is_kept(event.at_s):
            continue
        clip = Clip.from_data(event.data)
        start = time_map.to_episode(event.at_s)
        end = time_map.to_episode(event.at_s + clip.duration_s)
        end = min(end, start + SOUNDBITE_MAX_S, duration_s)
        if end - start >= SOUNDBITE_MIN_S:
            role = roles.get(event.participant_id) if event.participant_id is not None else None
            placed.append(PlacedClip(start, end, clip.title, _by_listener(clip, role)))
    return placed


def _overlaps(a: PlacedClip, b: PlacedClip) -> bool:
    return a.start < b.end and b.start < a.end


def listeners_moments(clips: list[PlacedClip], others: list[PlacedClip]) -> list[PlacedClip]:
    """Listeners' clips as moments: overlapping ones merged (at most SOUNDBITE_MAX_S long), those
    a trusted clip already covers dropped, the most clipped kept (the earlier on a tie)."""
    moments: list[PlacedClip] = []
    for clip in sorted(clips, key=lambda c: c.start):
        if any(_overlaps(clip, other) for other in others):
            continue
        if moments and _overlaps(clip, moments[-1]):
            last = moments[-1]
            last.end, last.clips = min(max(last.end, clip.end), last.start + SOUNDBITE_MAX_S), last.clips + 1
        else:
            moments.append(PlacedClip(clip.start, clip.end, "", True))
    kept = sorted(moments, key=lambda m: (-m.clips, m.start))[:MAX_LISTENER_SOUNDBITES]
    return sorted(kept, key=lambda m: m.start)


def soundbites(clips: list[PlacedClip], segments: list[TranscriptSegment], fallback_title: str) -> list[Soundbite]:
    """The episode's soundbites: trusted clips with the title given (else the words said),
    listeners' moments titled by the words said; in time order."""
    trusted = [c for c in clips if not c.by_listener]
    chosen = trusted + listeners_moments([c for c in clips if c.by_listener], trusted)
    return [
        Soundbite(c.start, c.end - c.start, c.title or title_from(said_between(segments, c.start, c.end), fallback_title))
        for c in sorted(chosen, key=lambda c: c.start)
    ]
