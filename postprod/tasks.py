"""Post-production tasks. Each takes the room id first, keeps its state in the database and
media store, and is safe to run again (see roomcast.runs.pipeline_step)."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import delete, select

from postprod import envelopes
from postprod.attribution import attributed, load_own_speech, own_speech_key
from postprod.chapters import MARKER, STAGE_JOIN, TimelineEvent, chapters_from, to_chapters_json
from postprod.render import M4A, MP3, RenderOptions, TrackInput, render
from postprod.tags import EpisodeTags, tag_m4a, tag_mp3
from postprod.transcript import FORMATS, merge, onto_episode, speaker_names
from postprod.track_progress import advance, live_tails, load_progress, progress_key
from postprod.crosstalk import TrackLevels, decide
from postprod.transcription import Utterance
from postprod.vocabulary import vocabulary
from postprod.waveform import to_waveform_json, write_png
from roomcast.timemap import TimeMap, off_record_spans
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode, Room, RoomStatus, Track, TranscriptSegment
from roomcast.runs import RoomTask, pipeline_step
from roomcast.settings import get_settings
from roomcast.storage import get_media_store

log = logging.getLogger(__name__)


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
        names = speaker_names([(t.participant_id, t.participant.display_name) for t in tracks])
        return [
            TrackSource(t.id, names[t.participant_id], t.participant_id, store.path(t.media_key), t.offset_s, t.transcript_key)
            for t in tracks
        ]


def room_vocabulary(room: Room) -> str | None:
    """The words this room's transcript must spell right: show, people on its tracks, topics marked."""
    speakers = [t.participant.display_name for t in room.tracks]
    topics = [str(e.data.get("title") or "") for e in room.events if e.kind == MARKER]
    return vocabulary(room.show.title, room.title, *speakers, *topics)


@celery_app.task(name="postprod.decide_crosstalk", base=RoomTask)
def decide_crosstalk(room_id: int) -> None:
    """When each track carries its own speaker (see postprod.crosstalk), for transcription and the mix."""
    with pipeline_step(room_id, "crosstalk") as step:
        if step.skipped:
            return
        sources = _track_sources(room_id)
        levels = {}
        for number, source in enumerate(sources):
            try:
                levels[source.track_id] = envelopes.extend(source.path, envelopes.envelope_key(room_id, source.track_id), final=True)
            except Exception as error:  # noqa: BLE001 - an unreadable track is left whole; the others are decided
                step.warn(f"{source.speaker}: no crosstalk decision ({error})")
            step.progress((number + 1) / (len(sources) + 1))
        decided = decide([TrackLevels(s.track_id, s.participant_id, s.offset_s, levels[s.track_id])
                          for s in sources if s.track_id in levels])
        get_media_store().write_text(own_speech_key(room_id), json.dumps(decided))


@celery_app.task(name="postprod.transcribe_track", base=RoomTask)
def transcribe_track(room_id: int, track_id: int) -> None:
    """Finish the track's transcript: live rooms leave only what was said since the last round."""
    with pipeline_step(room_id, f"transcribe:{track_id}") as step:
        if step.skipped:
            return
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


@celery_app.task(name="postprod.follow_room")
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


@celery_app.task(name="postprod.master_episode", base=RoomTask)
def master_episode(room_id: int) -> None:
    """Level, mix, cut, master and encode the room (see postprod.render), in flat memory."""
    with pipeline_step(room_id, "master") as step:
        if step.skipped:
            return
        settings, store = get_settings(), get_media_store()
        sources = _track_sources(room_id)
        with session_scope() as session:
            episode = _episode_for(session, room_id)
            show = episode.show
            episode_id = episode.id
            cuts = off_record_spans([(e.kind, e.at_s) for e in episode.room.events])
            tags = EpisodeTags(episode.title, show.title, show.author, store.path(show.image_path) if show.image_path else None)
            intro = store.path(show.intro_key) if show.intro_key else None
            outro = store.path(show.outro_key) if show.outro_key else None
        wanted = settings.episode_formats.split(",")
        formats = tuple(replace(f, bit_rate=settings.mp3_bitrate) if f is MP3 else f for f in (MP3, M4A) if f.extension in wanted)
        options = RenderOptions(target_lufs=settings.loudness_target_lufs, ceiling_dbtp=settings.true_peak_ceiling_dbtp,
                                formats=formats, cuts=cuts, max_silence_s=settings.max_silence_s, intro=intro, outro=outro)
        stem_key = f"episodes/{episode_id}/audio"
        folder = store.path(stem_key + ".mp3").parent
        folder.mkdir(parents=True, exist_ok=True)
        own = load_own_speech(room_id)
        tracks = [TrackInput(s.speaker, s.path, s.offset_s, own.get(s.track_id)) for s in sources]
        keys = {}
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            result = render(tracks, Path(scratch) / "audio", options)
            for warning in result.warnings:
                step.warn(warning)
            step.progress(0.9)
            for encoded in result.files:
                if encoded.format.extension != "mp3":  # the MP3's tags come with its chapters (build_chapters)
                    tag_m4a(encoded.path, tags)
                keys[encoded.format.extension] = f"{stem_key}.{encoded.format.extension}"
                os.replace(encoded.path, store.path(keys[encoded.format.extension]))
        store.write_text(f"episodes/{episode_id}/waveform.json", to_waveform_json(result.peaks, result.duration_s))
        with store.atomic_path(f"episodes/{episode_id}/waveform.png") as png:
            write_png(result.peaks, png)
        primary = result.files[0]
        with session_scope() as session:
            episode = session.get(Episode, episode_id)
            main_key = keys[primary.format.extension]
            episode.audio_key, episode.audio_mime, episode.audio_bytes = main_key, primary.format.mime, store.size(main_key)
            episode.extra_audio = {ext: key for ext, key in keys.items() if key != main_key}
            episode.duration_s = result.duration_s
            episode.loudness_lufs = primary.loudness_lufs if math.isfinite(primary.loudness_lufs) else None
            episode.true_peak_dbtp = primary.true_peak_dbtp if math.isfinite(primary.true_peak_dbtp) else None
            episode.waveform_key = f"episodes/{episode_id}/waveform.json"
            episode.waveform_image_key = f"episodes/{episode_id}/waveform.png"
            episode.time_map = result.time_map.to_json()


@celery_app.task(name="postprod.build_transcript", base=RoomTask)
def build_transcript(room_id: int) -> None:
    with pipeline_step(room_id, "transcript") as step:
        if step.skipped:
            return
        store = get_media_store()
        sources = _track_sources(room_id)
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
            for extension, (_mime, render) in FORMATS.items():
                keys[extension] = f"episodes/{episode.id}/transcript.{extension}"
                store.write_text(keys[extension], render(lines))
            episode.transcript_keys = keys
        if not lines:
            step.warn("the transcript is empty: nobody's speech was recognised")


@celery_app.task(name="postprod.build_chapters", base=RoomTask)
def build_chapters(room_id: int) -> None:
    """Chapters on the published audio, as a chapters file and as ID3 CHAP frames."""
    with pipeline_step(room_id, "chapters") as step:
        if step.skipped:
            return
        store = get_media_store()
        with session_scope() as session:
            episode = _episode_for(session, room_id)
            room = episode.room
            time_map = TimeMap.from_json(episode.time_map) or TimeMap.identity(episode.duration_s or 0.0)
            names = {p.id: p.display_name for p in room.participants}
            events = [
                TimelineEvent(e.kind, time_map.to_episode(e.at_s),
                              str(e.data.get("title") or f"{names.get(e.participant_id, 'A speaker')} on stage"))
                for e in room.events if e.kind in (MARKER, STAGE_JOIN) and time_map.is_kept(e.at_s)
            ]
            chapters = chapters_from(events, episode.duration_s or time_map.episode_duration)
            episode.chapters_key = None
            if chapters:
                episode.chapters_key = f"episodes/{episode.id}/chapters.json"
                store.write_text(episode.chapters_key, to_chapters_json(chapters))
            if episode.audio_key and episode.audio_key.endswith(".mp3"):
                tags = EpisodeTags(episode.title, episode.show.title, episode.show.author,
                                   store.path(episode.show.image_path) if episode.show.image_path else None)
                with store.atomic_path(episode.audio_key) as tagged:
                    shutil.copyfile(store.path(episode.audio_key), tagged)
                    tag_mp3(tagged, tags, chapters)
                episode.audio_bytes = store.size(episode.audio_key)
