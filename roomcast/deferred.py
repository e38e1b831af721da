"""Tasks that could not be queued while the broker was down, kept in the database until it is back.

``RoomcastCelery.send_task`` puts them here; every worker's sweep (roomcast.sweep) sends them,
oldest first, as soon as a send succeeds. Every such task is idempotent (it reads the database
when it runs), so one sent twice, or late, is harmless.
"""

from __future__ import annotations

import logging

from celery import Celery
from sqlalchemy import delete, select

from roomcast.bookkeeping import DeferredTask
from roomcast.db import session_scope

log = logging.getLogger(__name__)
BATCH = 100


def defer(name: str, args: list) -> None:
    with session_scope() as session:
        session.add(DeferredTask(name=name, args=args))


def drain(celery_app: Celery) -> int:
    """Send what was deferred through ``celery_app`` (whose ``send_task`` defers anew and answers
    None while the broker is down); stops at the first send refused. Returns how many went."""
    with session_scope() as session:
        pending = [(t.id, t.name, t.args) for t in session.scalars(select(DeferredTask).order_by(DeferredTask.id).limit(BATCH))]
    sent = 0
    for task_id, name, args in pending:
        # Deleted before it is sent, in its own transaction: two sweeping workers never both send it.
        with session_scope() as session:
            if session.execute(delete(DeferredTask).where(DeferredTask.id == task_id)).rowcount != 1:
                continue
        if celery_app.send_task(name, args=args) is None:  # the broker is still down: deferred anew
            break
        sent += 1
    if sent:
        log.info("sent %d task(s) deferred while the broker was down", sent)
    return sent
