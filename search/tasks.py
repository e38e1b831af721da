"""Indexing a published episode's transcript."""

from __future__ import annotations

from sqlalchemy import select

from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode
from roomcast.runs import RoomTask, pipeline_step
from search.backends import backend_for


@celery_app.task(name="search.index_episode", base=RoomTask)
def index_episode(room_id: int) -> None:
    with pipeline_step(room_id, "index") as step:
        if step.skipped:
            return
        with session_scope() as session:
            episode = session.scalars(select(Episode).where(Episode.room_id == room_id)).one()
            backend_for(session).index_episode(session, episode.id)
