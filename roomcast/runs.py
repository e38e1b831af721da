"""Pipeline-run bookkeeping that every task shares.

A task wraps its work in :func:`pipeline_step`. The step's row records start, progress,
warnings and the end; a step that already succeeded in the room's current run is skipped,
which is what makes a redelivered or re-dispatched task harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from celery import Task
from sqlalchemy import select

from roomcast.db import session_scope
from roomcast.models import Episode, EpisodeStatus, PipelineRun, PipelineStep, RunStatus, utcnow

log = logging.getLogger(__name__)
PROGRESS_WRITE_INTERVAL_S = 1.0


@dataclass
class StepContext:
    """Handed to the body of a step: report progress and warnings as the work goes."""

    step_id: int
    skipped: bool = False
    warnings: list[str] = field(default_factory=list)
    _last_progress_write: float = 0.0

    def warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)
        with session_scope() as session:
            step = session.get(PipelineStep, self.step_id)
            if step is not None:
                step.warnings = list(self.warnings)

    def progress(self, fraction: float) -> None:
        if time.monotonic() - self._last_progress_write < PROGRESS_WRITE_INTERVAL_S:
            return  # the database need not hear of every segment
        self._last_progress_write = time.monotonic()
        with session_scope() as session:
            step = session.get(PipelineStep, self.step_id)
            if step is not None:
                step.progress = max(0.0, min(1.0, fraction))


def current_run(session, room_id: int) -> PipelineRun | None:  # type: ignore[no-untyped-def]
    return session.scalars(
        select(PipelineRun).where(PipelineRun.room_id == room_id).order_by(PipelineRun.id.desc()).limit(1)
    ).first()


def _open_step(room_id: int, name: str) -> StepContext:
    with session_scope() as session:
        run = current_run(session, room_id)
        if run is None:
            raise LookupError(f"room {room_id} has no pipeline run")
        step = session.scalars(
            select(PipelineStep).where(PipelineStep.run_id == run.id, PipelineStep.name == name)
        ).first()
        if step is not None and step.status == RunStatus.succeeded:
            return StepContext(step.id, skipped=True)
        if step is None:
            step = PipelineStep(run_id=run.id, name=name)
            session.add(step)
        step.status, step.progress, step.warnings, step.finished_at = RunStatus.running, 0.0, [], None
        if run.status == RunStatus.queued:
            run.status = RunStatus.running
        session.flush()
        return StepContext(step.id)


def _close_step(context: StepContext, status: RunStatus) -> None:
    with session_scope() as session:
        step = session.get(PipelineStep, context.step_id)
        step.status, step.finished_at = status, utcnow()
        if status == RunStatus.succeeded:
            step.progress = 1.0


@contextmanager
def pipeline_step(room_id: int, name: str) -> Iterator[StepContext]:
    context = _open_step(room_id, name)
    if context.skipped:
        log.info("step %s of room %s already done; skipping", name, room_id)
        yield context
        return
    try:
        yield context
    except BaseException:
        _close_step(context, RunStatus.failed)
        raise
    _close_step(context, RunStatus.succeeded)


def finish_run(room_id: int, status: RunStatus, error: str | None = None) -> None:
    with session_scope() as session:
        run = current_run(session, room_id)
        if run is not None:
            run.status, run.error, run.finished_at = status, error, utcnow()


class RoomTask(Task):
    """Base class of pipeline tasks (first argument: the room id): a failure fails the run."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):  # type: ignore[no-untyped-def]
        if args:
            finish_run(int(args[0]), RunStatus.failed, f"{self.name}: {exc}")
            _mark_episode_failed(int(args[0]))


def _mark_episode_failed(room_id: int) -> None:
    with session_scope() as session:
        episode = session.scalars(select(Episode).where(Episode.room_id == room_id)).first()
        if episode is not None and episode.status == EpisodeStatus.processing:
            episode.status = EpisodeStatus.failed
