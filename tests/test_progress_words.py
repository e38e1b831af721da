"""Pipeline progress as a person reads it: the speaker's name, not a track id; a status said once."""

from __future__ import annotations

import pytest

from tests.conftest import Roomcast


@pytest.fixture
def produced(embedded: Roomcast, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A room with Alice and Bob, its episode, and a pipeline run mid-way: the rows a worker writes."""
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(embedded.data_dir))
    get_settings.cache_clear()
    from roomcast.bookkeeping import PipelineRun, PipelineStep, RunStatus
    from roomcast.db import migrate, new_session
    from roomcast.models import Episode, Participant, Role, Room, RoomStatus, Show, Track

    migrate()
    with new_session() as session:
        show = Show(slug="night", title="Night")
        room = Room(show=show, title="Moon talk", status=RoomStatus.ended, invited=[])
        tracks = {}
        for name in ("Alice", "Bob"):
            person = Participant(room=room, identity=name.lower(), display_name=name, role=Role.speaker)
            tracks[name] = Track(room=room, participant=person, media_key=f"{name}.opus", codec="opus",
                                 sample_rate=48_000, duration_s=10.0)
        episode = Episode(show=show, room=room, title="Moon talk")
        session.add_all([show, room, episode, *tracks.values()])
        session.flush()
        run = PipelineRun(room_id=room.id, status=RunStatus.running, steps_total=4)
        run.steps = [PipelineStep(name=f"transcripts.transcribe_track:{tracks['Alice'].id}", status=RunStatus.running),
                     PipelineStep(name=f"transcripts.transcribe_track:{tracks['Bob'].id}", status=RunStatus.succeeded, progress=1.0),
                     PipelineStep(name="postprod.master_episode", status=RunStatus.running)]
        session.add(run)
        session.commit()
        yield session, episode, run
    get_settings.cache_clear()


def test_a_running_step_is_named_for_what_it_does_and_whose_voice(produced, embedded: Roomcast) -> None:  # type: ignore[no-untyped-def]
    session, episode, run = produced
    status = embedded.run("status", str(episode.id), check=True).stdout
    assert "pipeline: running 25%  transcribing Alice, mixing and mastering" in status
    assert "transcribe:" not in status


def test_a_finished_run_says_its_status_once(produced, embedded: Roomcast) -> None:  # type: ignore[no-untyped-def]
    from roomcast.bookkeeping import RunStatus

    session, episode, run = produced
    run.status = RunStatus.succeeded
    for step in run.steps:
        step.status, step.progress = RunStatus.succeeded, 1.0
    run.steps_total = len(run.steps)
    session.commit()
    status = embedded.run("status", str(episode.id), check=True).stdout
    [line] = [line for line in status.splitlines() if "pipeline:" in line]
    assert line.strip() == "pipeline: succeeded 100%"

