"""What every router shares: the request's database session and the page templates.

Templates are found by package name, so one base layout (here) serves the pages that the
domain packages render from their own ``templates/`` folders.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from roomcast.db import new_session

TEMPLATE_PACKAGES = ["feeds", "search", "live", "roomcast"]


def _loader() -> ChoiceLoader:
    loaders = []
    for package in TEMPLATE_PACKAGES:
        try:
            loaders.append(PackageLoader(package, "templates"))
        except ValueError:  # a package without templates yet
            continue
    return ChoiceLoader(loaders)


templates = Jinja2Templates(env=Environment(loader=_loader(), autoescape=select_autoescape(["html"])))


def get_session() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
    finally:
        session.close()
