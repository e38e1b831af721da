"""The `roomcast` command line: a thin mount, as the app factory mounts routers.

Each domain package owns its command group (``feeds.cli``: show, episode, feed-token;
``live.cli``: room, token join; ``search.cli``: search); the kernel's are here: serve, worker and
migrate (``server``), token creator|revoke-creator (``tokens``), and import, status and rerun
(``episodes``), which span capture, the pipeline and feeds. Importing a module registers its
commands on the root app (``root``).
"""

from __future__ import annotations

import logging

from feeds.cli import episode_app, feed_token_app, show_app
from live.cli import room_app, token_join
from roomcast import links
from roomcast.cli import episodes, server, shared_secret, tokens  # noqa: F401 - registers their commands
from roomcast.cli.root import app, token_app
from search.cli import search_app

app.add_typer(show_app, name="show")
app.add_typer(token_app, name="token")
app.add_typer(feed_token_app, name="feed-token")
app.add_typer(episode_app, name="episode")
app.add_typer(room_app, name="room")
app.add_typer(search_app, name="search")
token_app.command("join")(token_join)


def _linked_routes():  # type: ignore[no-untyped-def]
    from roomcast.app import linked_routes  # on the first link only: it imports the pages' routers

    return linked_routes()


links.install_lazily(_linked_routes)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
