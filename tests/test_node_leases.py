"""Node leases on the real PostgreSQL: a dead node's room is claimed by exactly one of the nodes
racing for it, and never while its node is alive or has no lease (an older version)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from roomcast.bookkeeping import Node
from roomcast.db import engine_for
from roomcast.models import Room, RoomStatus, Show, utcnow
from tests.scaleout import settings_on_postgres

pytestmark = pytest.mark.scaleout


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:  # noqa: ANN001
    with settings_on_postgres(monkeypatch, tmp_path, ROOMCAST_NODE_LEASE_S="30") as url:
        yield url


def add_room(url: str, node: str, heartbeat_age_s: float | None) -> int:
    """A live room served by ``node``, whose last heartbeat is that old (None: no lease row)."""
    with Session(engine_for(url)) as session, session.begin():
        room = Room(show=Show(slug=f"s-{node}", title="S"), title="R", status=RoomStatus.live, sfu_node=node,
                    started_at=utcnow())
        session.add(room)
        if heartbeat_age_s is not None:
            session.add(Node(name=node, instance="i", home="h", host="elsewhere", pid=1, started_at=utcnow(),
                             heartbeat_at=utcnow() - timedelta(seconds=heartbeat_age_s)))
        session.flush()
        return room.id


def test_of_eight_nodes_racing_for_a_dead_nodes_room_one_wins(database: str) -> None:
    from capture.recovery import claim

    room_id = add_room(database, "dead", heartbeat_age_s=60)
    start, won = threading.Barrier(8), []

    def race(me: str) -> None:
        start.wait()
        if claim(room_id, "dead", me):
            won.append(me)

    threads = [threading.Thread(target=race, args=(f"n{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    with Session(engine_for(database)) as session:
        room = session.get(Room, room_id)
        assert (room.status, room.sfu_node, room.ended_at) == (RoomStatus.interrupted, won[0], None)


def test_a_live_nodes_room_and_a_room_of_a_node_without_a_lease_are_left_alone(database: str) -> None:
    from capture.recovery import claim, take_over_lost_rooms

    alive = add_room(database, "alive", heartbeat_age_s=1)
    old_version = add_room(database, "old", heartbeat_age_s=None)
    assert not claim(alive, "alive", "me") and not claim(old_version, "old", "me")
    assert take_over_lost_rooms() == []
    with Session(engine_for(database)) as session:
        assert {session.get(Room, i).status for i in (alive, old_version)} == {RoomStatus.live}
