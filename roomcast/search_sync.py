"""Asking for an episode's index entry to be brought in step: at most one task waits per episode.

A publish or unpublish (API or CLI) asks, through ``roomcast.pipeline.sync_search``, which sends
the task when this says so; the task (search.tasks.sync_episode) deletes the request before it
reads the episode, so one task serves every request made before it ran, and a request made after
queues a task of its own. 4,500 publish/unpublish calls used to queue 4,500 tasks, and a new
room's pipeline waited minutes behind them on the embedded broker.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from roomcast.bookkeeping import SearchSyncRequest
from roomcast.db import session_scope
from roomcast.models import utcnow

STALE_REQUEST_S = 600  # a request this old whose task never ran (a lost message) is sent again


def request(episode_id: int) -> bool:
    """True if a task is to be sent now; False if one is already waiting."""
    with session_scope() as session:
        now = utcnow()
        stale = session.execute(update(SearchSyncRequest).where(
            SearchSyncRequest.episode_id == episode_id,
            SearchSyncRequest.requested_at < now - timedelta(seconds=STALE_REQUEST_S)).values(requested_at=now)).rowcount
        if not stale:
            try:
                with session.begin_nested():
                    session.add(SearchSyncRequest(episode_id=episode_id, requested_at=now))
            except IntegrityError:
                return False
    return True
