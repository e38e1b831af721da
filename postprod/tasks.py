"""Post-production tasks. Each takes the room id first, keeps its state in the database and
media store, and is safe to run again (see roomcast.runs.pipeline_step)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import mutagen.id3 as id3
from sqlalchemy import delete, select

from roomcast.audio import MIX_RATE, UnreadableAudio, decode_mono
from postprod.chapters import STAGE_JOIN, TimelineEvent, chapters_from, to_chapters_json
from postprod.mastering import master_to_mp3
from postprod.mixing import PlacedTrack, level, mix
from postprod.transcript import FORMATS, merge
from postprod.transcription import Utterance, transcribe_file
from postprod.waveform import to_waveform_json
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode, Track, TranscriptSegment
from roomcast.runs import RoomTask, pipeline_step
from roomcast.settings import get_settings
from roomcast.storage import get_media_store


@dataclass(frozen=True)
class TrackSource:
    track_id: int
    speaker: str
    participant_id: int
    path: Path
    offset_s: float
    transcript_key: str | None


def _episode_for(session, room_id: int) -> Episode:  # type: ignore[no-untyped-def]
    episode = session.scalars(select(Episode).where(Episode.room_id == room_id)).one()
    return episode


def _track_sources(room_id: int) -> list[TrackSource]:
    store = get_media_store()
    with session_scope() as session:
        tracks = session.scalars(select(Track).where(Track.room_id == room_id).order_by(Track.id)).all()
        return [
            TrackSource(t.id, t.participant.display_name, t.participant_id, store.path(t.media_key), t.offset_s, t.transcript_key)
            for t in tracks
        ]


@celery_app.task(name="postprod.transcribe_track", base=RoomTask)
def transcribe_track(room_id: int, track_id: int) -> None:
    with pipeline_step(room_id, f"transcribe:{track_id}") as step:
        if step.skipped:
            return
        with session_scope() as session:
            track = session.get(Track, track_id)
            speaker, path = track.participant.display_name, get_media_store().path(track.media_key)
            language = _episode_for(session, room_id).language
        try:
            utterances = transcribe_file(path, language, step.progress)
        except UnreadableAudio as error:
            step.warn(f"{speaker}: track could not be decoded for transcription ({error})")
            utterances = []
        if not utterances:
            step.warn(f"{speaker}: no speech recognised")
        key = f"rooms/{room_id}/transcripts/track-{track_id}.json"
        get_media_store().write_text(key, json.dumps([u.to_dict() for u in utterances], ensure_ascii=False))
        with session_scope() as session:
            session.get(Track, track_id).transcript_key = key


@celery_app.task(name="postprod.master_episode", base=RoomTask)
def master_episode(room_id: int) -> None:
    with pipeline_step(room_id, "master") as step:
        if step.skipped:
            return
        settings, store = get_settings(), get_media_store()
        placed = []
        for source in _track_sources(room_id):
            try:
                placed.append(PlacedTrack(source.speaker, decode_mono(source.path, MIX_RATE), source.offset_s))
            except UnreadableAudio as error:
                step.warn(f"{source.speaker}: track left out of the mix ({error})")
        for levelled in (level(track, MIX_RATE) for track in placed):
            if not math.isfinite(levelled.loudness_lufs):
                step.warn(f"{levelled.name}: track is silent")
        step.progress(0.3)
        with session_scope() as session:
            episode = _episode_for(session, room_id)
            episode_id, title, show_title, author = episode.id, episode.title, episode.show.title, episode.show.author
        key = f"episodes/{episode_id}/audio.mp3"
        with store.atomic_path(key) as temporary:
            result = master_to_mp3(
                mix(placed, MIX_RATE),
                MIX_RATE,
                temporary,
                target_lufs=settings.loudness_target_lufs,
                ceiling_dbtp=settings.true_peak_ceiling_dbtp,
                bit_rate=settings.mp3_bitrate,
            )
            _tag_mp3(temporary, title=title, show=show_title, author=author)
        waveform_key = f"episodes/{episode_id}/waveform.json"
        store.write_text(waveform_key, to_waveform_json(result.decoded, MIX_RATE))
        with session_scope() as session:
            episode = session.get(Episode, episode_id)
            episode.waveform_key = waveform_key
            episode.audio_key, episode.audio_mime, episode.audio_bytes = key, "audio/mpeg", store.size(key)
            episode.duration_s = result.duration_s
            episode.loudness_lufs = result.loudness_lufs if math.isfinite(result.loudness_lufs) else None
            episode.true_peak_dbtp = result.true_peak_dbtp if math.isfinite(result.true_peak_dbtp) else None


def _tag_mp3(path: Path, *, title: str, show: str, author: str | None) -> None:
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=title))
    tags.add(id3.TALB(encoding=3, text=show))
    if author:
        tags.add(id3.TPE1(encoding=3, text=author))
    tags.add(id3.TCON(encoding=3, text="Podcast"))
    tags.save(str(path))


@celery_app.task(name="postprod.build_chapters", base=RoomTask)
def build_chapters(room_id: int) -> None:
    with pipeline_step(room_id, "chapters") as step:
        if step.skipped:
            return
        with session_scope() as session:
            episode = _episode_for(session, room_id)
            room = episode.room
            duration = max((t.offset_s + t.duration_s for t in room.tracks), default=0.0)
            events = [TimelineEvent(e.kind, e.at_s, str(e.data.get("title", ""))) for e in room.events]
            names = {p.id: p.display_name for p in room.participants}
            events += [
                TimelineEvent(STAGE_JOIN, e.at_s, f"{names.get(e.participant_id, 'A speaker')} on stage")
                for e in room.events if e.kind == STAGE_JOIN and not e.data.get("title")
            ]
            chapters = chapters_from([e for e in events if e.title], duration)
            key = f"episodes/{episode.id}/chapters.json" if chapters else None
            if key:
                get_media_store().write_text(key, to_chapters_json(chapters))
            episode.chapters_key = key


@celery_app.task(name="postprod.build_transcript", base=RoomTask)
def build_transcript(room_id: int) -> None:
    with pipeline_step(room_id, "transcript") as step:
        if step.skipped:
            return
        store = get_media_store()
        per_speaker = []
        for source in _track_sources(room_id):
            if source.transcript_key is None:
                raise RuntimeError(f"track {source.track_id} has not been transcribed")
            utterances = [Utterance.from_dict(d) for d in json.loads(store.read_text(source.transcript_key))]
            per_speaker.append((source.speaker, source.participant_id, source.offset_s, utterances))
        lines = merge(per_speaker)
        with session_scope() as session:
            episode = _episode_for(session, room_id)
            session.execute(delete(TranscriptSegment).where(TranscriptSegment.episode_id == episode.id))
            session.add_all(
                TranscriptSegment(
                    episode_id=episode.id, participant_id=line.participant_id, speaker=line.speaker,
                    start_s=line.start, end_s=line.end, text=line.text, language=episode.language, words=line.words,
                )
                for line in lines
            )
            keys = {}
            for extension, (_mime, render) in FORMATS.items():
                keys[extension] = f"episodes/{episode.id}/transcript.{extension}"
                store.write_text(keys[extension], render(lines))
            episode.transcript_keys = keys
        if not lines:
            step.warn("the transcript is empty: nobody's speech was recognised")
