"""The `roomcast` command line: run the server and workers, create shows, import recordings.

Errors caused by the input are one line on stderr and exit code 2; the JSON asked for with
``--json`` is always the last line of stdout, and progress goes to stderr.
"""

from __future__ import annotations

import enum
import json
import logging
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from roomcast.db import migrate, session_scope
from roomcast.errors import UserError
from roomcast.settings import get_settings
from roomcast.text import Line, Prose, check_text

app = typer.Typer(help="roomcast: live audio rooms that become podcast episodes.", no_args_is_help=True, add_completion=False)
show_app = typer.Typer(help="Create and list shows (podcasts).", no_args_is_help=True)
app.add_typer(show_app, name="show")
token_app = typer.Typer(help="Mint signed, expiring tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
feed_token_app = typer.Typer(help="Personal feed URLs of a private show's subscribers.", no_args_is_help=True)
app.add_typer(feed_token_app, name="feed-token")
episode_app = typer.Typer(help="Review, publish, unpublish and edit episodes.", no_args_is_help=True)
app.add_typer(episode_app, name="episode")
room_app = typer.Typer(help="Open or schedule live rooms.", no_args_is_help=True)
app.add_typer(room_app, name="room")
search_app = typer.Typer(help="The transcript search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")
stderr = Console(stderr=True)

FINAL_STATUSES = {"published", "review", "failed", "unpublished"}


def fail(message: str, code: int = 2) -> NoReturn:
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _text(kind):  # type: ignore[no-untyped-def]
    """An option's callback: the text cleaned and checked by the one rule of ``roomcast.text``,
    as the API's models do; what breaks it is one error line naming the option."""
    def check(param: typer.CallbackParam, value: str | None) -> str | None:
        try:
            return check_text(kind, value)
        except ValueError as error:
            fail(f"--{param.name.replace('_', '-')}: {error}")
    return check


@contextmanager
def command_session() -> Iterator[Session]:
    """A command's unit of work: the database migrated, committed at the end, and bad
    input turned into one error line (nothing is committed then)."""
    migrate()
    try:
        with session_scope() as session:
            yield session
    except UserError as error:
        fail(str(error))


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
        if settings.broker_is_embedded and settings.embedded_worker:
            embedded.wait_for_orphaned_worker()
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


Category = Annotated[str | None, typer.Option(help="Apple Podcasts category, e.g. 'Science'.", callback=_text(Line(64)))]
Subcategory = Annotated[str | None, typer.Option(help="Apple Podcasts sub-category, e.g. 'Astronomy'.", callback=_text(Line(64)))]
Explicit = Annotated[bool | None, typer.Option("--explicit/--clean", help="Whether episodes are explicit.")]
OwnerName = Annotated[str | None, typer.Option(help="Owner's name (itunes:owner).", callback=_text(Line(255)))]
OwnerEmail = Annotated[str | None, typer.Option(help="Owner's e-mail (itunes:owner, podcast:locked).", callback=_text(Line(255)))]
Review = Annotated[bool | None, typer.Option("--review/--auto-publish", help="Hold new episodes for review, or publish them at once.")]
Private = Annotated[bool | None, typer.Option("--private/--public", help="Private: only subscribers with their own feed URL.")]
Image = Annotated[Path | None, typer.Option(help="Artwork, PNG or JPEG, square, 1400-3000 px.")]


class OnOff(str, enum.Enum):
    on = "on"
    off = "off"


def _show_settings(title, author, language, description, category, subcategory, explicit, owner_name, owner_email,
                   review, private):  # type: ignore[no-untyped-def]
    from feeds.shows import ShowSettings
    from roomcast.models import PublishMode

    mode = None if review is None else (PublishMode.review if review else PublishMode.auto)
    return ShowSettings(title=title, author=author, language=language, description=description, category=category,
                        subcategory=subcategory, explicit=explicit, owner_name=owner_name, owner_email=owner_email,
                        publish_mode=mode, private=private)


@show_app.command("create")
def show_create(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. 'night-owls'.")],
    title: Annotated[str, typer.Option(help="The show's title.", callback=_text(Line(255, 1)))],
    author: Annotated[str | None, typer.Option(help="Author shown in podcast apps.", callback=_text(Line(255)))] = None,
    language: Annotated[str, typer.Option(help="Language code, e.g. en, fr, es, nl.")] = "en",
    description: Annotated[str, typer.Option(help="What the show is about.", callback=_text(Prose()))] = "",
    image: Image = None,
    category: Category = None,
    subcategory: Subcategory = None,
    explicit: Explicit = None,
    owner_name: OwnerName = None,
    owner_email: OwnerEmail = None,
    review: Review = None,
    private: Private = None,
) -> None:
    """Create a show: the podcast whose feed its rooms' episodes are published in."""
    from feeds.shows import create_show

    settings = _show_settings(title, author, language, description, category, subcategory, explicit, owner_name,
                              owner_email, review, private)
    with command_session() as session:
        show = create_show(session, slug, settings, image)
        feed = f"{get_settings().public_base_url}/shows/{show.slug}/feed.xml"
    typer.echo(f"created show {slug}; feed: {feed}" + (" (private: subscribers get their own URL)" if private else ""))


@show_app.command("update")
def show_update(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str | None, typer.Option(help="The show's title.", callback=_text(Line(255, 1)))] = None,
    author: Annotated[str | None, typer.Option(help="Author shown in podcast apps.", callback=_text(Line(255)))] = None,
    language: Annotated[str | None, typer.Option(help="Language code.")] = None,
    description: Annotated[str | None, typer.Option(help="What the show is about.", callback=_text(Prose()))] = None,
    image: Image = None,
    category: Category = None,
    subcategory: Subcategory = None,
    explicit: Explicit = None,
    owner_name: OwnerName = None,
    owner_email: OwnerEmail = None,
    review: Review = None,
    private: Private = None,
    intro: Annotated[Path | None, typer.Option(help="Audio crossfaded before every new episode (at most 2 min).")] = None,
    outro: Annotated[Path | None, typer.Option(help="Audio crossfaded after every new episode (at most 2 min).")] = None,
    noise_suppression: Annotated[OnOff | None, typer.Option(
        help="Ask guests' browsers to suppress microphone noise (echo cancellation is always on).")] = None,
) -> None:
    """Change a show's settings; its feed follows at once."""
    from feeds.shows import apply_settings, set_artwork, set_jingle

    settings = _show_settings(title, author, language, description, category, subcategory, explicit, owner_name,
                              owner_email, review, private)
    if noise_suppression is not None:
        settings.noise_suppression = noise_suppression == OnOff.on
    with command_session() as session:
        show = _find_show(session, slug)
        apply_settings(show, settings)
        if image is not None:
            set_artwork(show, image)
        for which, path in (("intro", intro), ("outro", outro)):
            if path is not None:
                set_jingle(show, which, path)
    typer.echo(f"updated show {slug}")


def _find_show(session, slug: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from roomcast.errors import NotFound
    from roomcast.models import Show

    show = session.scalars(select(Show).where(Show.slug == slug)).first()
    if show is None:
        raise NotFound(f"no show {slug!r}")
    return show


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
    title: Annotated[str, typer.Option(help="The episode's title.", callback=_text(Line(255, 1)))],
    track: Annotated[list[str], typer.Option(help="NAME=PATH: one audio file per speaker, all starting together.")],
    description: Annotated[str, typer.Option(help="Show notes.", callback=_text(Prose()))] = "",
    marker: Annotated[list[str] | None, typer.Option(help="TIME=TITLE: a new topic there (a chapter).")] = None,
    clip: Annotated[list[str] | None, typer.Option(help="TIME+SECONDS[=TITLE]: a soundbite.")] = None,
    off_record: Annotated[list[str] | None, typer.Option(help="START-END: cut from the audio, transcript and search.")] = None,
    wait: Annotated[bool, typer.Option(help="Return once the episode is produced.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with the episode as one JSON line.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
) -> None:
    """Import a multitrack recording as a finished room and produce its episode."""
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
    if status == "review":
        from roomcast.tokens import mint_creator_token

        review = f"{view['page_url']}?token={mint_creator_token(slug, days=1)}"
        stderr.print(f"held for review: listen at {review} then `roomcast episode publish {episode_id}`", highlight=False, soft_wrap=True)
    if status == "failed":
        fail(f"the pipeline failed: {view['pipeline']['error'] if view['pipeline'] else 'unknown error'}", code=1)


def _episode_json(episode_id: int) -> dict:
    from feeds.episodes import episode_view
    from roomcast.models import Episode
    from roomcast.runs import current_run

    with session_scope() as session:
        episode = session.get(Episode, episode_id)
        return episode_view(episode, current_run(session, episode.room_id)).model_dump(mode="json")


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
    stage = pipeline.get("stage", "")  # what runs now; once nothing runs, it is the status again
    doing = f"  {stage}" if stage and stage != pipeline.get("status") else ""
    typer.echo(f"  pipeline: {pipeline.get('status')} {pipeline.get('progress', 0) * 100:.0f}%{doing}")
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


@token_app.command("creator")
def token_creator(
    slug: Annotated[str, typer.Argument(help="The show the token manages.")],
    days: Annotated[int | None, typer.Option(help="Days until it expires.")] = None,
) -> None:
    """A creator token for the API (Authorization: Bearer …) and for reviewing unpublished media."""
    from roomcast.tokens import mint_creator_token

    with command_session() as session:
        _find_show(session, slug)
    if days is not None and days <= 0:
        fail("--days must be positive")
    typer.echo(mint_creator_token(slug, days))


@feed_token_app.command("create")
def feed_token_create(
    slug: Annotated[str, typer.Argument(help="The show.")],
    label: Annotated[str, typer.Option(help="Who this feed URL is for.", callback=_text(Line(255, 1)))],
) -> None:
    """Make a subscriber's personal feed URL (shown once)."""
    from feeds.feed_tokens import create_feed_token

    with command_session() as session:
        show = _find_show(session, slug)
        token, secret = create_feed_token(session, show, label)
        token_id = token.id
    typer.echo(f"feed token {token_id} for {label}: {get_settings().public_base_url}/shows/{slug}/feed.xml?token={secret}")


@feed_token_app.command("list")
def feed_token_list(slug: Annotated[str, typer.Argument(help="The show.")]) -> None:
    """List a show's feed tokens."""
    with command_session() as session:
        for token in _find_show(session, slug).feed_tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            typer.echo(f"{token.id}\t{token.label}\t{state}")


@feed_token_app.command("revoke")
def feed_token_revoke(
    slug: Annotated[str, typer.Argument(help="The show.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (see `feed-token list`).")],
) -> None:
    """Stop a subscriber's feed URL from working."""
    from feeds.feed_tokens import revoke_feed_token

    with command_session() as session:
        revoke_feed_token(session, _find_show(session, slug), token_id)
    typer.echo(f"feed token {token_id} revoked")


def _episode_action(episode_id: int, action) -> None:  # type: ignore[no-untyped-def]
    from roomcast.models import Episode

    with command_session() as session:
        episode = session.get(Episode, episode_id)
        if episode is None:
            fail(f"no episode {episode_id}")
        action(episode)
        status = episode.status.value
    typer.echo(f"episode {episode_id}: {status}")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database (everything published)."""
    import time

    from search.backend import backend_for

    started = time.monotonic()
    with command_session() as session:
        typer.echo("re-indexing every published transcript…")
        count = backend_for(session).reindex(session)
    typer.echo(f"indexed {count} segments in {time.monotonic() - started:.1f} s")


def _sync_search(episode_id: int) -> None:
    from roomcast.celery_app import celery_app

    celery_app.send_task("search.sync_episode", args=[episode_id])


@episode_app.command("publish")
def episode_publish(episode: Annotated[int, typer.Argument(help="Episode id.")]) -> None:
    """Publish an episode held for review (or unpublished)."""
    from feeds.episodes import publish

    _episode_action(episode, publish)
    _sync_search(episode)


@episode_app.command("unpublish")
def episode_unpublish(episode: Annotated[int, typer.Argument(help="Episode id.")]) -> None:
    """Take an episode out of the feed and pages; its archive stays."""
    from feeds.episodes import unpublish

    _episode_action(episode, unpublish)
    _sync_search(episode)


@episode_app.command("edit")
def episode_edit(
    episode: Annotated[int, typer.Argument(help="Episode id.")],
    title: Annotated[str | None, typer.Option(help="New title.", callback=_text(Line(255, 1)))] = None,
    description: Annotated[str | None, typer.Option(help="New show notes.", callback=_text(Prose()))] = None,
) -> None:
    """Change an episode's title or show notes."""
    from feeds.episodes import edit

    _episode_action(episode, lambda e: edit(e, title, description))


@room_app.command("schedule")
def room_schedule(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str, typer.Option(help="The room's title.", callback=_text(Line(255, 1)))],
    start: Annotated[str, typer.Option(help="Start time, ISO 8601, e.g. 2026-12-01T19:00:00+01:00.")],
    description: Annotated[str, typer.Option(help="What it is about.", callback=_text(Prose()))] = "",
    access: Annotated[str, typer.Option(help="open, closed (invited identities) or private (join links only).")] = "open",
) -> None:
    """Schedule a room; the show's feed announces it as a pending live item."""
    from datetime import datetime

    from live.rooms import host_link, schedule_room

    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        fail(f"--start {start!r}: not an ISO 8601 time such as 2026-12-01T19:00:00+01:00")
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a time typed without an offset is this computer's local time
    with command_session() as session:
        room = schedule_room(session, _find_show(session, slug), title, moment, description, _access(access))
        link = host_link(room)
        starts = room.scheduled_at
    typer.echo(f"room {room.id} scheduled: {get_settings().public_base_url}/rooms/{room.id}")
    typer.echo(f"starts {starts:%Y-%m-%d %H:%M} UTC ({moment:%Y-%m-%d %H:%M} at {moment.isoformat()[-6:]})")
    typer.echo(f"host link (keep it private): {link}")


@room_app.command("open")
def room_open(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str, typer.Option(help="The room's title.", callback=_text(Line(255, 1)))],
    description: Annotated[str, typer.Option(help="What it is about.", callback=_text(Prose()))] = "",
    access: Annotated[str, typer.Option(help="open, closed (invited identities) or private (join links only).")] = "open",
    host_name: Annotated[str, typer.Option(help="The host's display name.", callback=_text(Line(80, 1)))] = "Host",
) -> None:
    """Open a room now: prints its page and the host's personal join link."""
    from live.rooms import host_link, open_room

    with command_session() as session:
        room = open_room(session, _find_show(session, slug), title, description, _access(access))
        link = host_link(room, host_name)
    typer.echo(f"room {room.id} is live: {get_settings().public_base_url}/rooms/{room.id}")
    typer.echo(f"host link (keep it private): {link}")


@room_app.command("update")
def room_update(
    room_id: Annotated[int, typer.Argument(help="The room.")],
    title: Annotated[str | None, typer.Option(help="The room's title.", callback=_text(Line(255, 1)))] = None,
    description: Annotated[str | None, typer.Option(help="What it is about.", callback=_text(Prose()))] = None,
    start: Annotated[str | None, typer.Option(help="A scheduled room's new start, ISO 8601 (no offset: local time).")] = None,
    access: Annotated[str | None, typer.Option(help="A scheduled room: open, closed or private.")] = None,
) -> None:
    """Correct a scheduled or live room; its feed item follows at once."""
    from datetime import datetime

    from live.rooms import update_room

    moment = None
    if start is not None:
        try:
            moment = datetime.fromisoformat(start)
        except ValueError:
            fail(f"--start {start!r}: not an ISO 8601 time such as 2026-12-01T19:00:00+01:00")
        moment = moment if moment.tzinfo else moment.astimezone()  # as `room schedule` reads it
    with command_session() as session:
        room = _find_room(session, room_id)
        update_room(room, title, description, moment, None if access is None else _access(access))
        status = room.status.value
    typer.echo(f"room {room_id} updated ({status})")


@room_app.command("cancel")
def room_cancel(room_id: Annotated[int, typer.Argument(help="The room.")]) -> None:
    """Cancel a scheduled room: it leaves the show's feed and its links stop opening it."""
    from live.rooms import cancel_room

    with command_session() as session:
        cancel_room(session, _find_room(session, room_id))
    typer.echo(f"room {room_id} cancelled")


def _find_room(session, room_id: int):  # type: ignore[no-untyped-def]
    from roomcast.errors import NotFound
    from roomcast.models import Room

    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(f"no room {room_id}")
    return room


@token_app.command("join")
def token_join(
    room_id: Annotated[int, typer.Argument(help="The room.")],
    identity: Annotated[str, typer.Option(help="Who: a stable id such as an e-mail address or handle.")],
    name: Annotated[str, typer.Option(help="The name shown in the room.", callback=_text(Line(80, 1)))],
    role: Annotated[str, typer.Option(help="The highest role allowed: host, moderator, speaker or listener.")] = "listener",
    hours: Annotated[float | None, typer.Option(help="Hours until it expires.")] = None,
) -> None:
    """A personal join link (closed rooms: also puts the identity on the invite list)."""
    from live.rooms import join_link
    from roomcast.models import Role, Room

    if role not in {r.value for r in Role}:
        fail(f"--role {role!r}: one of host, moderator, speaker, listener")
    if hours is not None and hours <= 0:
        fail("--hours must be positive")
    with command_session() as session:
        room = session.get(Room, room_id)
        if room is None:
            fail(f"no room {room_id}")
        typer.echo(join_link(room, identity, name, Role(role), hours))


def _access(value: str):  # noqa: ANN202
    from roomcast.models import RoomAccess

    try:
        return RoomAccess(value)
    except ValueError:
        fail(f"--access {value!r}: one of open, closed, private")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
