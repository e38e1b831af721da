"""Pipeline-run bookkeeping that every task shares.

A task wraps its work in :func:`pipeline_step`, through the :func:`room_task` decorator. The
step's row is the step's lease: the task claims it (one atomic UPDATE: only a queued step, or a
running one whose heartbeat stopped, can be claimed), keeps ``heartbeat_at`` fresh while it
works, and records progress, warnings and the end. A redelivered or re-sent message finds the
step claimed or done and does nothing, which is what makes duplicates harmless; the sweep
(roomcast.sweep) re-sends a step whose heartbeat stopped.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import Task
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roomcast.bookkeeping import PipelineRun, PipelineStep, RunStatus
from roomcast.canvas import step_name
from roomcast.db import clock, session_scope
from roomcast.lookups import episode_of_room
from roomcast.models import EpisodeStatus, utcnow
from roomcast.settings import get_settings

log = logging.getLogger(__name__)
PROGRESS_WRITE_INTERVAL_S = 1.0
UNFINISHED = (RunStatus.queued, RunStatus.running)


@dataclass
class StepContext:
    """Handed to the body of a step: report progress and warnings as the work goes."""

    step_id: int
    owner: str = ""
    skipped: bool = False
    warnings: list[str] = field(default_factory=list)
    _last_progress_write: float = 0.0

    def warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)
        self._write(warnings=list(self.warnings))

    def progress(self, fraction: float) -> None:
        if time.monotonic() - self._last_progress_write < PROGRESS_WRITE_INTERVAL_S:
            return  # the database need not hear of every segment
        self._last_progress_write = time.monotonic()
        self._write(progress=max(0.0, min(1.0, fraction)))

    def beat(self) -> bool:
        """Renew the lease; False once another worker holds it (this one was taken for dead)."""
        return self._write()

    def _write(self, **values: object) -> bool:
        with session_scope() as session:
            result = session.execute(
                update(PipelineStep).where(PipelineStep.id == self.step_id, PipelineStep.owner == self.owner)
                .values(heartbeat_at=clock(session), **values)
            )
            return result.rowcount == 1


def current_run(session, room_id: int) -> PipelineRun | None:  # type: ignore[no-untyped-def]
    return session.scalars(
        select(PipelineRun).where(PipelineRun.room_id == room_id).order_by(PipelineRun.id.desc()).limit(1)
    ).first()


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def add_queued_step(run_id: int, name: str) -> bool:
    """The step's row, queued: True for the one caller that created it (the unique key decides)."""
    try:
        with session_scope() as session:
            session.add(PipelineStep(run_id=run_id, name=name, status=RunStatus.queued, progress=0.0,
                                     warnings=[], heartbeat_at=clock(session), resends=0))
        return True
    except IntegrityError:
        return False


def lease_expired_before(session: Session) -> Any:
    return clock(session) - timedelta(seconds=get_settings().step_lease_s)


def _claim(room_id: int, name: str) -> StepContext | None:
    """The step's lease for this task, or None when it is done or in another live worker's hands."""
    with session_scope() as session:
        run = current_run(session, room_id)
        if run is None:
            raise LookupError(f"room {room_id} has no pipeline run (is another deployment sharing this broker? "
                              "see ROOMCAST_QUEUE_PREFIX)")
        if run.status not in UNFINISHED:
            return None
        run_id = run.id
    # A step without a row is not ready in this run (a message left over from a run that a rerun
    # replaced): doing it now would put stale work into the new run. The sweep queues it in turn.
    owner = new_owner()
    with session_scope() as session:
        claimable = or_(PipelineStep.status == RunStatus.queued,
                        (PipelineStep.status == RunStatus.running) & (PipelineStep.heartbeat_at < lease_expired_before(session)))
        claimed = session.execute(
            update(PipelineStep).where(PipelineStep.run_id == run_id, PipelineStep.name == name, claimable)
            .values(status=RunStatus.running, owner=owner, heartbeat_at=clock(session), started_at=utcnow(),
                    progress=0.0, warnings=[], finished_at=None)
        ).rowcount == 1
        if not claimed:
            return None
        session.execute(update(PipelineRun).where(PipelineRun.id == run_id, PipelineRun.status == RunStatus.queued)
                        .values(status=RunStatus.running))
        step_id = session.scalars(select(PipelineStep.id).where(PipelineStep.run_id == run_id,
                                                                PipelineStep.name == name)).one()
    return StepContext(step_id, owner)


def _close_step(context: StepContext, status: RunStatus) -> None:
    values: dict[str, object] = {"status": status, "finished_at": utcnow()}
    if status == RunStatus.succeeded:
        values["progress"] = 1.0
    if not context._write(**values):
        log.warning("step %s ended here after another worker took it over", context.step_id)


@contextmanager
def _heartbeat(context: StepContext) -> Iterator[None]:
    """A thread renews the lease while the body works (a body may go minutes without progress)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(get_settings().step_heartbeat_s):
            try:
                if not context.beat():
                    log.warning("step %s: lease taken over by another worker", context.step_id)
            except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again
                log.exception("heartbeat of step %s", context.step_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{context.step_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def pipeline_step(room_id: int, name: str) -> Iterator[StepContext]:
    context = _claim(room_id, name)
    if context is None:
        log.info("step %s of room %s is done or running elsewhere; skipping", name, room_id)
        yield StepContext(0, skipped=True)
        return
    try:
        with _heartbeat(context):
            yield context
    except BaseException:
        _close_step(context, RunStatus.failed)
        raise
    _close_step(context, RunStatus.succeeded)


def room_step(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A task body run as the room's step of the task ``name`` (see :func:`pipeline_step`), or not
    at all when the step is done or runs elsewhere. The body gets the step first, then the task's
    arguments (the room id first); the task keeps the arguments alone, as Celery checks them."""

    def decorate(body: Callable[..., None]) -> Callable[..., None]:
        def run(room_id: int, *args: int) -> None:
            with pipeline_step(room_id, step_name(name, *args)) as step:
                if not step.skipped:
                    body(step, room_id, *args)

        # Not functools.wraps: Celery would read the body's signature (step first) through
        # __wrapped__. The task's own is the body's without the step, so Celery checks its calls.
        run.__name__, run.__qualname__, run.__doc__ = body.__name__, body.__qualname__, body.__doc__
        run.__module__ = body.__module__
        parameters = list(inspect.signature(body).parameters.values())[1:]
        run.__signature__ = inspect.signature(body).replace(parameters=parameters)  # type: ignore[attr-defined]
        return run

    return decorate


def room_task(name: str) -> Callable[[Callable[..., None]], Any]:
    """A pipeline task: registered with Celery as ``name`` and run as the room's step of that
    name (:func:`room_step`), failing the run if it fails (:class:`RoomTask`). One name for the
    task and its step row, so neither can drift from the other."""

    def decorate(body: Callable[..., None]) -> Any:
        from roomcast.celery_app import celery_app  # task modules only: web code imports this module

        return celery_app.task(name=name, base=RoomTask)(room_step(name)(body))

    return decorate


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
        episode = episode_of_room(session, room_id)
        if episode is not None and episode.status == EpisodeStatus.processing:
            episode.status = EpisodeStatus.failed
