"""How an episode is shown to the API, the CLI and the pages: status, links, pipeline progress."""

from __future__ import annotations

from pydantic import BaseModel

from feeds.rss import feed_url
from roomcast.models import Episode, EpisodeStatus, PipelineRun
from roomcast.settings import get_settings
from roomcast.storage import get_media_store


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
    pipeline: PipelineView | None


def episode_view(episode: Episode, run: PipelineRun | None) -> EpisodeView:
    store, base = get_media_store(), get_settings().public_base_url
    published = episode.status == EpisodeStatus.published
    return EpisodeView(
        id=episode.id,
        guid=episode.guid,
        show=episode.show.slug,
        title=episode.title,
        status=episode.status.value,
        duration_s=episode.duration_s,
        loudness_lufs=episode.loudness_lufs,
        true_peak_dbtp=episode.true_peak_dbtp,
        page_url=f"{base}/episodes/{episode.id}",
        feed_url=feed_url(base, episode.show),
        audio_url=store.url(episode.audio_key) if episode.audio_key and published else None,
        transcripts={ext: store.url(k) for ext, k in (episode.transcript_keys or {}).items()} if published else {},
        pipeline=PipelineView(
            status=run.status.value, stage=run.stage, progress=round(run.progress, 3), warnings=run.warnings, error=run.error
        )
        if run
        else None,
    )
