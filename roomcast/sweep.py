"""The sweep: every worker, every ``sweep_every_s``, makes the broker agree with the database.

- a step whose heartbeat stopped (its worker was killed) is sent again at once after its lease;
- a step queued for a lease without being claimed (its message was lost with a worker or a
  broker restart, or the broker was down when it was sent) is sent again, and again after twice
  as long each time, so a long backlog costs a few duplicate messages, not one per sweep;
- a run whose next steps were never queued (its worker died between two steps) is advanced;
- tasks deferred while the broker was down are sent.

Each re-send is one conditional UPDATE, so of several sweeping workers only one sends it; a
duplicate that reaches a worker anyway finds the step claimed and does nothing (roomcast.runs).
It runs in a thread of its own (a Celery bootstep), so it goes on while the broker is away.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from celery import bootsteps
from sqlalchemy import func, select, update

from roomcast.bookkeeping import PipelineRun, PipelineStep, RunStatus
from roomcast.canvas import step_for
from roomcast.celery_app import celery_app
from roomcast.db import clock, database_now, session_scope
from roomcast.deferred import drain
from roomcast.pipeline import advance, restart_lost_live_loops, send, unfinished_rooms
from roomcast.runs import UNFINISHED
from roomcast.settings import get_settings

log = logging.getLogger(__name__)
MAX_BACKOFF = 32  # a queued step waits at most 32 leases between re-sends


def _open_steps() -> tuple[datetime, list[tuple[int, int, str, str, datetime | None, int]]]:
    """The database's now, and (step id, room, name, status, heartbeat, resends) of the unfinished
    steps of current runs."""
    latest = select(func.max(PipelineRun.id)).group_by(PipelineRun.room_id)
    with session_scope() as session:
        now = database_now(session)
        rows = session.execute(
            select(PipelineStep.id, PipelineRun.room_id, PipelineStep.name, PipelineStep.status,
                   PipelineStep.heartbeat_at, PipelineStep.resends)
            .join(PipelineRun, PipelineStep.run_id == PipelineRun.id)
            .where(PipelineRun.status.in_(UNFINISHED), PipelineRun.id.in_(latest),
                   PipelineStep.status.in_([RunStatus.queued, RunStatus.running]))
        ).all()
    return now, [tuple(row) for row in rows]  # type: ignore[misc]


def _overdue(status: RunStatus, heartbeat: datetime | None, resends: int, now: datetime) -> bool:
    lease = timedelta(seconds=get_settings().step_lease_s)
    if heartbeat is None:
        return True
    if status == RunStatus.queued:
        lease *= min(2 ** resends, MAX_BACKOFF)
    return heartbeat < now - lease


def _take_for_resend(step_id: int, heartbeat: datetime | None) -> bool:
    """Back to queued, unowned: True for the one sweeper whose UPDATE found the step as it saw it."""
    seen = PipelineStep.heartbeat_at.is_(None) if heartbeat is None else PipelineStep.heartbeat_at == heartbeat
    with session_scope() as session:
        return session.execute(
            update(PipelineStep).where(PipelineStep.id == step_id, seen,
                                       PipelineStep.status.in_([RunStatus.queued, RunStatus.running]))
            .values(status=RunStatus.queued, owner=None, heartbeat_at=clock(session), resends=PipelineStep.resends + 1)
        ).rowcount == 1


def resend_stalled(force: bool = False) -> list[str]:
    """Send again every step that is overdue (every open step, with ``force``: the embedded
    worker at start, which knows that no other worker exists)."""
    now, steps = _open_steps()
    resent = []
    for step_id, room_id, name, status, heartbeat, resends in steps:
        step = step_for(room_id, name)
        if step is None:
            continue  # a step of a run made before an upgrade, which this version's canvas no longer has
        if (force or _overdue(status, heartbeat, resends, now)) and _take_for_resend(step_id, heartbeat):
            log.warning("room %s: step %s %s; sending it again", room_id, name,
                        "was running when its worker stopped" if status == RunStatus.running else "was never picked up")
            send(step)
            resent.append(f"{room_id}:{name}")
    return resent


def sweep_once(force: bool = False) -> None:
    drain(celery_app)
    for room_id in unfinished_rooms():
        advance(room_id)
    resend_stalled(force)
    restart_lost_live_loops()


class Sweeper(bootsteps.StartStopStep):
    """A worker's sweep thread: started and stopped with the worker."""

    def __init__(self, parent, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, parent) -> None:  # type: ignore[no-untyped-def]
        self._thread = threading.Thread(target=self._run, name="roomcast-sweep", daemon=True)
        self._thread.start()

    def stop(self, parent) -> None:  # type: ignore[no-untyped-def]
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(get_settings().sweep_every_s):
            try:
                sweep_once()
            except Exception:  # noqa: BLE001 - the database or broker is away: next round
                log.exception("pipeline sweep")


def install(app) -> None:  # type: ignore[no-untyped-def]
    app.steps["worker"].add(Sweeper)
