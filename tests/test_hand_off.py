"""A room goes to the pipeline once (capture.archive.hand_to_pipeline), even when two nodes hand
it over at the same moment: in scale-out mode, the node that took a frozen node's room over and
the frozen node, resumed, both did (a suite run under load: two runs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaleout import settings_on_postgres

pytestmark = pytest.mark.scaleout
ROOMS = 12


@pytest.fixture
def postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with settings_on_postgres(monkeypatch, tmp_path / "data", ROOMCAST_LIVE_TRANSCRIPTION="false"):
        yield


def ended_room_with_a_track(number: int) -> int:
    from live.rooms import open_room
    from roomcast.db import session_scope
    from roomcast.models import Participant, RoomStatus, Show, Track

    with session_scope() as session:
        room = open_room(session, Show(slug=f"handed-{number}", title="Handed"), "Handed")
        person = Participant(room=room, identity="hank", display_name="Hank")
        session.add(Track(room=room, participant=person, media_key=f"rooms/{number}/a.opus", codec="opus",
                          sample_rate=48_000, duration_s=5.0, size_bytes=1000))
        room.status = RoomStatus.interrupted
        session.flush()
        return room.id


def test_two_nodes_handing_a_room_over_at_once_start_one_run(postgres: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import roomcast.pipeline
    from capture.archive import hand_to_pipeline
    from roomcast.bookkeeping import PipelineRun
    from roomcast.db import session_scope

    monkeypatch.setattr(roomcast.pipeline, "dispatch", lambda room_id: None)  # no broker here: the rows are the point
    rooms = [ended_room_with_a_track(number) for number in range(ROOMS)]
    failures: list[Exception] = []
    for room_id in rooms:
        together = threading.Barrier(2)

        def hand_over(room_id: int = room_id) -> None:
            together.wait()
            try:
                hand_to_pipeline(room_id)
            except Exception as error:  # noqa: BLE001 - whatever it is, a node's hand-off failed
                failures.append(error)

        nodes = [threading.Thread(target=hand_over) for _ in range(2)]
        for node in nodes:
            node.start()
        for node in nodes:
            node.join(30)
    with session_scope() as session:
        runs = {room_id: session.query(PipelineRun).filter_by(room_id=room_id).count() for room_id in rooms}
    assert runs == {room_id: 1 for room_id in rooms}
    assert failures == []
