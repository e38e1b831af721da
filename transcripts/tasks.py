"""Transcription tasks: live rounds while a room runs, then the pipeline's crosstalk decision,
each track finished, and the merged transcript. Each takes the room id first, keeps its state
in the database and media store, and is safe to run again (see roomcast.runs.room_task)."""

from __future__ import annotations

import json
import logging

from sqlalchemy import delete, select

from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode, Room, RoomStatus, Track, TranscriptSegment
from roomcast.own_speech import load_own_speech, save_own_speech
from roomcast.runs import StepContext, room_task
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from roomcast.timemap import TimeMap
from roomcast.track_sources import track_sources
from transcripts import envelopes
from transcripts.attribution import attributed
from transcripts.crosstalk import TrackLevels, decide
from transcripts.formats import rendered
from transcripts.lines import merge, onto_episode
from transcripts.track_progress import advance, live_tails, load_progress, progress_key
from transcripts.transcription import Utterance
from transcripts.vocabulary import vocabulary

log = logging.getLogger(__name__)
TOPIC = "marker"  # a moderator's topic marker on the room's timeline: its title is a word to spell right


def _episode_for(session, room_id: int) -> Episode:  # type: ignore[no-untyped-def]
    return session.scalars(select(Episode).where(Episode.room_id == room_id)).one()


def room_vocabulary(room: Room) -> str | None:
    """The words this room's transcript must spell right: show, people on its tracks, topics marked."""
    speakers = [t.participant.display_name for t in room.tracks]
    topics = [str(e.data.get("title") or "") for e in room.events if e.kind == TOPIC]
    return vocabulary(room.show.title, room.title, *speakers, *topics)


@room_task("transcripts.decide_crosstalk")
def decide_crosstalk(step: StepContext, room_id: int) -> None:
    """When each track carries its own speaker (see transcripts.crosstalk), for transcription and the mix."""
    sources = track_sources(room_id)
    levels = {}
    for number, source in enumerate(sources):
        try:
            levels[source.track_id] = envelopes.extend(source.path, envelopes.envelope_key(room_id, source.track_id), final=True)
        except Exception as error:  # noqa: BLE001 - an unreadable track is left whole; the others are decided
            step.warn(f"{source.speaker}: no crosstalk decision ({error})")
        step.progress((number + 1) / (len(sources) + 1))
    decided = decide([TrackLevels(s.track_id, s.participant_id, s.offset_s, levels[s.track_id])
                      for s in sources if s.track_id in levels])
    save_own_speech(room_id, decided)


@room_task("transcripts.transcribe_track")
def transcribe_track(step: StepContext, room_id: int, track_id: int) -> None:
    """Finish the track's transcript: live rooms leave only what was said since the last round."""
    store = get_media_store()
    with session_scope() as session:
        track = session.get(Track, track_id)
        speaker, path, duration = track.participant.display_name, store.path(track.media_key), track.duration_s
        language = _episode_for(session, room_id).language
        hotwords = room_vocabulary(track.room)
    progress = load_progress(room_id, track_id)
    own = load_own_speech(room_id).get(track_id)
    progress = advance(path, progress, language, final=True, tails=live_tails, own=own, hotwords=hotwords,
                       on_progress=lambda done_s: step.progress(min(1.0, done_s / max(duration, 1.0))))
    for warning in progress.warnings:
        step.warn(f"{speaker}: {warning}")
    if not progress.utterances:
        step.warn(f"{speaker}: no speech recognised")
    key = f"rooms/{room_id}/transcripts/track-{track_id}.json"
    store.write_text(key, json.dumps([u.to_dict() for u in progress.utterances], ensure_ascii=False))
    with session_scope() as session:
        session.get(Track, track_id).transcript_key = key
    store.delete(progress_key(room_id, track_id))  # done with: a rerun transcribes afresh


@celery_app.task(name="transcripts.follow_room")
def follow_room(room_id: int) -> None:
    """One round of live transcription over the room's tracks; again in a few seconds while it is live.

    Best effort: a track that fails here is left to the pipeline's own transcription at the end.
    """
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None or room.status != RoomStatus.live:
            return
        language, hotwords = room.show.language, room_vocabulary(room)
        tracks = [(t.id, t.media_key, t.duration_s > 0) for t in room.tracks if t.transcript_key is None]
    store = get_media_store()
    for track_id, media_key, closed in tracks:
        progress = load_progress(room_id, track_id)
        if progress.final:
            continue
        try:  # a segment capture has closed is finished now; an open one up to its last whole turn
            progress = advance(store.path(media_key), progress, language, final=closed, tails=live_tails,
                               hotwords=hotwords)
        except Exception:  # noqa: BLE001 - live transcription must not stop for one track
            log.exception("live transcription of room %s, track %s", room_id, track_id)
            continue
        store.write_text(progress_key(room_id, track_id), progress.to_json())
        try:  # the room's crosstalk decision at the end then reads only the last seconds
            envelopes.extend(store.path(media_key), envelopes.envelope_key(room_id, track_id), final=closed)
        except Exception:  # noqa: BLE001 - decide_crosstalk reads what is missing
            log.exception("levels of room %s, track %s", room_id, track_id)
    follow_room.apply_async((room_id,), countdown=get_settings().live_transcription_every_s)


@room_task("transcripts.build_transcript")
def build_transcript(step: StepContext, room_id: int) -> None:
    store = get_media_store()
    sources = track_sources(room_id)
    heard = []
    for source in sources:
        if source.transcript_key is None:
            raise RuntimeError(f"track {source.track_id} has not been transcribed")
        utterances = [Utterance.from_dict(d) for d in json.loads(store.read_text(source.transcript_key))]
        heard.append((source.track_id, source.offset_s, utterances))
    per_speaker = [(source.speaker, source.participant_id, source.offset_s, utterances)
                   for source, utterances in zip(sources, attributed(room_id, heard))]
    with session_scope() as session:
        episode = _episode_for(session, room_id)
        time_map = TimeMap.from_json(episode.time_map)
        lines = merge(per_speaker)
        if time_map is not None:
            lines = onto_episode(lines, time_map)
        session.execute(delete(TranscriptSegment).where(TranscriptSegment.episode_id == episode.id))
        session.add_all(
            TranscriptSegment(
                episode_id=episode.id, participant_id=line.participant_id, speaker=line.speaker,
                start_s=line.start, end_s=line.end, text=line.text, language=episode.language, words=line.words,
            )
            for line in lines
        )
        keys = {}
        for extension, text in rendered(lines).items():
            keys[extension] = f"episodes/{episode.id}/transcript.{extension}"
            store.write_text(keys[extension], text)
        episode.transcript_keys = keys
    if not lines:
        step.warn("the transcript is empty: nobody's speech was recognised")
