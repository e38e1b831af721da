"""A live room's rounds (roomcast.live_loops): one chain per room and loop, whatever the broker
delivers twice; a chain whose messages were lost is started again by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from roomcast import live_loops
from roomcast.bookkeeping import LiveLoop
from roomcast.db import migrate, session_scope
from roomcast.models import Room, RoomStatus, Show, utcnow
from roomcast.settings import get_settings


@pytest.fixture
def room_id(tmp_path, monkeypatch) -> int:  # noqa: ANN001
    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    migrate()
    with session_scope() as session:
        room = Room(show=Show(slug="s", title="S", feed_version=1), title="r", status=RoomStatus.live)
        session.add(room)
        session.flush()
        created = room.id
    yield created
    get_settings.cache_clear()


def age(room_id: int, seconds: float) -> None:
    with session_scope() as session:
        session.execute(update(LiveLoop).where(LiveLoop.room_id == room_id)
                        .values(beat_at=utcnow() - timedelta(seconds=seconds)))


def test_each_round_runs_once_and_a_second_start_is_refused(room_id: int) -> None:
    generation = live_loops.start(room_id, "captions")
    assert generation
    assert live_loops.start(room_id, "captions") is None  # the loop goes on: no second chain
    assert live_loops.start(room_id, "follow")  # another loop of the room is its own
    assert live_loops.take(room_id, "captions", generation, 1)
    assert not live_loops.take(room_id, "captions", generation, 1)  # round 1 delivered twice
    assert not live_loops.take(room_id, "captions", generation, 3)  # never out of order
    assert live_loops.take(room_id, "captions", generation, 2)


def test_a_lost_loop_is_started_again_and_its_late_messages_do_nothing(room_id: int) -> None:
    old = live_loops.start(room_id, "follow")
    assert live_loops.take(room_id, "follow", old, 1)
    assert live_loops.lost_loops() == []
    age(room_id, live_loops.STALE_S + 1)  # round 2's message was lost
    assert live_loops.lost_loops() == [(room_id, "follow")]
    new = live_loops.start(room_id, "follow")
    assert new and new != old
    assert not live_loops.take(room_id, "follow", old, 2)  # the lost message turns up after all
    assert live_loops.take(room_id, "follow", new, 1)


def test_the_loops_of_an_ended_room_are_not_started_again(room_id: int) -> None:
    live_loops.start(room_id, "follow")
    age(room_id, live_loops.STALE_S + 1)
    with session_scope() as session:
        session.get(Room, room_id).status = RoomStatus.ended
    assert live_loops.lost_loops() == []
