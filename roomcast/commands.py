"""What every command group of the `roomcast` command line shares, wherever its commands live: the
kernel's groups in roomcast/cli/, and the groups the domain packages own (``feeds.cli``,
``live.cli``, ``search.cli``), which roomcast/cli mounts as the app factory mounts routers.

Errors caused by the input are one line on stderr and exit code 2; the JSON asked for with
``--json`` is always the last line of stdout, and progress goes to stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from roomcast.db import migrate, session_scope
from roomcast.errors import UserError
from roomcast.text import check_text

stderr = Console(stderr=True)

FINAL_STATUSES = {"published", "review", "failed", "unpublished"}


def fail(message: str, code: int = 2) -> NoReturn:
    stderr.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def text_option(kind):  # type: ignore[no-untyped-def]
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


def find_show(session, slug: str):  # type: ignore[no-untyped-def]
    from roomcast.lookups import require_show

    return require_show(session, slug)


def find_room(session, room_id: int):  # type: ignore[no-untyped-def]
    from roomcast.errors import NotFound
    from roomcast.models import Room

    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(f"no room {room_id}")
    return room

