"""One speaker-attributed transcript from the per-track results: its lines, merged by time, and
placed on the episode (see transcripts.formats for the files written from them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from roomcast.timemap import TimeMap
from transcripts.transcription import Utterance


@dataclass
class Line:
    speaker: str
    participant_id: int | None
    start: float
    end: float
    text: str
    words: list[dict[str, Any]] = field(default_factory=list)
    provisional: bool = False  # a live caption: revised until live transcription writes the turn


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
