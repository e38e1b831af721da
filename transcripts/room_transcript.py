"""A room's transcript so far, on the room's clock: what live transcription has done, merged,
and after it each speaker's provisional captions (transcripts.captions).

Read by the room page's captions and the rooms API while the room runs, and complete once
every track's transcription is finished (seconds after the room ends). Off-the-record spans
are left out here as they are cut from the episode: words said inside one never show.

Everyone in a room polls it about once a second, so the merged transcript is kept per room and
made again only when one of the files it is made from has changed (its version), not per poll.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from roomcast.models import Room, RoomStatus
from roomcast.own_speech import own_speech_key
from roomcast.storage import get_media_store
from roomcast.timemap import off_record_spans
from roomcast.track_sources import speaker_names
from transcripts import envelopes
from transcripts.attribution import attributed
from transcripts.captions import captions_key, load_captions
from transcripts.lines import Line, kept_part, merge
from transcripts.track_progress import load_progress, progress_key
from transcripts.transcription import Utterance

CACHED_ROOMS = 64


@dataclass
class RoomTranscript:
    lines: list[Line]
    complete: bool  # the room has ended and every track is transcribed to its end


_cache: OrderedDict[int, tuple[tuple, RoomTranscript]] = OrderedDict()
_cache_lock = threading.Lock()


def room_transcript(room: Room, since_s: float = 0.0) -> RoomTranscript:
    version = _version(room)
    with _cache_lock:
        cached = _cache.get(room.id)
    if cached is None or cached[0] != version:
        cached = (version, _made(room))
        with _cache_lock:
            _cache[room.id] = cached
            _cache.move_to_end(room.id)
            while len(_cache) > CACHED_ROOMS:
                _cache.popitem(last=False)
    whole = cached[1]
    return RoomTranscript([line for line in whole.lines if line.end > since_s], whole.complete)


def _version(room: Room) -> tuple:
    """What the transcript is made from, as it is now: the room's state and its files' versions."""
    store = get_media_store()
    keys = [own_speech_key(room.id)]
    for track in sorted(room.tracks, key=lambda t: t.id):
        keys += [track.transcript_key or "", progress_key(room.id, track.id), captions_key(room.id, track.id),
                 envelopes.envelope_key(room.id, track.id)]
    stamps = []
    for key in keys:
        try:
            stamps.append(store.path(key).stat().st_mtime_ns if key else 0)
        except FileNotFoundError:
            stamps.append(0)
    people = tuple((t.id, t.participant_id, t.participant.display_name, t.offset_s) for t in room.tracks)
    return room.status, people, tuple((e.kind, e.at_s) for e in room.events), tuple(stamps)


def _made(room: Room) -> RoomTranscript:
    store = get_media_store()
    heard, captions, complete = [], [], room.status in (RoomStatus.ended, RoomStatus.interrupted)
    tracks = sorted(room.tracks, key=lambda t: t.id)
    for track in tracks:
        if track.transcript_key and store.exists(track.transcript_key):
            utterances = [Utterance.from_dict(d) for d in json.loads(store.read_text(track.transcript_key))]
            pending = []
        else:
            progress, complete = load_progress(room.id, track.id), False
            utterances = progress.utterances
            pending = [] if progress.final else load_captions(room.id, track.id).after(progress.read_from)
        heard.append((track.id, track.offset_s, utterances))
        captions.append(pending)
    # Words on the track that said them (transcripts.attribution), as the episode's transcript has them.
    names = speaker_names([(t.participant_id, t.participant.display_name) for t in tracks])
    per_speaker = [(names[track.participant_id], track.participant_id, track.offset_s, utterances)
                   for track, utterances in zip(tracks, attributed(room.id, heard))]
    provisional = [Line(names[track.participant_id], track.participant_id, round(track.offset_s + c.start, 3),
                        round(track.offset_s + c.end, 3), c.text, provisional=True)
                   for track, pending in zip(tracks, captions) for c in pending]
    spans = off_record_spans([(e.kind, e.at_s) for e in room.events])

    def on_the_record(at: float) -> bool:
        return not any(start <= at < end for start, end in spans)

    lines = [kept for line in merge(per_speaker) + provisional if (kept := kept_part(line, on_the_record))]
    return RoomTranscript(sorted(lines, key=lambda line: (line.start, line.end, line.speaker)), complete)
