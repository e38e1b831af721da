"""The `roomcast` command line's root app and the kernel's own command group (tokens); the domain
packages' groups are theirs (``feeds.cli``, ``live.cli``, ``search.cli``), mounted in
roomcast/cli/__init__.py."""

from __future__ import annotations

import typer

app = typer.Typer(help="roomcast: live audio rooms that become podcast episodes.", no_args_is_help=True, add_completion=False)
token_app = typer.Typer(help="Mint signed, expiring tokens.", no_args_is_help=True)
