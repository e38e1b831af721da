"""`roomcast search`: the transcript search index."""

from __future__ import annotations

import typer

from roomcast.cli.common import command_session, search_app

@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database (everything published)."""
    import time

    from search.backends import backend_for

    started = time.monotonic()
    with command_session() as session:
        typer.echo("re-indexing every published transcript…")
        count = backend_for(session).reindex(session)
    typer.echo(f"indexed {count} segments in {time.monotonic() - started:.1f} s")


