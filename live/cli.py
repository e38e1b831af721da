"""`roomcast room` (schedule, open, correct and cancel live rooms) and `roomcast token join` (a
personal join link). Mounted by roomcast/cli; each command works on this machine's database, or
with ``--server`` through a server's API (``roomcast.remote_api``)."""

from __future__ import annotations

from typing import Annotated

import typer

from roomcast.commands import command_session, fail, find_room, find_show, text_option
from roomcast.remote_api import Remote, Server, Token
from roomcast.settings import get_settings
from roomcast.text import Line, Prose

room_app = typer.Typer(help="Open or schedule live rooms.", no_args_is_help=True)


@room_app.command("schedule")
def room_schedule(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str, typer.Option(help="The room's title.", callback=text_option(Line(255, 1)))],
    start: Annotated[str, typer.Option(help="Start time, ISO 8601, e.g. 2026-12-01T19:00:00+01:00.")],
    description: Annotated[str, typer.Option(help="What it is about.", callback=text_option(Prose()))] = "",
    access: Annotated[str, typer.Option(help="open, closed (invited identities) or private (join links only).")] = "open",
    max_stage: Annotated[int | None, typer.Option(help="Most people on the stage (default: the server's, 12; up to 50).")] = None,
    server: Server = None,
    token: Token = None,
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
    if server:
        _remote_room(server, token, slug, title=title, start=moment.isoformat(), description=description,
                     access=access, max_stage=max_stage)
        return
    with command_session() as session:
        room = schedule_room(session, find_show(session, slug), title, moment, description, _access(access),
                             max_stage)
        link = host_link(room)
        starts = room.scheduled_at
    typer.echo(f"room {room.id} scheduled: {get_settings().public_base_url}/rooms/{room.id}")
    typer.echo(f"starts {starts:%Y-%m-%d %H:%M} UTC ({moment:%Y-%m-%d %H:%M} at {moment.isoformat()[-6:]})")
    typer.echo(f"host link (keep it private): {link}")


@room_app.command("open")
def room_open(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str, typer.Option(help="The room's title.", callback=text_option(Line(255, 1)))],
    description: Annotated[str, typer.Option(help="What it is about.", callback=text_option(Prose()))] = "",
    access: Annotated[str, typer.Option(help="open, closed (invited identities) or private (join links only).")] = "open",
    host_name: Annotated[str, typer.Option(help="The host's display name.", callback=text_option(Line(80, 1)))] = "Host",
    max_stage: Annotated[int | None, typer.Option(help="Most people on the stage (default: the server's, 12; up to 50).")] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Open a room now: prints its page and the host's personal join link."""
    from live.rooms import host_link, open_room

    if server:
        _remote_room(server, token, slug, title=title, description=description, access=access,
                     host_name=host_name, max_stage=max_stage)
        return

    with command_session() as session:
        room = open_room(session, find_show(session, slug), title, description, _access(access), max_stage)
        link = host_link(room, host_name)
    typer.echo(f"room {room.id} is live: {get_settings().public_base_url}/rooms/{room.id}")
    typer.echo(f"host link (keep it private): {link}")


def _remote_room(server: str, token: str | None, slug: str, **fields: object) -> None:
    """Open or schedule the room through the server's API (``--server``)."""
    body = {name: value for name, value in fields.items() if value is not None}
    room = Remote(server, token).call("POST", f"/api/shows/{slug}/rooms", json=body)
    state = f"scheduled for {room['scheduled_at']}" if room["status"] == "scheduled" else "is live"
    typer.echo(f"room {room['id']} {state}: {room['page_url']}")
    typer.echo(f"host link (keep it private): {room['host_link']}")


@room_app.command("update")
def room_update(
    room_id: Annotated[int, typer.Argument(help="The room.")],
    title: Annotated[str | None, typer.Option(help="The room's title.", callback=text_option(Line(255, 1)))] = None,
    description: Annotated[str | None, typer.Option(help="What it is about.", callback=text_option(Prose()))] = None,
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
        room = find_room(session, room_id)
        update_room(room, title, description, moment, None if access is None else _access(access))
        status = room.status.value
    typer.echo(f"room {room_id} updated ({status})")


@room_app.command("cancel")
def room_cancel(room_id: Annotated[int, typer.Argument(help="The room.")]) -> None:
    """Cancel a scheduled room: it leaves the show's feed and its links stop opening it."""
    from live.rooms import cancel_room

    with command_session() as session:
        cancel_room(session, find_room(session, room_id))
    typer.echo(f"room {room_id} cancelled")


def _access(value: str):  # noqa: ANN202
    from roomcast.models import RoomAccess

    try:
        return RoomAccess(value)
    except ValueError:
        fail(f"--access {value!r}: one of open, closed, private")


def token_join(
    room_id: Annotated[int, typer.Argument(help="The room.")],
    identity: Annotated[str, typer.Option(help="Who: a stable id such as an e-mail address or handle.")],
    name: Annotated[str, typer.Option(help="The name shown in the room.", callback=text_option(Line(80, 1)))],
    role: Annotated[str, typer.Option(help="The highest role allowed: host, moderator, speaker or listener.")] = "listener",
    hours: Annotated[float | None, typer.Option(help="Hours until it expires.")] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """A personal join link (closed rooms: also puts the identity on the invite list)."""
    from live.rooms import join_link
    from roomcast.models import Role, Room

    if role not in {r.value for r in Role}:
        fail(f"--role {role!r}: one of host, moderator, speaker, listener")
    if hours is not None and hours <= 0:
        fail("--hours must be positive")
    if server:
        grant = {"identity": identity, "name": name, "role": role, **({"hours": hours} if hours else {})}
        typer.echo(Remote(server, token).call("POST", f"/api/rooms/{room_id}/tokens", json=grant)["link"])
        return
    with command_session() as session:
        room = session.get(Room, room_id)
        if room is None:
            fail(f"no room {room_id}")
        typer.echo(join_link(room, identity, name, Role(role), hours))
