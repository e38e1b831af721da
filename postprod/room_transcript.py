"""A room's transcript so far, on the room's clock: what live transcription has done, merged.

Read by the room page's captions and the rooms API while the room runs, and complete once
every track's transcription is finished (seconds after the room ends). Off-the-record spans
are left out here as they are cut from the episode: words said inside one never show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from postprod.track_progress import load_progress
from postprod.transcript import Line, merge
from postprod.transcription import Utterance
from roomcast.models import Room, RoomStatus
from roomcast.storage import get_media_store
from roomcast.timemap import off_record_spans


@dataclass
class RoomTranscript:
    lines: list[Line]
    complete: bool  # the room has ended and every track is transcribed to its end


def room_transcript(room: Room, since_s: float = 0.0) -> RoomTranscript:
    store = get_media_store()
    per_speaker, complete = [], room.status in (RoomStatus.ended, RoomStatus.interrupted)
    for track in sorted(room.tracks, key=lambda t: t.id):
        if track.transcript_key and store.exists(track.transcript_key):
            utterances = [Utterance.from_dict(d) for d in json.loads(store.read_text(track.transcript_key))]
        else:
            utterances, complete = load_progress(room.id, track.id).utterances, False
        per_speaker.append((track.participant.display_name, track.participant_id, track.offset_s, utterances))
    spans = off_record_spans([(e.kind, e.at_s) for e in room.events])
    lines = [on for line in merge(per_speaker) if line.end > since_s and (on := on_the_record(line, spans))]
    return RoomTranscript(lines, complete)


def on_the_record(line: Line, spans: list[tuple[float, float]]) -> Line | None:
    """The line without the words said off the record; None if nothing is left."""
    def said_off(at: float) -> bool:
        return any(start <= at < end for start, end in spans)

    if not line.words:
        return None if said_off((line.start + line.end) / 2) else line
    words = [w for w in line.words if not said_off(w["start"])]
    if not words:
        return None
    if len(words) == len(line.words):
        return line
    return Line(line.speaker, line.participant_id, words[0]["start"], max(words[-1]["end"], words[0]["start"]),
                " ".join(w["word"] for w in words), words)


