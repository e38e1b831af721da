"""The task names roomcast.pipeline sends are the names the task modules register: a task moved
between packages (issue 19) must not leave a sender pointing at a name no worker knows."""

from __future__ import annotations

from roomcast import pipeline
from roomcast.celery_app import celery_app


def registered() -> set[str]:
    celery_app.loader.import_default_modules()  # what a worker imports: TASK_MODULES
    return set(celery_app.tasks)


def test_every_step_of_the_canvas_names_a_registered_task() -> None:
    steps = pipeline.plan(1, [2, 3])
    assert {s.task for s in steps} <= registered()
    assert pipeline.step_for(1, "transcribe:2").task == next(s.task for s in steps if s.name == "transcribe:2")


def test_the_tasks_sent_outside_the_canvas_are_registered() -> None:
    assert {pipeline.FOLLOW_ROOM, pipeline.SYNC_EPISODE, pipeline.CATCH_UP} <= registered()


def test_a_run_counts_the_steps_its_canvas_has() -> None:
    assert pipeline.step_count(0) == 6  # crosstalk, master, transcript, chapters, index, publish
    assert pipeline.step_count(3) == 9  # and one transcription per track
