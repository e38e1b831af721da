"""The step lease (roomcast.runs) and the sweep (roomcast.sweep), in-process on SQLite: who may
claim a step, and which steps the sweep sends again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from roomcast.db import migrate, session_scope
from roomcast.models import PipelineRun, PipelineStep, Room, RunStatus, Show, utcnow
from roomcast.settings import get_settings


@pytest.fixture
def run_id(tmp_path, monkeypatch) -> int:  # noqa: ANN001
    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ROOMCAST_STEP_LEASE_S", "30")
    get_settings.cache_clear()
    migrate()
    with session_scope() as session:
        room = Room(show=Show(slug="s", title="S", feed_version=1), title="r")
        session.add(room)
        session.flush()
        run = PipelineRun(room_id=room.id, status=RunStatus.running, steps_total=7)
        session.add(run)
        session.flush()
        created = run.id
    yield created
    get_settings.cache_clear()


def add_step(run_id: int, name: str, status: RunStatus, age_s: float, owner: str | None = None) -> None:
    with session_scope() as session:
        session.add(PipelineStep(run_id=run_id, name=name, status=status, owner=owner,
                                 heartbeat_at=utcnow() - timedelta(seconds=age_s), resends=0))


def claim(name: str) -> bool:
    from roomcast.runs import pipeline_step

    with pipeline_step(1, name) as step:
        return not step.skipped


def test_a_queued_step_is_claimed_once(run_id: int) -> None:
    add_step(run_id, "master", RunStatus.queued, 0)
    assert claim("master")  # ran and succeeded
    assert not claim("master")  # a duplicate finds it done


def test_a_running_step_is_taken_over_only_once_its_heartbeat_stopped(run_id: int) -> None:
    add_step(run_id, "master", RunStatus.running, 5, owner="alive")
    add_step(run_id, "transcript", RunStatus.running, 31, owner="dead")
    assert not claim("master")  # its worker beat 5 s ago: a redelivery does nothing
    assert claim("transcript")


def test_a_step_without_its_row_is_not_run(run_id: int) -> None:
    assert not claim("publish")  # not ready in this run: a leftover of a replaced run


def test_the_sweep_sends_again_what_stalled_and_nothing_else(run_id: int, monkeypatch) -> None:  # noqa: ANN001
    from roomcast import sweep

    sent: list[str] = []
    monkeypatch.setattr(sweep, "send", lambda step: sent.append(step.name))
    add_step(run_id, "crosstalk", RunStatus.succeeded, 100)
    add_step(run_id, "master", RunStatus.running, 31, owner="dead")
    add_step(run_id, "transcribe:1", RunStatus.running, 2, owner="alive")
    add_step(run_id, "transcribe:2", RunStatus.queued, 31)
    add_step(run_id, "transcribe:3", RunStatus.queued, 10)
    assert sorted(sweep.resend_stalled()) == ["1:master", "1:transcribe:2"]
    assert sorted(sent) == ["master", "transcribe:2"]
    assert sweep.resend_stalled() == []  # just sent: queued again, with a fresh clock and a longer wait
    with session_scope() as session:
        master = session.query(PipelineStep).filter_by(name="master").one()
        assert (master.status, master.owner, master.resends) == (RunStatus.queued, None, 1)
