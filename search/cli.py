"""`roomcast search`: the transcript search index. Mounted by roomcast/cli."""

from __future__ import annotations

import typer

from roomcast.commands import command_session

search_app = typer.Typer(help="The transcript search index.", no_args_is_help=True)


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database (everything published)."""
    import time

    from search.backends import backend_for  # not at the command line's start: it loads tantivy

    started = time.monotonic()
    with command_session() as session:
        typer.echo("re-indexing every published transcript…")
        count = backend_for(session).reindex(session)
    typer.echo(f"indexed {count} segments in {time.monotonic() - started:.1f} s")
