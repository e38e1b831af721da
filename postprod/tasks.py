"""Post-production tasks: the mix, mastered and encoded, and its chapters. Each takes the room id
first, keeps its state in the database and media store, and is safe to run again (see
roomcast.runs.room_step)."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from postprod.chapters import TimelineEvent, chapters_from, to_chapters_json
from postprod.render import M4A, MP3, RenderOptions, TrackInput, render
from postprod.tags import EpisodeTags, tag_m4a, tag_mp3
from postprod.waveform import to_waveform_json, write_png
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.events import EventKind
from roomcast.models import Episode
from roomcast.own_speech import load_own_speech
from roomcast.runs import RoomTask, StepContext, room_step
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from roomcast.timemap import TimeMap, off_record_spans
from roomcast.track_sources import track_sources


def _episode_for(session, room_id: int) -> Episode:  # type: ignore[no-untyped-def]
    episode = session.scalars(select(Episode).where(Episode.room_id == room_id)).one()
    return episode


@celery_app.task(name="postprod.master_episode", base=RoomTask)
@room_step("master")
def master_episode(step: StepContext, room_id: int) -> None:
    """Level, mix, cut, master and encode the room (see postprod.render), in flat memory."""
    settings, store = get_settings(), get_media_store()
    sources = track_sources(room_id)
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


@celery_app.task(name="postprod.build_chapters", base=RoomTask)
@room_step("chapters")
def build_chapters(step: StepContext, room_id: int) -> None:
    """Chapters on the published audio, as a chapters file and as ID3 CHAP frames."""
    store = get_media_store()
    with session_scope() as session:
        episode = _episode_for(session, room_id)
        room = episode.room
        time_map = TimeMap.from_json(episode.time_map) or TimeMap.identity(episode.duration_s or 0.0)
        names = {p.id: p.display_name for p in room.participants}
        events = [
            TimelineEvent(e.kind, time_map.to_episode(e.at_s),
                          str(e.data.get("title") or f"{names.get(e.participant_id, 'A speaker')} on stage"))
            for e in room.events if e.kind in (EventKind.marker, EventKind.stage_join) and time_map.is_kept(e.at_s)
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
