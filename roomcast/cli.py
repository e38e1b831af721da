"""The `roomcast` command line: run the server and workers, create shows, import recordings.

Errors caused by the input are one line on stderr and exit code 2; the JSON asked for with
``--json`` is always the last line of stdout, and progress goes to stderr.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from roomcast.db import migrate, session_scope
from roomcast.errors import UserError
from roomcast.settings import get_settings

app = typer.Typer(help="roomcast: live audio rooms that become podcast episodes.", no_args_is_help=True, add_completion=False)
show_app = typer.Typer(help="Create and list shows (podcasts).", no_args_is_help=True)
app.add_typer(show_app, name="show")
stderr = Console(stderr=True)

FINAL_STATUSES = {"published", "review", "failed", "unpublished"}


def fail(message: str, code: int = 2) -> NoReturn:
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web server (API, feeds, pages) and, in the embedded mode, its worker."""
    import uvicorn

    from roomcast import embedded
    from roomcast.app import create_app

    settings = get_settings()
    migrate()
    worker = None
    # uvicorn re-raises the SIGTERM it handled once it has shut down; turned into SystemExit,
    # it lets the `finally` below stop the worker instead of killing this process outright.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if settings.broker_is_embedded and settings.embedded_worker and not embedded.worker_running():
            worker = embedded.spawn_worker()
            embedded.wait_until_ready(worker)
        stderr.print(f"roomcast on http://{host}:{port}  data: {settings.resolved_data_dir}", highlight=False)
        uvicorn.run(create_app(), host=host, port=port, log_level="info")
    except RuntimeError as error:
        fail(str(error), code=1)
    finally:
        if worker is not None:
            embedded.stop_worker(worker)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Tasks run at once (threads).")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
) -> None:
    """Run a pipeline worker (the embedded one, or one of many in the scale-out mode)."""
    from roomcast import embedded
    from roomcast.celery_app import celery_app
    from roomcast.pipeline import redispatch_unfinished

    settings = get_settings()
    migrate()
    argv = ["worker", "--pool=threads", f"--concurrency={concurrency or settings.worker_concurrency}", f"--loglevel={loglevel}"]
    if not settings.broker_is_embedded:
        celery_app.worker_main(argv)
        return
    try:
        with embedded.worker_lock():
            # The only worker of this data directory: the database says what must run, so
            # the queue is rebuilt from it (messages of a killed worker are not redelivered).
            celery_app.control.purge()
            resumed = redispatch_unfinished()
            if resumed:
                stderr.print(f"resuming the pipeline of rooms {resumed}", highlight=False)
            celery_app.worker_main(argv + ["--without-gossip", "--without-mingle", "--without-heartbeat"])
    except embedded.WorkerAlreadyRunning as error:
        fail(str(error))


@show_app.command("create")
def show_create(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. 'night-owls'.")],
    title: Annotated[str, typer.Option(help="The show's title.")],
    author: Annotated[str | None, typer.Option(help="Author shown in podcast apps.")] = None,
    language: Annotated[str, typer.Option(help="Language code, e.g. en, fr, es, nl.")] = "en",
    description: Annotated[str, typer.Option(help="What the show is about.")] = "",
    image: Annotated[Path | None, typer.Option(help="Artwork, PNG or JPEG (1400-3000 px square).")] = None,
) -> None:
    """Create a show: the podcast whose feed its rooms' episodes are published in."""
    from feeds.shows import create_show

    migrate()
    try:
        with session_scope() as session:
            show = create_show(session, slug, title, author=author, language=language, description=description, image=image)
            feed = f"{get_settings().public_base_url}/shows/{show.slug}/feed.xml"
    except UserError as error:
        fail(str(error))
    typer.echo(f"created show {slug}; feed: {feed}")


@show_app.command("list")
def show_list() -> None:
    """List the shows."""
    from sqlalchemy import select

    from roomcast.models import Show

    migrate()
    with session_scope() as session:
        for show in session.scalars(select(Show).order_by(Show.slug)):
            typer.echo(f"{show.slug}\t{show.title}\t{len(show.episodes)} episodes")


@app.command("import")
def import_(
    slug: Annotated[str, typer.Argument(help="The show the episode belongs to.")],
    title: Annotated[str, typer.Option(help="The episode's title.")],
    track: Annotated[list[str], typer.Option(help="NAME=PATH: one audio file per speaker, all starting together.")],
    description: Annotated[str, typer.Option(help="Show notes.")] = "",
    wait: Annotated[bool, typer.Option(help="Return once the episode is published.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with the episode as one JSON line.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
) -> None:
    """Import a multitrack recording as a finished room and produce its episode."""
    from capture.imports import discard_archive, import_recording, parse_track_option
    from roomcast.pipeline import dispatch, prepare_run

    migrate()
    room_id: int | None = None
    try:
        tracks = [parse_track_option(value) for value in track]
        with session_scope() as session:
            room = import_recording(session, slug, title, tracks, description)
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
    try:
        dispatch(room_id)
    except Exception as error:  # the broker is down: the room and episode are kept
        fail(f"episode {episode_id} is saved but its pipeline could not be queued ({error}); "
             f"run `roomcast rerun {room_id}` once the broker is back", code=1)
    stderr.print(f"imported {len(track)} tracks as room {room_id}; episode {episode_id} is being produced", highlight=False)
    status = _wait_for(episode_id, timeout) if wait else None
    view = _episode_json(episode_id)
    if as_json:
        typer.echo(json.dumps(view))
    else:
        typer.echo(f"episode {episode_id}: {view['status']}  {view['page_url']}")
    if status == "failed":
        fail(f"the pipeline failed: {view['pipeline']['error'] if view['pipeline'] else 'unknown error'}", code=1)


def _episode_json(episode_id: int) -> dict:
    from feeds.episodes import episode_view
    from roomcast.models import Episode
    from roomcast.runs import current_run

    with session_scope() as session:
        episode = session.get(Episode, episode_id)
        return episode_view(episode, current_run(session, episode.room_id)).model_dump()


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
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), console=stderr, transient=not sys.stderr.isatty()) as progress:
            bar = progress.add_task("queued", total=1.0)
            while True:
                view = _episode_json(episode_id)
                pipeline = view["pipeline"] or {}
                progress.update(bar, completed=pipeline.get("progress", 0.0), description=pipeline.get("stage", "queued"))
                if view["status"] in FINAL_STATUSES:
                    return view["status"]
                if helper is not None and helper.poll() is not None and not embedded.worker_running():
                    fail("the worker stopped before the episode was done; see its log with `roomcast worker`", code=1)
                if time.monotonic() > deadline:
                    fail(f"episode {episode_id} not done after {timeout:.0f} s (it goes on in the background)", code=1)
                time.sleep(0.5)
    finally:
        if helper is not None:
            embedded.stop_worker(helper)


@app.command()
def status(
    episode: Annotated[int, typer.Argument(help="Episode id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the episode as one JSON line.")] = False,
) -> None:
    """Show an episode's status, links and pipeline progress."""
    from roomcast.models import Episode

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
    typer.echo(f"  pipeline: {pipeline.get('status')} {pipeline.get('progress', 0) * 100:.0f}%  {pipeline.get('stage', '')}")
    for warning in pipeline.get("warnings", []):
        typer.echo(f"  warning: {warning}")
    if pipeline.get("error"):
        typer.echo(f"  error: {pipeline['error']}")
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


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
