"""With a shared database, every command signs and checks tokens with the deployment's one key.

Without ``ROOMCAST_SECRET_KEY``, a process makes ``DATA_DIR/secret.key`` on first use: right for
the embedded mode, wrong beside a shared database, where a CLI run on some machine (or a second
node) would quietly make a key of its own and mint tokens every node rejects. There a command
that may sign or check tokens refuses to start unless the key is set, or already in its data
directory (copied there by the operator). A creator's laptop uses ``--server`` instead
(``roomcast.remote_api``): it needs no key at all.
"""

from __future__ import annotations

import os

import typer

from roomcast.cli.root import app
from roomcast.commands import fail
from roomcast.settings import get_settings

KEYLESS = {"migrate", "worker", "search"}  # none signs or checks a token (search: reindex only)


def shares_database() -> bool:
    return not get_settings().resolved_database_url.startswith("sqlite")


def require_shared_secret(command: str | None) -> None:
    settings = get_settings()
    if command in KEYLESS or settings.secret_key or os.environ.get("ROOMCAST_SERVER") or not shares_database():
        return
    key = settings.resolved_data_dir / "secret.key"
    if key.is_file() and key.read_text().strip():
        return
    fail("ROOMCAST_SECRET_KEY is unset, and this database is shared: a key made here would sign tokens the "
         "servers reject. Set it to the deployment's key (the same on every node), or run creator commands "
         "from elsewhere with --server URL --token TOKEN")


@app.callback()
def _before_every_command(ctx: typer.Context) -> None:
    require_shared_secret(ctx.invoked_subcommand)
