"""What every router shares: the request's database session and the page templates.

Templates are found by package name, so one base layout (here) serves the pages that the
domain packages render from their own ``templates/`` folders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from roomcast.db import new_session, session_slots
from roomcast.instants import as_utc

TEMPLATE_PACKAGES = ["feeds", "search", "live", "roomcast"]


def _loader() -> ChoiceLoader:
    loaders = []
    for package in TEMPLATE_PACKAGES:
        try:
            loaders.append(PackageLoader(package, "templates"))
        except ValueError:  # a package without templates yet
            continue
    return ChoiceLoader(loaders)


def local_time(moment: datetime) -> Markup:
    """An instant as the viewer reads it: the server only knows UTC, so it writes that, and
    ``/static/localtime.js`` rewrites it in the browser's own time zone and language."""
    moment = as_utc(moment).replace(microsecond=0)
    return Markup('<time datetime="{}" data-local title="{}">{}</time>').format(
        moment.isoformat(), moment.strftime("%Y-%m-%d %H:%M UTC"), moment.strftime("%Y-%m-%d %H:%M UTC"))


templates = Jinja2Templates(env=Environment(loader=_loader(), autoescape=select_autoescape(["html"])))
templates.env.globals["local_time"] = local_time


def get_session() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
    finally:
        session.close()


# The session closes, and its connection goes back to the pool, as soon as the endpoint
# returns: before the response is validated and serialised, which waits for a thread of its
# own. Held until the response was sent (FastAPI's default), 40 threads waiting for 15
# connections whose requests waited for a thread deadlocked the server under 100 readers.
# Endpoints therefore build their whole answer (models, rendered templates) before returning.
# At most ``session_slots`` sessions are open, so none waits in the pool: a request waits for
# a slot before it takes a thread (FastAPI's max_concurrency), and the queue is bounded by
# ``roomcast.overload``. The number is read once, when this module is first imported.
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=session_slots())]


# Every id in a path: a positive 64-bit integer, as the databases store them. A larger one
# made SQLite raise OverflowError (a 500); now it is a 422 that says what an id is.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A positive 64-bit integer.")]
