"""Episodes as the API, the CLI and the pages show them, and what a creator does with them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import object_session

from feeds.rss import feed_url
from roomcast.bookkeeping import PipelineRun, RunStatus
from roomcast.canvas import doing
from roomcast.errors import Conflict, UserError
from roomcast.links import link
from roomcast.models import Episode, EpisodeStatus, utcnow
from roomcast.storage import get_media_store
from roomcast.text import clean_line, clean_text


class PipelineView(BaseModel):
    status: str
    stage: str
    progress: float
    warnings: list[str]
    error: str | None


class EpisodeView(BaseModel):
    id: int
    guid: str
    show: str
    title: str
    status: str
    duration_s: float | None
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    page_url: str
    feed_url: str
    audio_url: str | None
    transcripts: dict[str, str]
    chapters_url: str | None
    waveform_url: str | None
    published_at: datetime | None
    pipeline: PipelineView | None


def episode_view(episode: Episode, run: PipelineRun | None, access: str | None = None) -> EpisodeView:
    """``access``: a feed or creator token that media URLs must carry (private shows, reviews)."""
    store = get_media_store()
    listenable = episode.status == EpisodeStatus.published or access is not None

    def url(key: str | None) -> str | None:
        if key is None or not listenable:
            return None
        return store.url(key) + (f"?token={access}" if access else "")

    return EpisodeView(
        id=episode.id,
        guid=episode.guid,
        show=episode.show.slug,
        title=episode.title,
        status=episode.status.value,
        duration_s=episode.duration_s,
        loudness_lufs=episode.loudness_lufs,
        true_peak_dbtp=episode.true_peak_dbtp,
        page_url=link("episode_page", episode_id=episode.id),
        feed_url=feed_url(episode.show),
        audio_url=url(episode.audio_key),
        transcripts={ext: url(k) for ext, k in (episode.transcript_keys or {}).items()} if listenable else {},
        chapters_url=url(episode.chapters_key),
        waveform_url=url(episode.waveform_key),
        published_at=episode.published_at,
        pipeline=PipelineView(
            status=run.status.value, stage=stage_label(run, episode), progress=round(run.progress, 3),
            warnings=run.warnings, error=run.error,
        )
        if run
        else None,
    )


def speaker_labels(episode: Episode) -> dict[str, str]:
    """Track id -> its speaker's name; one who has several tracks (they left the stage and came
    back) gets "Gus, part 2", so three steps do not all read "transcribing Gus"."""
    tracks = sorted(episode.room.tracks, key=lambda track: track.id)
    counts: dict[int, int] = {}
    for track in tracks:
        counts[track.participant_id] = counts.get(track.participant_id, 0) + 1
    labels, seen = {}, {}
    for track in tracks:
        name = track.participant.display_name
        seen[track.participant_id] = seen.get(track.participant_id, 0) + 1
        labels[str(track.id)] = f"{name}, part {seen[track.participant_id]}" if counts[track.participant_id] > 1 else name
    return labels


def step_words(name: str, speakers: dict[str, str]) -> str:
    """"transcribing Alice" rather than "transcripts.transcribe_track:12"."""
    words, track = doing(name)
    return f"{words} {speakers.get(track, track)}".strip()


def stage_label(run: PipelineRun, episode: Episode) -> str:
    """"transcribing Alice, mixing and mastering": the steps running now."""
    speakers = speaker_labels(episode)
    running = [step_words(step.name, speakers) for step in run.steps if step.status == RunStatus.running]
    return ", ".join(running) or run.status.value


# --- what a creator can do with an episode ---------------------------------------------


def publish(episode: Episode) -> None:
    """From review (or unpublished) into the feed. The first publication keeps its date."""
    if episode.status not in (EpisodeStatus.review, EpisodeStatus.unpublished, EpisodeStatus.published):
        raise Conflict(f"episode {episode.id} is {episode.status.value}; only a produced episode can be published")
    if episode.status != EpisodeStatus.published:
        episode.status = EpisodeStatus.published
        episode.published_at = episode.published_at or utcnow()
        episode.show.touch_feed()


def unpublish(episode: Episode) -> None:
    """Out of the feed, the pages and search; the archive and the produced files stay."""
    if episode.status != EpisodeStatus.published:
        raise Conflict(f"episode {episode.id} is {episode.status.value}, not published")
    episode.status = EpisodeStatus.unpublished
    episode.show.touch_feed()


def set_published(episode: Episode, published: bool) -> None:
    """Publish or unpublish, for the API and the CLI alike: committed, then search is brought in
    step (its task reads the episode from the database; hidden at once regardless). With the
    broker down the sync is deferred (roomcast.deferred), never an error for a committed change."""
    from roomcast.pipeline import sync_search  # not at import: it builds the Celery app

    (publish if published else unpublish)(episode)
    object_session(episode).commit()
    sync_search(episode.id)


def edit(episode: Episode, title: str | None = None, description: str | None = None) -> None:
    if title is not None:
        cleaned = clean_line(title)
        if not cleaned:
            raise UserError("an episode needs a title")
        episode.title = cleaned
    if description is not None:
        episode.description = clean_text(description)
    episode.show.touch_feed()
