"""A room's transcript so far, on the room's clock: what live transcription has done, merged.

Read by the room page's captions and the rooms API while the room runs, and complete once
every track's transcription is finished (seconds after the room ends). Off-the-record spans
are left out here as they are cut from the episode: words said inside one never show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from roomcast.models import Room, RoomStatus
from roomcast.storage import get_media_store
from roomcast.timemap import off_record_spans
from roomcast.track_sources import speaker_names
from transcripts.attribution import attributed
from transcripts.lines import Line, kept_part, merge
from transcripts.track_progress import load_progress
from transcripts.transcription import Utterance


@dataclass
class RoomTranscript:
    lines: list[Line]
    complete: bool  # the room has ended and every track is transcribed to its end


def room_transcript(room: Room, since_s: float = 0.0) -> RoomTranscript:
    store = get_media_store()
    heard, complete = [], room.status in (RoomStatus.ended, RoomStatus.interrupted)
    tracks = sorted(room.tracks, key=lambda t: t.id)
    for track in tracks:
        if track.transcript_key and store.exists(track.transcript_key):
            utterances = [Utterance.from_dict(d) for d in json.loads(store.read_text(track.transcript_key))]
        else:
            utterances, complete = load_progress(room.id, track.id).utterances, False
        heard.append((track.id, track.offset_s, utterances))
    # Words on the track that said them (transcripts.attribution), as the episode's transcript has them.
    names = speaker_names([(t.participant_id, t.participant.display_name) for t in tracks])
    per_speaker = [(names[track.participant_id], track.participant_id, track.offset_s, utterances)
                   for track, utterances in zip(tracks, attributed(room.id, heard))]
    spans = off_record_spans([(e.kind, e.at_s) for e in room.events])
    def on_the_record(at: float) -> bool:
        return not any(start <= at < end for start, end in spans)

    lines = [kept for line in merge(per_speaker) if line.end > since_s and (kept := kept_part(line, on_the_record))]
    return RoomTranscript(lines, complete)
