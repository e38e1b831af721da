"""The pipeline's transcription tasks: the crosstalk decision, each track finished, and the merged
transcript (live rooms' rounds before them: transcripts.live_tasks). Each takes the room id first, keeps its state
in the database and media store, and is safe to run again (see roomcast.runs.room_task)."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from roomcast.db import session_scope
from roomcast.models import Episode, Room, Track, TranscriptSegment
from roomcast.own_speech import load_own_speech, save_own_speech
from roomcast.people import keys_of_participants
from roomcast.runs import StepContext, room_task
from roomcast.storage import get_media_store
from roomcast.timemap import TimeMap
from roomcast.track_sources import track_sources
from transcripts import envelopes
from transcripts.attribution import attributed
from transcripts.captions import captions_key
from transcripts.crosstalk import TrackLevels, decide
from transcripts.formats import rendered
from transcripts.lines import merge, onto_episode
from transcripts.other_tracks import others_of
from transcripts.revisit import revisit
from transcripts.track_progress import advance, live_tails, load_progress, progress_key
from transcripts.transcription import Utterance
from transcripts.vocabulary import vocabulary

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
    own, others = load_own_speech(room_id).get(track_id), others_of(room_id, track_id)
    if own is not None and (progress.utterances or progress.live_closed):  # heard through another gate: again
        progress = revisit(path, progress, language, own, hotwords, others)
    progress = advance(path, progress, language, final=True, tails=live_tails, own=own, hotwords=hotwords,
                       others=others,
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
    store.delete(captions_key(room_id, track_id))  # the transcript has replaced them


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
        keys_of_participants(session, {source.participant_id for source in sources})  # search and speaker pages
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
