"""One speaker-attributed transcript from the per-track results, and its published formats.

Formats: WebVTT with ``<v Speaker>`` voice tags (Apple Podcasts reads them), SRT, the Podcast
Namespace JSON (``{"version": "1.0.0", "segments": [...]}``) and plain text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from postprod.transcription import Utterance
from roomcast.timemap import TimeMap


@dataclass
class Line:
    speaker: str
    participant_id: int | None
    start: float
    end: float
    text: str
    words: list[dict[str, Any]] = field(default_factory=list)


class WordView(BaseModel):
    word: str
    start: float
    end: float
    probability: float | None = None


class LineView(BaseModel):
    """One speaker's line; times in seconds on the episode (or, for a live room, the room's clock)."""

    speaker: str
    start: float
    end: float
    text: str
    words: list[WordView]

    @classmethod
    def of(cls, line: Line) -> LineView:
        words = [WordView(word=w["word"], start=w["start"], end=w["end"], probability=w.get("probability"))
                 for w in line.words]
        return cls(speaker=line.speaker, start=line.start, end=line.end, text=line.text, words=words)


def speaker_names(people: list[tuple[int, str]]) -> dict[int, str]:
    """The name each person's lines carry: their display name, and where two people in one room
    share one ("Carl" and "Carl"), a number for the second and later, in the order they joined:
    two guests are two speakers, in the transcript, in search and on the speaker page."""
    names: dict[int, str] = {}
    taken: dict[str, int] = {}
    for person, name in sorted(set(people)):
        count = taken[name.casefold()] = taken.get(name.casefold(), 0) + 1
        names[person] = name if count == 1 else f"{name} ({count})"
    return names


def merge(per_speaker: list[tuple[str, int | None, float, list[Utterance]]]) -> list[Line]:
    """Interleave every speaker's utterances by start time, shifted by the track's offset.

    Overlapping speech keeps both speakers' lines: nothing is dropped to make times disjoint.
    """
    lines = [
        Line(
            speaker=name,
            participant_id=participant_id,
            start=round(u.start + offset, 3),
            end=round(u.end + offset, 3),
            text=u.text,
            words=[{**w.__dict__, "start": round(w.start + offset, 3), "end": round(w.end + offset, 3)} for w in u.words],
        )
        for name, participant_id, offset, utterances in per_speaker
        for u in utterances
    ]
    return sorted(lines, key=lambda line: (line.start, line.end, line.speaker))


def kept_part(line: Line, is_kept: Callable[[float], bool]) -> Line | None:
    """The line without the words said where ``is_kept`` says no (off the record, a cut); None
    if nothing is left. A line without word timings stands or falls by its middle."""
    if not line.words:
        return line if is_kept((line.start + line.end) / 2) else None
    words = [w for w in line.words if is_kept(w["start"])]
    if not words:
        return None
    if len(words) == len(line.words):
        return line
    return Line(line.speaker, line.participant_id, words[0]["start"], max(words[-1]["end"], words[0]["start"]),
                " ".join(w["word"] for w in words), words)


def onto_episode(lines: list[Line], time_map: TimeMap) -> list[Line]:
    """Room times to episode times; words said off the record (or in a cut) are dropped."""
    mapped = []
    for line in lines:
        kept = kept_part(line, time_map.is_kept)
        if kept is None:
            continue
        if kept.words:
            words = [{**w, "start": time_map.to_episode(w["start"]), "end": time_map.to_episode(w["end"])}
                     for w in kept.words]
            start, end = words[0]["start"], max(words[-1]["end"], words[0]["start"])
        else:
            words, start, end = [], time_map.to_episode(line.start), time_map.to_episode(line.end)
        mapped.append(Line(line.speaker, line.participant_id, start, end, kept.text, words))
    return sorted(mapped, key=lambda line: (line.start, line.end, line.speaker))


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cue_text(text: str) -> str:
    # VTT and SRT cue text is markup: escape it, and never let a blank line end the cue early.
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def to_vtt(lines: list[Line]) -> str:
    cues = ["WEBVTT", ""]
    for line in lines:
        speaker = _cue_text(line.speaker)
        cues += [f"{_timestamp(line.start, '.')} --> {_timestamp(line.end, '.')}", f"<v {speaker}>{_cue_text(line.text)}", ""]
    return "\n".join(cues)


def to_srt(lines: list[Line]) -> str:
    cues = []
    for number, line in enumerate(lines, start=1):
        cues += [str(number), f"{_timestamp(line.start, ',')} --> {_timestamp(line.end, ',')}", f"{line.speaker}: {_cue_text(line.text)}", ""]
    return "\n".join(cues)


def to_podcast_json(lines: list[Line]) -> str:
    segments = [
        {"speaker": line.speaker, "startTime": line.start, "endTime": line.end, "body": line.text} for line in lines
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1)


def to_text(lines: list[Line]) -> str:
    return "".join(f"[{_timestamp(line.start, '.')[:8]}] {line.speaker}: {line.text}\n" for line in lines)


FORMATS = {
    "vtt": ("text/vtt", to_vtt),
    "srt": ("application/x-subrip", to_srt),
    "json": ("application/json", to_podcast_json),
    "txt": ("text/plain", to_text),
}
