"""The post-production pipeline as one Celery canvas, keyed by the room.

                           transcribe each track ┐
    decide crosstalk  →    master the mix        ┘→ build the transcript → chapters → index it → publish the episode

The crosstalk decision (which track carries its own speaker when) gates both the words that
are transcribed and the mix. Mastering decides the time map (cuts, shortened silences) that the transcript and the
chapters are placed on.

Tasks are referenced by name, so this module wires the domain packages without importing
them. The database, not the broker, is the record of what must run: a run that never
finished (its worker was killed, its message lost) is dispatched again, and the steps that
already succeeded are skipped (see roomcast.runs).
"""

from __future__ import annotations

import logging

from celery import chain, group
from celery.canvas import Signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.models import Episode, EpisodeStatus, PipelineRun, Room, RunStatus, Track
from roomcast.runs import current_run

log = logging.getLogger(__name__)


def _task(name: str, *args: int) -> Signature:
    return celery_app.signature(name, args=args, immutable=True)


def build_canvas(room_id: int, track_ids: list[int]) -> Signature:
    produce = group(
        *[_task("postprod.transcribe_track", room_id, track_id) for track_id in track_ids],
        _task("postprod.master_episode", room_id),
    )
    return chain(
        _task("postprod.decide_crosstalk", room_id),
        produce,
        _task("postprod.build_transcript", room_id),
        _task("postprod.build_chapters", room_id),
        _task("search.index_episode", room_id),
        _task("feeds.publish_episode", room_id),
    )


def step_count(track_count: int) -> int:
    return track_count + 6  # crosstalk, one transcription per track, master, chapters, transcript, index, publish


def prepare_run(session: Session, room: Room) -> Episode:
    """Create the room's episode and a queued run in the caller's transaction."""
    episode = session.scalars(select(Episode).where(Episode.room_id == room.id)).first()
    if episode is None:
        episode = Episode(show=room.show, room=room, title=room.title, description=room.description,
                          language=room.show.language, status=EpisodeStatus.processing)
        session.add(episode)
    session.add(PipelineRun(room_id=room.id, status=RunStatus.queued, steps_total=step_count(len(room.tracks))))
    session.flush()
    return episode


def dispatch(room_id: int) -> None:
    with session_scope() as session:
        track_ids = list(session.scalars(select(Track.id).where(Track.room_id == room_id).order_by(Track.id)))
    build_canvas(room_id, track_ids).apply_async()
    log.info("pipeline of room %s dispatched (%d tracks)", room_id, len(track_ids))


def unfinished_rooms() -> list[int]:
    with session_scope() as session:
        runs = session.scalars(
            select(PipelineRun).where(PipelineRun.status.in_([RunStatus.queued, RunStatus.running]))
        ).all()
        return sorted({run.room_id for run in runs if current_run(session, run.room_id).id == run.id})


def redispatch_unfinished() -> list[int]:
    """Dispatch every unfinished run again. Only safe where no other worker is working on them."""
    rooms = unfinished_rooms()
    for room_id in rooms:
        dispatch(room_id)
    return rooms


def rerun(room_id: int) -> None:
    """Start a fresh run for a room (after a failure, or to re-produce it)."""
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None:
            raise LookupError(f"no room {room_id}")
        episode = prepare_run(session, room)
        if episode.status == EpisodeStatus.failed:
            episode.status = EpisodeStatus.processing
    dispatch(room_id)
