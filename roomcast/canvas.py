"""The pipeline's canvas: its tasks by name, the order they run in, and what each does in words.

This and roomcast.pipeline, which queues and advances the canvas, are the only places that name
Celery tasks; this one imports no Celery, so pages and the CLI read the canvas (the steps to
come, their words) without building the Celery app.
"""

from __future__ import annotations

from dataclasses import dataclass


def step_name(task: str, *args: int) -> str:
    """A step's row is named by its task; a step per track adds the track:
    ``transcripts.transcribe_track:12``. The room id, every task's first argument, is not in it."""
    return ":".join([task, *map(str, args)])


# The canvas's tasks. A step's row is named by its task (step_name): a step per
# track adds the track ("transcripts.transcribe_track:12").
DECIDE_CROSSTALK = "transcripts.decide_crosstalk"
TRANSCRIBE_TRACK = "transcripts.transcribe_track"
MASTER = "postprod.master_episode"  # mix, master, encode, chapters and tags: the audio is written once
BUILD_TRANSCRIPT = "transcripts.build_transcript"
BUILD_SOUNDBITES = "postprod.build_soundbites"
INDEX = "search.index_episode"
PUBLISH = "feeds.publish_episode"
FINISH = "pipeline.finish_run"  # the canvas's own end: the run is closed by it, not by a domain's task
# Outside the canvas: live transcription's rounds; housekeeping (roomcast.celery_app routes it to
# a queue of its own, behind pipeline work): bringing the index and post-production's products
# in step with the episodes.
FOLLOW_ROOM, SYNC_EPISODE = "transcripts.follow_room", "search.sync_episode"
CATCH_UP_SEARCH, CATCH_UP_POSTPROD = "search.catch_up", "postprod.catch_up"
HOUSEKEEPING = (SYNC_EPISODE, CATCH_UP_SEARCH, CATCH_UP_POSTPROD)

# What each step is doing, in words, for the CLI, the API and the episode page; a step per track is
# about one speaker. "postprod.build_chapters" is a step of runs made before chapters were mastered.
DOING = {
    DECIDE_CROSSTALK: "telling the speakers apart", TRANSCRIBE_TRACK: "transcribing", MASTER: "mixing and mastering",
    BUILD_TRANSCRIPT: "merging the transcript", BUILD_SOUNDBITES: "choosing soundbites", INDEX: "indexing for search",
    PUBLISH: "publishing", FINISH: "finishing", "postprod.build_chapters": "making chapters",
}


@dataclass(frozen=True)
class Step:
    task: str
    args: tuple[int, ...]  # the room id first
    after: tuple[str, ...]  # the names of the steps it waits for

    @property
    def name(self) -> str:
        return step_name(self.task, *self.args[1:])


def plan(room_id: int, track_ids: list[int]) -> list[Step]:
    transcribe = [Step(TRANSCRIBE_TRACK, (room_id, t), (DECIDE_CROSSTALK,)) for t in track_ids]
    produced = tuple(s.name for s in transcribe) + (MASTER,)
    return [
        Step(DECIDE_CROSSTALK, (room_id,), ()),
        *transcribe,
        Step(MASTER, (room_id,), (DECIDE_CROSSTALK,)),
        Step(BUILD_TRANSCRIPT, (room_id,), produced),
        Step(BUILD_SOUNDBITES, (room_id,), (BUILD_TRANSCRIPT,)),
        Step(INDEX, (room_id,), (BUILD_TRANSCRIPT,)),
        Step(PUBLISH, (room_id,), (BUILD_SOUNDBITES, INDEX)),
        Step(FINISH, (room_id,), (PUBLISH,)),
    ]


PIPELINE_TASKS = {s.task for s in plan(0, [0])}


def step_count(track_count: int) -> int:
    """The steps of a run over this many tracks, as the canvas has them."""
    return len(plan(0, list(range(track_count))))


def planned_steps(room_id: int, track_ids: list[int]) -> list[str]:
    """The names of a run's steps in the canvas's order (rows come into being only as steps are queued)."""
    return [s.name for s in plan(room_id, track_ids)]


def step_for(room_id: int, name: str) -> Step | None:
    """The task that does a step of a room (the sweep re-sends by name); None for a step this
    version's canvas no longer has (a run made before an upgrade)."""
    task, _, track = name.partition(":")
    if task == TRANSCRIBE_TRACK and track.isdigit():
        return Step(TRANSCRIBE_TRACK, (room_id, int(track)), (DECIDE_CROSSTALK,))
    return next((s for s in plan(room_id, []) if s.name == name), None)


def doing(name: str) -> tuple[str, str]:
    """A step in words, and the track it is about ("" for the room): ("transcribing", "12")."""
    task, _, track = name.partition(":")
    return DOING.get(task, task), track
