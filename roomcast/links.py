"""Links the site writes (feeds, pages, API answers, CLI output), by route name.

A link's path comes from the route it points at (``url_path_for``), so the two cannot drift
apart; the address in front is ``public_base_url`` (``ROOMCAST_BASE_URL``, else the address the
request came to). The app factory hands over its routes when it builds the app; a process that
answers no request (the CLI) gives a way to build them, used on its first link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Router

from roomcast.settings import get_settings

_routes: Router | None = None
_build: Callable[[], Router] | None = None


def install(routes: Router) -> None:
    global _routes
    _routes = routes


def install_lazily(build: Callable[[], Router]) -> None:
    global _build
    _build = build


def path(name: str, **params: Any) -> str:
    """The path of the route named ``name`` (an endpoint's function name, unless it says otherwise)."""
    global _routes
    if _routes is None:
        if _build is None:
            raise RuntimeError("no routes to link to: roomcast.app.create_app (or roomcast.cli) installs them")
        _routes = _build()
    return _routes.url_path_for(name, **params)


def link(name: str, **params: Any) -> str:
    return get_settings().public_base_url + path(name, **params)
