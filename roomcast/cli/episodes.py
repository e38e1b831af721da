"""`import`, `status` and `rerun`: a recording made a room and its episode, followed and produced
again. They span capture, the pipeline and feeds' episode view, so they are the composition's;
`episode publish|unpublish|edit` are ``feeds.cli``'s."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from roomcast.cli import remote
from roomcast.cli.progress import Follower
from roomcast.cli.root import app
from roomcast.commands import FINAL_STATUSES, fail, stderr, text_option
from roomcast.db import migrate, session_scope
from roomcast.errors import UserError
from roomcast.remote_api import Remote, Server, Token
from roomcast.settings import get_settings
from roomcast.text import Line, Prose


@app.command("import")
def import_(
    slug: Annotated[str, typer.Argument(help="The show the episode belongs to.")],
    title: Annotated[str, typer.Option(help="The episode's title.", callback=text_option(Line(255, 1)))],
    track: Annotated[list[str], typer.Option(help="NAME=PATH: one audio file per speaker, all starting together.")],
    description: Annotated[str, typer.Option(help="Show notes.", callback=text_option(Prose()))] = "",
    marker: Annotated[list[str] | None, typer.Option(help="TIME=TITLE: a new topic there (a chapter).")] = None,
    clip: Annotated[list[str] | None, typer.Option(help="TIME+SECONDS[=TITLE]: a soundbite.")] = None,
    off_record: Annotated[list[str] | None, typer.Option(help="START-END: cut from the audio, transcript and search.")] = None,
    wait: Annotated[bool, typer.Option(help="Return once the episode is produced.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with the episode as one JSON line.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
    server: Server = None,
    token: Token = None,
) -> None:
    """Import a multitrack recording as a finished room and produce its episode (with --server:
    the tracks are uploaded to that server)."""
    if server:
        _remote_import(Remote(server, token), slug, title, track, description, marker or [], clip or [],
                       off_record or [], wait, as_json, timeout)
        return
    from capture.imports import (
        discard_archive,
        import_recording,
        parse_clip_option,
        parse_marker_option,
        parse_off_record_option,
        parse_track_option,
    )
    from roomcast.pipeline import dispatch, prepare_run

    migrate()
    room_id: int | None = None
    try:
        tracks = [parse_track_option(value) for value in track]
        marks = [parse_marker_option(v) for v in marker or []] + [parse_clip_option(v) for v in clip or []]
        marks += [mark for v in off_record or [] for mark in parse_off_record_option(v)]
        with session_scope() as session:
            room = import_recording(session, slug, title, tracks, description, marks)
            room_id = room.id
            episode_id = prepare_run(session, room).id
    except UserError as error:
        if room_id is not None:
            discard_archive(room_id)
        fail(str(error))
    except BaseException:
        if room_id is not None:
            discard_archive(room_id)
        raise
    dispatch(room_id)  # a broker that is down delays it: the sweep queues it once the broker is back
    stderr.print(f"imported {len(track)} tracks as room {room_id}; episode {episode_id} is being produced", highlight=False)
    status = _wait_for(episode_id, timeout) if wait else None
    view = _episode_json(episode_id)
    if as_json:
        typer.echo(json.dumps(view))
    else:
        typer.echo(f"episode {episode_id}: {view['status']}  {view['page_url']}")
    if status == "review":
        from roomcast.tokens import mint_media_token

        # A read-only token for a link that lands in terminals, histories and logs (it manages nothing).
        review = f"{view['page_url']}?token={mint_media_token(slug, hours=24)}"
        stderr.print(f"held for review: listen at {review} then `roomcast episode publish {episode_id}`", highlight=False, soft_wrap=True)
    if status == "failed":
        fail(f"the pipeline failed: {view['pipeline']['error'] if view['pipeline'] else 'unknown error'}", code=1)


def _remote_import(server: Remote, slug: str, title: str, tracks: list[str], description: str,
                   markers: list[str], clips: list[str], off_record: list[str], wait: bool, as_json: bool,
                   timeout: float) -> None:
    imported = remote.import_recording(server, slug, title, tracks, description, markers, clips, off_record)
    episode_id = imported["episode_id"]
    stderr.print(f"imported {len(tracks)} tracks as room {imported['room_id']}; episode {episode_id} is being "
                 "produced", highlight=False)
    view = remote.wait_for(server, episode_id, timeout) if wait else remote.episode(server, episode_id)
    view["room_id"] = imported["room_id"]
    typer.echo(json.dumps(view) if as_json else f"episode {episode_id}: {view['status']}  {view['page_url']}")
    if view["status"] == "review":
        stderr.print(f"held for review: `roomcast episode publish {episode_id} --server ...` publishes it",
                     highlight=False, soft_wrap=True)
    if wait and view["status"] == "failed":
        fail(f"the pipeline failed: {(view.get('pipeline') or {}).get('error') or 'unknown error'}", code=1)


def _episode_json(episode_id: int) -> dict:
    from feeds.episodes import episode_view
    from roomcast.models import Episode
    from roomcast.runs import current_run

    with session_scope() as session:
        episode = session.get(Episode, episode_id)
        view = episode_view(episode, current_run(session, episode.room_id)).model_dump(mode="json")
        return {**view, "room_id": episode.room_id}  # what `roomcast rerun` takes


def _wait_for(episode_id: int, timeout: float) -> str:
    """Follow the pipeline with a progress bar; start a worker for the while if none runs."""
    from roomcast import embedded

    settings = get_settings()
    helper = None
    if settings.broker_is_embedded and not embedded.worker_running():
        stderr.print("no worker is running here; starting one until this episode is done", highlight=False)
        helper = embedded.spawn_worker(quiet=True)
        try:
            embedded.wait_until_ready(helper)
        except RuntimeError:
            pass  # another worker took the lock first: it will do the work
    deadline = time.monotonic() + timeout
    try:
        with Follower() as follower:
            while True:
                view = _episode_json(episode_id)
                pipeline = view["pipeline"] or {}
                follower.update(pipeline.get("stage", "queued"), pipeline.get("progress", 0.0))
                # Done once the run is closed too (its last step follows the publishing one).
                if view["status"] in FINAL_STATUSES and pipeline.get("status") not in ("queued", "running"):
                    return view["status"]
                if helper is not None and helper.poll() is not None and not embedded.worker_running():
                    fail("the worker stopped before the episode was done; see its log with `roomcast worker`", code=1)
                if time.monotonic() > deadline:
                    fail(f"episode {episode_id} not done after {timeout:.0f} s (it goes on in the background; "
                         f"`roomcast rerun {view['room_id']}` starts it afresh)", code=1)
                time.sleep(0.5)
    finally:
        if helper is not None:
            embedded.stop_worker(helper)


@app.command()
def status(
    episode: Annotated[int, typer.Argument(help="Episode id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the episode as one JSON line.")] = False,
    server: Server = None,
    token: Token = None,
) -> None:
    """Show an episode's status, links and pipeline progress."""
    from roomcast.models import Episode

    if server:
        view = remote.episode(Remote(server, token), episode)
    else:
        migrate()
        with session_scope() as session:
            if session.get(Episode, episode) is None:
                fail(f"no episode {episode}")
        view = _episode_json(episode)
    if as_json:
        typer.echo(json.dumps(view))
        return
    pipeline = view["pipeline"] or {}
    typer.echo(f"episode {episode} ({view['title']}): {view['status']}")
    stage = pipeline.get("stage", "")  # what runs now; once nothing runs, it is the status again
    doing = f"  {stage}" if stage and stage != pipeline.get("status") else ""
    typer.echo(f"  pipeline: {pipeline.get('status')} {pipeline.get('progress', 0) * 100:.0f}%{doing}")
    for warning in pipeline.get("warnings", []):
        typer.echo(f"  warning: {warning}")
    if pipeline.get("error"):
        typer.echo(f"  error: {pipeline['error']}")
    if "room_id" in view:  # not over --server: rerunning is the servers' operator's
        typer.echo(f"  room: {view['room_id']}  (`roomcast rerun {view['room_id']}` produces it again)")
    typer.echo(f"  page: {view['page_url']}")


@app.command()
def rerun(room: Annotated[int, typer.Argument(help="Room id.")]) -> None:
    """Produce a room's episode again (after a failure, or with new settings)."""
    from roomcast.pipeline import rerun as rerun_room

    migrate()
    try:
        rerun_room(room)
    except LookupError as error:
        fail(str(error))
    except Exception as error:
        fail(f"the pipeline of room {room} could not be queued ({error})", code=1)
    typer.echo(f"room {room}: pipeline dispatched")
