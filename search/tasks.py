"""Keeping the index in step with what is published.

Every change goes through ``sync``: it reads the episode from the database and makes the index
agree (indexed if published, absent otherwise), so it is idempotent and any order of publish,
unpublish and re-production ends right. The pipeline's ``index`` step, the publish and unpublish
actions (through ``roomcast.pipeline.sync_search``, one waiting task per episode) and a worker's
start (``catch_up``, sent by roomcast.pipeline) all call it.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from roomcast.bookkeeping import SearchSyncRequest
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.lookups import episode_of_room
from roomcast.models import Episode
from roomcast.runs import StepContext, room_task
from search.backends import backend_for
from search.backends.base import INDEXABLE_SQL, INDEXABLE_STATUSES

log = logging.getLogger(__name__)


def sync(session: Session, episode_id: int) -> int:
    """Index a published episode (or one about to be), or take it out; returns the segments indexed."""
    episode = session.get(Episode, episode_id)
    backend = backend_for(session)
    if episode is not None and episode.status.value in INDEXABLE_STATUSES:
        return backend.index_episode(session, episode_id)
    backend.remove_episode(session, episode_id)
    return 0


@room_task("search.index_episode")
def index_episode(step: StepContext, room_id: int) -> None:
    with session_scope() as session:
        sync(session, episode_of_room(session, room_id).id)


@celery_app.task(name="search.sync_episode")
def sync_episode(episode_id: int) -> int:
    with session_scope() as session:  # first: a request made from now on queues a task of its own
        session.execute(delete(SearchSyncRequest).where(SearchSyncRequest.episode_id == episode_id))
    with session_scope() as session:
        return sync(session, episode_id)


@celery_app.task(name="search.catch_up")
def catch_up() -> int:
    """Index what the index lacks: a lost or new index directory, an upgrade, a sync that never ran."""
    with session_scope() as session:
        backend = backend_for(session)
        stale = session.execute(text(
            "SELECT DISTINCT ts.episode_id FROM transcript_segments ts JOIN episodes e ON e.id = ts.episode_id "
            f"WHERE ({INDEXABLE_SQL}) != ts.indexed"
        )).scalars().all()
        lost = getattr(backend, "document_count", lambda: 1)() == 0 and session.execute(
            text("SELECT 1 FROM transcript_segments WHERE indexed LIMIT 1")).first() is not None  # a new directory
        if lost:
            log.warning("the search index is empty but segments are marked indexed: rebuilding it")
            return backend.reindex(session)
        for episode_id in stale:
            sync(session, episode_id)
        return len(stale)
