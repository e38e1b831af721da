"""`roomcast token` and `roomcast feed-token`: creator and join tokens, subscribers' feed URLs."""

from __future__ import annotations

from typing import Annotated

import typer

from roomcast.cli import remote
from roomcast.cli.common import command_session, fail, feed_token_app, find_show, text_option, token_app
from roomcast.settings import get_settings
from roomcast.text import Line

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


@feed_token_app.command("create")
def feed_token_create(
    slug: Annotated[str, typer.Argument(help="The show.")],
    label: Annotated[str, typer.Option(help="Who this feed URL is for.", callback=text_option(Line(255, 1)))],
    server: remote.Server = None,
    token: remote.Token = None,
) -> None:
    """Make a subscriber's personal feed URL (shown once)."""
    from feeds.feed_tokens import create_feed_token

    if server:
        made = remote.Remote(server, token).call("POST", f"/api/shows/{slug}/feed-tokens", json={"label": label})
        typer.echo(f"feed token {made['id']} for {label}: {made['feed_url']}")
        return
    with command_session() as session:
        show = find_show(session, slug)
        made, secret = create_feed_token(session, show, label)
        token_id = made.id
    typer.echo(f"feed token {token_id} for {label}: {get_settings().public_base_url}/shows/{slug}/feed.xml?token={secret}")


@feed_token_app.command("list")
def feed_token_list(slug: Annotated[str, typer.Argument(help="The show.")], server: remote.Server = None,
                    token: remote.Token = None) -> None:
    """List a show's feed tokens."""
    if server:
        for made in remote.Remote(server, token).call("GET", f"/api/shows/{slug}/feed-tokens"):
            state = f"revoked {made['revoked_at'][:10]}" if made["revoked_at"] else "active"
            typer.echo(f"{made['id']}\t{made['label']}\t{state}")
        return
    with command_session() as session:
        for token in find_show(session, slug).feed_tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            typer.echo(f"{token.id}\t{token.label}\t{state}")


@feed_token_app.command("revoke")
def feed_token_revoke(
    slug: Annotated[str, typer.Argument(help="The show.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (see `feed-token list`).")],
    server: remote.Server = None,
    token: remote.Token = None,
) -> None:
    """Stop a subscriber's feed URL from working."""
    from feeds.feed_tokens import revoke_feed_token

    if server:
        remote.Remote(server, token).call("DELETE", f"/api/shows/{slug}/feed-tokens/{token_id}")
        typer.echo(f"feed token {token_id} revoked")
        return
    with command_session() as session:
        revoke_feed_token(session, find_show(session, slug), token_id)
    typer.echo(f"feed token {token_id} revoked")


@token_app.command("join")
def token_join(
    room_id: Annotated[int, typer.Argument(help="The room.")],
    identity: Annotated[str, typer.Option(help="Who: a stable id such as an e-mail address or handle.")],
    name: Annotated[str, typer.Option(help="The name shown in the room.", callback=text_option(Line(80, 1)))],
    role: Annotated[str, typer.Option(help="The highest role allowed: host, moderator, speaker or listener.")] = "listener",
    hours: Annotated[float | None, typer.Option(help="Hours until it expires.")] = None,
    server: remote.Server = None,
    token: remote.Token = None,
) -> None:
    """A personal join link (closed rooms: also puts the identity on the invite list)."""
    from live.rooms import join_link
    from roomcast.models import Role, Room

    if role not in {r.value for r in Role}:
        fail(f"--role {role!r}: one of host, moderator, speaker, listener")
    if hours is not None and hours <= 0:
        fail("--hours must be positive")
    if server:
        grant = {"identity": identity, "name": name, "role": role, **({"hours": hours} if hours else {})}
        typer.echo(remote.Remote(server, token).call("POST", f"/api/rooms/{room_id}/tokens", json=grant)["link"])
        return
    with command_session() as session:
        room = session.get(Room, room_id)
        if room is None:
            fail(f"no room {room_id}")
        typer.echo(join_link(room, identity, name, Role(role), hours))


