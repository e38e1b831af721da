"""Post-production tasks: the episode's audio (mixed, mastered, encoded, with its chapters and
tags, written once) and its soundbites. Each takes the room id first, keeps its state in the
database and media store, and is safe to run again (see roomcast.runs.room_task)."""

from __future__ import annotations

import logging
import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from postprod.chapters import chapter_marks, chapters_from, to_chapters_json
from postprod.render import M4A, MP3, RenderOptions, RenderResult, TrackInput, render
from postprod.soundbites import placed_clips, soundbites
from postprod.tags import EpisodeTags, tag_m4a, tag_mp3
from postprod.waveform import to_waveform_json, write_png
from roomcast import soundbites as soundbite_product
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.lookups import episode_of_room
from roomcast.models import Episode, EpisodeStatus
from roomcast.own_speech import load_own_speech
from roomcast.runs import StepContext, room_task
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from roomcast.timemap import TimeMap, off_record_spans
from roomcast.track_sources import track_sources

log = logging.getLogger(__name__)


def _options(cuts: list[tuple[float, float]], intro: Path | None, outro: Path | None) -> RenderOptions:
    settings = get_settings()
    wanted = settings.episode_formats.split(",")
    formats = tuple(replace(f, bit_rate=settings.mp3_bitrate) if f is MP3 else f for f in (MP3, M4A) if f.extension in wanted)
    return RenderOptions(target_lufs=settings.loudness_target_lufs, ceiling_dbtp=settings.true_peak_ceiling_dbtp,
                         formats=formats, cuts=cuts, max_silence_s=settings.max_silence_s, intro=intro, outro=outro)


def _read_job(room_id: int) -> tuple[int, EpisodeTags, RenderOptions, list, dict[int, str]]:
    store = get_media_store()
    with session_scope() as session:
        episode = episode_of_room(session, room_id)
        show, room = episode.show, episode.room
        tags = EpisodeTags(episode.title, show.title, show.author, store.path(show.image_path) if show.image_path else None)
        intro = store.path(show.intro_key) if show.intro_key else None
        outro = store.path(show.outro_key) if show.outro_key else None
        events = list(room.events)  # loaded here, read after the session (nothing expires on commit)
        cuts = off_record_spans([(e.kind, e.at_s) for e in events])
        return episode.id, tags, _options(cuts, intro, outro), events, {p.id: p.display_name for p in room.participants}


def _finish_files(result: RenderResult, tags: EpisodeTags, chapters: list[dict], stem_key: str) -> dict[str, str]:
    """Tag each encoded file (the MP3 with its chapters) where it was written, then move it into place."""
    store, keys = get_media_store(), {}
    for encoded in result.files:
        if encoded.format.extension == "mp3":
            tag_mp3(encoded.path, tags, chapters)
        else:
            tag_m4a(encoded.path, tags)
        keys[encoded.format.extension] = f"{stem_key}.{encoded.format.extension}"
        os.replace(encoded.path, store.path(keys[encoded.format.extension]))
    return keys


@room_task("postprod.master_episode")
def master_episode(step: StepContext, room_id: int) -> None:
    """Level, mix, cut, master and encode the room (see postprod.render), in flat memory; its
    chapters come from the timeline placed on the mastered audio and go into the MP3 before it is
    moved into place, so the file is written once."""
    store = get_media_store()
    episode_id, tags, options, events, names = _read_job(room_id)
    stem_key = f"episodes/{episode_id}/audio"
    folder = store.path(stem_key + ".mp3").parent
    folder.mkdir(parents=True, exist_ok=True)
    own = load_own_speech(room_id)
    tracks = [TrackInput(s.speaker, s.path, s.offset_s, own.get(s.track_id)) for s in track_sources(room_id)]
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        result = render(tracks, Path(scratch) / "audio", options)
        for warning in result.warnings:
            step.warn(warning)
        step.progress(0.9)
        chapters = chapters_from(chapter_marks(events, names, result.time_map), result.duration_s)
        keys = _finish_files(result, tags, chapters, stem_key)
    chapters_key = f"episodes/{episode_id}/chapters.json" if chapters else None
    if chapters_key:
        store.write_text(chapters_key, to_chapters_json(chapters))
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
        episode.chapters_key = chapters_key
        episode.time_map = result.time_map.to_json()


def make_soundbites(episode: Episode) -> None:
    """The episode's soundbites (postprod.soundbites), from its room's clips and its transcript."""
    time_map = TimeMap.from_json(episode.time_map) or TimeMap.identity(episode.duration_s or 0.0)
    roles = {p.id: p.role for p in episode.room.participants}
    clips = placed_clips(episode.room.events, roles, time_map, episode.duration_s or time_map.episode_duration)
    segments = sorted(episode.segments, key=lambda s: s.start_s)
    made = soundbite_product.stored(soundbites(clips, segments, episode.title))
    if made != episode.soundbites and episode.status == EpisodeStatus.published:
        episode.show.touch_feed()  # produced again, or made for an episode from before they were
    episode.soundbites = made


@room_task("postprod.build_soundbites")
def build_soundbites(step: StepContext, room_id: int) -> None:
    """Soundbites on the published audio, titled by the transcript where they need a title."""
    with session_scope() as session:
        make_soundbites(episode_of_room(session, room_id))


@celery_app.task(name="postprod.catch_up")
def catch_up() -> int:
    """Produced episodes without soundbites (made before post-production made them) get theirs."""
    with session_scope() as session:
        episode_ids = list(session.scalars(select(Episode.id).where(Episode.soundbites.is_(None),
                                                                    Episode.audio_key.is_not(None))))
    for episode_id in episode_ids:
        with session_scope() as session:
            make_soundbites(session.get(Episode, episode_id))
    if episode_ids:
        log.info("soundbites made for %d episode(s) produced before they were", len(episode_ids))
    return len(episode_ids)
