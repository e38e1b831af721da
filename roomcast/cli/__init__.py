"""The `roomcast` command line: run the server and workers, create shows, import recordings.

One module per command group; importing them registers their commands on ``app``.
"""

from __future__ import annotations

import logging

from roomcast.cli import episodes, rooms, search, server, shared_secret, shows, tokens  # noqa: F401 - registers commands
from roomcast.cli.common import app


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
