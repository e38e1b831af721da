"""A live room's repeating work: one chain of rounds per room and loop.

Live transcription and captions are rounds that each send the next (with a countdown) while the
room is live. A message the broker delivers twice (a worker lost mid-round, a visibility
timeout) would start a second chain beside the first, and both would run every round until the
room ended. So each round's message carries its loop's generation and the round's number, and
the round runs only if it takes the loop's row from the round before: one conditional UPDATE,
which a duplicate finds done. A loop whose rounds stopped (its message lost with a broker) may
be started again once its last round is ``STALE_S`` old: the new generation's rounds then run,
and a late message of the old one finds its generation gone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from roomcast.bookkeeping import LiveLoop
from roomcast.db import clock, database_now, session_scope
from roomcast.models import Room, RoomStatus

STALE_S = 60.0  # far longer than a round takes; a dead loop is started again after this


def start(room_id: int, name: str) -> str | None:
    """A new generation of the room's loop, or None while another one is going on."""
    generation = uuid.uuid4().hex
    try:
        with session_scope() as session:
            session.add(LiveLoop(room_id=room_id, name=name, generation=generation, round=0, beat_at=clock(session)))
        return generation
    except IntegrityError:
        pass
    with session_scope() as session:
        stale = database_now(session) - timedelta(seconds=STALE_S)
        taken = session.execute(
            update(LiveLoop).where(LiveLoop.room_id == room_id, LiveLoop.name == name, LiveLoop.beat_at < stale)
            .values(generation=generation, round=0, beat_at=clock(session))
        ).rowcount
    return generation if taken == 1 else None


def take(room_id: int, name: str, generation: str, number: int) -> bool:
    """Whether this message is the loop's round ``number`` (after round ``number - 1``) and runs."""
    with session_scope() as session:
        return session.execute(
            update(LiveLoop).where(LiveLoop.room_id == room_id, LiveLoop.name == name,
                                   LiveLoop.generation == generation, LiveLoop.round == number - 1)
            .values(round=number, beat_at=clock(session))
        ).rowcount == 1


def lost_loops() -> list[tuple[int, str]]:
    """(room, loop) of live rooms whose last round is STALE_S old: its next message was lost."""
    with session_scope() as session:
        stale = database_now(session) - timedelta(seconds=STALE_S)
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(LiveLoop.room_id, LiveLoop.name).join(Room, Room.id == LiveLoop.room_id)
            .where(Room.status == RoomStatus.live, LiveLoop.beat_at < stale))]
