"""A live room's rounds: live transcription (whole turns, every few seconds) and captions (what
is being said, every second). Each round sends the next while the room is live; one chain per
room and loop (roomcast.live_loops), so a message delivered twice never starts a second one.

Best effort: a track that fails a round is left to the next round, and in the end to the
pipeline's own transcription.
"""

from __future__ import annotations

import logging
import time

from celery import Task

from roomcast import live_loops
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Room, RoomStatus, utcnow
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from transcripts import envelopes
from transcripts.captions import caption_round, captions_key, load_captions
from transcripts.live_decision import LiveTrack, live_own_speech
from transcripts.tasks import room_vocabulary
from transcripts.track_progress import Tails, advance, live_tails, load_progress, progress_key

log = logging.getLogger(__name__)
FOLLOW, CAPTIONS = "follow", "captions"
caption_tails = Tails()  # this worker process's: caption_room's rounds share it


def _runs(room_id: int, loop: str, generation: str | None, number: int) -> tuple[str, int] | None:
    """This message's (generation, round) if it is to run: a start (no generation) begins a new
    generation unless one is going on; a round runs once, after the round before it."""
    if generation is None:
        generation, number = live_loops.start(room_id, loop), 1
        if generation is None:
            return None
    return (generation, number) if live_loops.take(room_id, loop, generation, number) else None


def _again(task: Task, room_id: int, generation: str, number: int, every_s: float, began: float) -> None:
    """The next round, ``every_s`` after this one began, however long this one took."""
    task.apply_async((room_id, generation, number + 1), countdown=max(0.0, every_s - (time.monotonic() - began)))


def _live_levels(room_id: int, tracks: list[tuple[int, int, str, float, bool]]) -> list[LiveTrack]:
    """Every track's levels extended to now (transcripts.envelopes), for a round's crosstalk decision.
    The room's decision at the end then reads only the last seconds."""
    store, levels = get_media_store(), []
    for track_id, person, media_key, offset_s, closed in tracks:
        try:
            envelope = envelopes.extend(store.path(media_key), envelopes.envelope_key(room_id, track_id), final=closed)
        except Exception:  # noqa: BLE001 - a segment just opened: its first page is not there yet
            log.debug("levels of room %s, track %s", room_id, track_id, exc_info=True)
            continue
        levels.append(LiveTrack(track_id, person, offset_s, envelope))
    return levels


@celery_app.task(name="transcripts.follow_room", bind=True)
def follow_room(self: Task, room_id: int, generation: str | None = None, number: int = 0) -> None:
    """One round of live transcription over the room's tracks: the turns that are over."""
    began = time.monotonic()
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None or room.status != RoomStatus.live:
            return
        language, hotwords = room.show.language, room_vocabulary(room)
        tracks = [(t.id, t.participant_id, t.media_key, t.offset_s, t.duration_s > 0)
                  for t in room.tracks if t.transcript_key is None]
    if (place := _runs(room_id, FOLLOW, generation, number)) is None:
        return
    store = get_media_store()
    own = live_own_speech(_live_levels(room_id, tracks))
    for track_id, _person, media_key, _offset, closed in tracks:
        progress = load_progress(room_id, track_id)
        if progress.final:
            continue
        try:  # a segment capture has closed is finished now; an open one up to its last whole turn
            progress = advance(store.path(media_key), progress, language, final=closed, tails=live_tails,
                               own=own.get(track_id), hotwords=hotwords)
        except Exception:  # noqa: BLE001 - live transcription must not stop for one track
            log.exception("live transcription of room %s, track %s", room_id, track_id)
            continue
        store.write_text(progress_key(room_id, track_id), progress.to_json())
    _again(self, room_id, *place, get_settings().live_transcription_every_s, began)


@celery_app.task(name="transcripts.caption_room", bind=True)
def caption_room(self: Task, room_id: int, generation: str | None = None, number: int = 0) -> None:
    """One round of live captions (transcripts.captions).

    Every track's levels are extended first, so the round's crosstalk decision (transcripts.
    live_decision) hears the room up to now and a track carrying others is not captioned with their words.
    """
    began = time.monotonic()
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None or room.status != RoomStatus.live or room.started_at is None:
            return
        language, live_s = room.show.language, (utcnow() - room.started_at).total_seconds()
        tracks = [(t.id, t.participant_id, t.media_key, t.offset_s, t.duration_s)
                  for t in room.tracks if t.transcript_key is None]
    if (place := _runs(room_id, CAPTIONS, generation, number)) is None:
        return
    store = get_media_store()
    own = live_own_speech(_live_levels(room_id, [(t, p, k, o, d > 0) for t, p, k, o, d in tracks]))
    for track_id, _person, media_key, offset_s, duration in tracks:
        progress, captions = load_progress(room_id, track_id), load_captions(room_id, track_id)
        if progress.final or captions.finished(duration):
            continue  # a finished segment, captioned to its end
        try:
            captions = caption_round(store.path(media_key), captions, progress.read_from,
                                     live_s - offset_s, language, caption_tails, own.get(track_id))
        except Exception:  # noqa: BLE001 - captions must not stop for one track
            log.exception("captions of room %s, track %s", room_id, track_id)
            continue
        store.write_text(captions_key(room_id, track_id), captions.to_json())
    _again(self, room_id, *place, get_settings().live_captions_every_s, began)
