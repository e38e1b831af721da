"""The step lease (roomcast.runs) and the sweep (roomcast.sweep), in-process on SQLite: who may
claim a step, and which steps the sweep sends again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from roomcast.bookkeeping import PipelineRun, PipelineStep, RunStatus
from roomcast.db import migrate, session_scope
from roomcast.models import Room, Show, utcnow
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
    add_step(run_id, "postprod.master_episode", RunStatus.queued, 0)
    assert claim("postprod.master_episode")  # ran and succeeded
    assert not claim("postprod.master_episode")  # a duplicate finds it done


def test_a_running_step_is_taken_over_only_once_its_heartbeat_stopped(run_id: int) -> None:
    add_step(run_id, "postprod.master_episode", RunStatus.running, 5, owner="alive")
    add_step(run_id, "transcripts.build_transcript", RunStatus.running, 31, owner="dead")
    assert not claim("postprod.master_episode")  # its worker beat 5 s ago: a redelivery does nothing
    assert claim("transcripts.build_transcript")


def test_a_step_without_its_row_is_not_run(run_id: int) -> None:
    assert not claim("feeds.publish_episode")  # not ready in this run: a leftover of a replaced run


def test_the_sweep_sends_again_what_stalled_and_nothing_else(run_id: int, monkeypatch) -> None:  # noqa: ANN001
    from roomcast import sweep

    sent: list[str] = []
    monkeypatch.setattr(sweep, "send", lambda step: sent.append(step.name))
    add_step(run_id, "transcripts.decide_crosstalk", RunStatus.succeeded, 100)
    add_step(run_id, "postprod.master_episode", RunStatus.running, 31, owner="dead")
    add_step(run_id, "transcripts.transcribe_track:1", RunStatus.running, 2, owner="alive")
    add_step(run_id, "transcripts.transcribe_track:2", RunStatus.queued, 31)
    add_step(run_id, "transcripts.transcribe_track:3", RunStatus.queued, 10)
    assert sorted(sweep.resend_stalled()) == ["1:postprod.master_episode", "1:transcripts.transcribe_track:2"]
    assert sorted(sent) == ["postprod.master_episode", "transcripts.transcribe_track:2"]
    assert sweep.resend_stalled() == []  # just sent: queued again, with a fresh clock and a longer wait
    with session_scope() as session:
        master = session.query(PipelineStep).filter_by(name="postprod.master_episode").one()
        assert (master.status, master.owner, master.resends) == (RunStatus.queued, None, 1)


def test_the_sweep_passes_over_a_step_this_version_no_longer_has(run_id: int, monkeypatch) -> None:  # noqa: ANN001
    from roomcast import sweep

    sent: list[str] = []
    monkeypatch.setattr(sweep, "send", lambda step: sent.append(step.name))
    add_step(run_id, "postprod.build_chapters", RunStatus.queued, 31)  # queued before an upgrade made chapters in mastering
    add_step(run_id, "search.index_episode", RunStatus.queued, 31)
    assert sweep.resend_stalled() == ["1:search.index_episode"]
    assert sent == ["search.index_episode"]
