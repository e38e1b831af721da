"""What every router shares: the request's database session and the page templates.

Templates are found by package name, so one base layout (here) serves the pages that the
domain packages render from their own ``templates/`` folders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from roomcast.db import new_session
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
