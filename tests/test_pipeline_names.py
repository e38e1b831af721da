"""The task names roomcast.pipeline sends are the names the task modules register: a task moved
between packages (issue 19) must not leave a sender pointing at a name no worker knows. A step's
row is named by its task, and the canvas ends with its own finishing task."""

from __future__ import annotations

from roomcast import canvas, pipeline
from roomcast.celery_app import celery_app


def registered() -> set[str]:
    celery_app.loader.import_default_modules()  # what a worker imports: TASK_MODULES
    return set(celery_app.tasks)


def test_every_step_of_the_canvas_names_a_registered_task_and_is_named_by_it() -> None:
    steps = pipeline.plan(1, [2, 3])
    assert {s.task for s in steps} <= registered()
    assert [s.name for s in steps] == [
        "transcripts.decide_crosstalk", "transcripts.transcribe_track:2", "transcripts.transcribe_track:3",
        "postprod.master_episode", "transcripts.build_transcript", "postprod.build_soundbites", "search.index_episode",
        "feeds.publish_episode", "pipeline.finish_run",
    ]
    assert steps[-1].task == canvas.FINISH and steps[-1].after == (canvas.PUBLISH,)  # nothing after it
    assert canvas.step_for(1, "transcripts.transcribe_track:2") == steps[1]


def test_the_tasks_sent_outside_the_canvas_are_registered() -> None:
    assert {canvas.FOLLOW_ROOM, *canvas.HOUSEKEEPING} <= registered()


def test_a_run_counts_the_steps_its_canvas_has() -> None:
    assert pipeline.step_count(0) == len(pipeline.plan(1, [])) == 7
    assert pipeline.step_count(3) == 10  # and one transcription per track


def test_a_step_the_canvas_no_longer_has_is_known_in_words_and_never_sent() -> None:
    assert canvas.step_for(1, "postprod.build_chapters") is None  # a run from before chapters were mastered
    assert canvas.doing("postprod.build_chapters") == ("making chapters", "")
    assert canvas.doing("transcripts.transcribe_track:12") == ("transcribing", "12")
