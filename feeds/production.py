"""An episode on its way, as everyone who was in the room may follow it: the steps, a fraction
done, and what happens at the end (published, or held for the host's review).

This is public for public shows: it says what is being done and for whom, never a file or an
error's text (those stay the creator's, as the episode's own files do until it is published).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from feeds.episodes import speaker_labels, step_words
from roomcast.bookkeeping import PipelineRun, RunStatus
from roomcast.canvas import planned_steps
from roomcast.links import link
from roomcast.models import Episode, EpisodeStatus

OUTCOMES = {
    EpisodeStatus.processing: "Being produced",
    EpisodeStatus.review: "Held for review: the host publishes it after listening",
    EpisodeStatus.published: "Published",
    EpisodeStatus.failed: "Production failed: the host can run it again",
}


class StepView(BaseModel):
    name: str = Field(description="In words: 'transcribing Alice'.")
    status: str = Field(description="waiting, running, done or failed.")
    progress: float


class ProductionView(BaseModel):
    episode_id: int
    room_id: int
    title: str
    status: str = Field(description="processing, review, published or failed.")
    summary: str = Field(description="The status in words.")
    progress: float = Field(description="0 to 1, over every step.")
    steps: list[StepView]
    episode_url: str | None = Field(description="The episode page, once it is published.")


def _step_status(status: RunStatus | None) -> str:
    return {RunStatus.running: "running", RunStatus.succeeded: "done", RunStatus.failed: "failed"}.get(status, "waiting")


def production_view(episode: Episode, run: PipelineRun | None) -> ProductionView:
    speakers = speaker_labels(episode)
    rows = {step.name: step for step in run.steps} if run else {}
    # Rows come into being only as steps are queued: the ones to come are the canvas's.
    names = planned_steps(episode.room_id, sorted(track.id for track in episode.room.tracks))
    names += [name for name in rows if name not in names]
    finished = episode.status != EpisodeStatus.processing and episode.status != EpisodeStatus.failed
    steps = []
    for name in names:
        row = rows.get(name)
        status = "done" if finished else _step_status(row.status if row else None)
        progress = 1.0 if status == "done" else (row.progress if row else 0.0)
        steps.append(StepView(name=step_words(name, speakers), status=status, progress=round(progress, 3)))
    done = sum(step.progress for step in steps) / len(steps)
    published = episode.status == EpisodeStatus.published
    return ProductionView(
        episode_id=episode.id, room_id=episode.room_id, title=episode.title, status=episode.status.value,
        summary=OUTCOMES.get(episode.status, episode.status.value), progress=round(1.0 if finished else done, 3),
        steps=steps, episode_url=link("episode_page", episode_id=episode.id) if published else None,
    )
