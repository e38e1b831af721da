"""`roomcast token creator|revoke-creator`: creator tokens, the kernel's (``token join`` is
``live.cli``'s, mounted beside them)."""

from __future__ import annotations

from typing import Annotated

import typer

from roomcast.cli.root import token_app
from roomcast.commands import command_session, fail, find_show

@token_app.command("creator")
def token_creator(
    slug: Annotated[str, typer.Argument(help="The show the token manages.")],
    days: Annotated[int | None, typer.Option(help="Days until it expires.")] = None,
) -> None:
    """A creator token for the API (Authorization: Bearer …) and for reviewing unpublished media."""
    from roomcast.tokens import mint_creator_token

    with command_session() as session:
        find_show(session, slug)
    if days is not None and days <= 0:
        fail("--days must be positive")
    typer.echo(mint_creator_token(slug, days))


@token_app.command("revoke-creator")
def token_revoke_creator(slug: Annotated[str, typer.Argument(help="The show whose creator tokens stop working.")]) -> None:
    """Every creator token of the show minted until now stops working (within seconds); mint a new one."""
    from roomcast.tokens import revoke_creator_tokens

    with command_session() as session:
        find_show(session, slug)
    revoke_creator_tokens(slug)
    typer.echo(f"creator tokens of {slug} revoked: mint a new one with `roomcast token creator {slug}`")
