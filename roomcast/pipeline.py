"""The post-production pipeline, keyed by the room, driven by the database.

                         transcribe each track ┐                        ┌→ soundbites ┐
    decide crosstalk  →  master the mix        ┘→ build the transcript ─┤             ├→ publish → finish
                         (chapters and tags)                            └→ index it   ┘

The crosstalk decision (which track carries its own speaker when) gates both the words that
are transcribed and the mix. Mastering decides the time map (cuts, shortened silences) that the
transcript, the chapters and the soundbites are placed on; the chapters are made and tagged into
the audio while it is mastered, so it is written once. Soundbites untitled are titled by the
transcript's words. The last step, this module's own, closes the run.

Tasks are referenced by name, so this module wires the domain packages without importing them,
and it is the only place that names them: capture, feeds and the CLI call the functions here
(:func:`dispatch`, :func:`start_live_transcription`, :func:`sync_search`). The database, not the
broker, is the record of what must run, in both modes: when a step succeeds, :func:`advance`
reads which steps are now ready and queues each one (its row first, so two callers never queue
it twice). Nothing waits on the result backend, so a broker restart loses no stage; a message
that was lost (a killed worker, a restarted broker) is sent again by the sweep (roomcast.sweep),
and a step that already succeeded, or runs elsewhere, is skipped (see roomcast.runs).
"""

from __future__ import annotations

import logging

from celery.signals import task_postrun, worker_ready
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast import live_loops, search_sync
from roomcast.bookkeeping import PipelineRun, RunStatus
from roomcast.canvas import (CATCH_UP_POSTPROD, CATCH_UP_SEARCH, FINISH, FOLLOW_ROOM, PIPELINE_TASKS, SYNC_EPISODE, Step, plan,
                             step_count)
from roomcast.celery_app import celery_app
from roomcast.db import session_scope
from roomcast.lookups import episode_of_room
from roomcast.models import Episode, EpisodeStatus, Room, Track
from roomcast.runs import UNFINISHED, StepContext, add_queued_step, current_run, finish_run, room_task
from roomcast.settings import get_settings

log = logging.getLogger(__name__)
CAPTION_ROOM = "transcripts.caption_room"

def send(step: Step) -> None:
    """Queue a step's task. A broker that is down is not this caller's failure: the row says the
    step is queued, and the sweep sends it again once its lease has run out."""
    try:
        celery_app.send_task(step.task, args=list(step.args))
    except Exception as error:  # noqa: BLE001 - the broker's errors vary by transport
        log.warning("step %s not queued now (%s); the sweep sends it again", step.name, error)


def prepare_run(session: Session, room: Room) -> Episode:
    """Create the room's episode and a queued run in the caller's transaction."""
    episode = episode_of_room(session, room.id)
    if episode is None:
        episode = Episode(show=room.show, room=room, title=room.title, description=room.description,
                          language=room.show.language, status=EpisodeStatus.processing)
        session.add(episode)
    session.add(PipelineRun(room_id=room.id, status=RunStatus.queued, steps_total=step_count(len(room.tracks))))
    session.flush()
    return episode


def advance(room_id: int) -> list[str]:
    """Queue every step of the room's current run whose predecessors have all succeeded."""
    with session_scope() as session:
        run = current_run(session, room_id)
        if run is None or run.status not in UNFINISHED:
            return []
        known = {s.name for s in run.steps}
        done = {s.name for s in run.steps if s.status == RunStatus.succeeded}
        track_ids = list(session.scalars(select(Track.id).where(Track.room_id == room_id).order_by(Track.id)))
        run_id = run.id
    ready = [s for s in plan(room_id, track_ids) if s.name not in known and all(a in done for a in s.after)]
    queued = [s for s in ready if add_queued_step(run_id, s.name)]
    for step in queued:
        send(step)
    return [s.name for s in queued]


def dispatch(room_id: int) -> None:
    queued = advance(room_id)
    log.info("pipeline of room %s dispatched (%s)", room_id, ", ".join(queued) or "nothing ready")


LIVE_LOOPS = {"follow": FOLLOW_ROOM, "captions": CAPTION_ROOM}  # roomcast.live_loops' names: their tasks


def restart_lost_live_loops() -> list[str]:
    """Live rooms whose rounds stopped (a round's message lost with a worker or the broker):
    started again. A loop still going on refuses the start (roomcast.live_loops)."""
    restarted = []
    for room_id, loop in live_loops.lost_loops():
        if loop in LIVE_LOOPS:
            log.warning("room %s: live %s stopped; starting it again", room_id, loop)
            celery_app.send_task(LIVE_LOOPS[loop], args=[room_id])
            restarted.append(f"{room_id}:{loop}")
    return restarted


def start_live_transcription(room_id: int) -> None:
    """Live transcription of a room that has just begun, and its captions: their rounds go on while
    the room is live."""
    celery_app.send_task(FOLLOW_ROOM, args=[room_id])
    if get_settings().live_captions:
        celery_app.send_task(CAPTION_ROOM, args=[room_id])


def sync_search(episode_id: int) -> bool:
    """Bring the episode's index entry in step (after a publish or unpublish): at most one task
    waits per episode (roomcast.search_sync). True if one was queued now."""
    if not search_sync.request(episode_id):
        return False
    celery_app.send_task(SYNC_EPISODE, args=[episode_id])
    return True


@room_task(FINISH)
def finish(step: StepContext, room_id: int) -> None:
    """The canvas's last step: the run succeeded (a duplicate finds its step done and does nothing)."""
    finish_run(room_id, RunStatus.succeeded)


@worker_ready.connect
def _catch_up_at_start(sender=None, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    """A worker starts: the index, and post-production's products, gain what they lack (a lost
    index directory, an upgrade, a lost sync)."""
    celery_app.send_task(CATCH_UP_SEARCH)
    celery_app.send_task(CATCH_UP_POSTPROD)


@task_postrun.connect
def _next_steps(sender=None, args=None, state=None, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    """A step's task ended well: the steps that waited for it may now be ready."""
    if sender is None or sender.name not in PIPELINE_TASKS or state != "SUCCESS" or not args:
        return
    try:
        advance(int(args[0]))
    except Exception:  # noqa: BLE001 - the sweep advances this run later
        log.exception("advancing the pipeline of room %s", args[0])


def unfinished_rooms() -> list[int]:
    with session_scope() as session:
        runs = session.scalars(select(PipelineRun).where(PipelineRun.status.in_(UNFINISHED))).all()
        return sorted({run.room_id for run in runs if current_run(session, run.room_id).id == run.id})


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
