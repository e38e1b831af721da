"""`roomcast show`, `roomcast episode` and `roomcast feed-token`: shows, what a creator does with
an episode, and subscribers' personal feed URLs. Mounted by roomcast/cli; each command works on
this machine's database, or with ``--server`` through a server's API (``roomcast.remote_api``)."""

from __future__ import annotations

import enum
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from roomcast.commands import command_session, fail, find_show, text_option
from roomcast.db import migrate, session_scope
from roomcast.links import link
from roomcast.remote_api import Remote, Server, Token
from roomcast.text import Line, Prose

show_app = typer.Typer(help="Create and list shows (podcasts).", no_args_is_help=True)
episode_app = typer.Typer(help="Review, publish, unpublish and edit episodes.", no_args_is_help=True)
feed_token_app = typer.Typer(help="Personal feed URLs of a private show's subscribers.", no_args_is_help=True)

Category = Annotated[str | None, typer.Option(help="Apple Podcasts category, e.g. 'Science'.", callback=text_option(Line(64)))]
Subcategory = Annotated[str | None, typer.Option(help="Apple Podcasts sub-category, e.g. 'Astronomy'.", callback=text_option(Line(64)))]
Explicit = Annotated[bool | None, typer.Option("--explicit/--clean", help="Whether episodes are explicit.")]
OwnerName = Annotated[str | None, typer.Option(help="Owner's name (itunes:owner).", callback=text_option(Line(255)))]
OwnerEmail = Annotated[str | None, typer.Option(help="Owner's e-mail (itunes:owner, podcast:locked).", callback=text_option(Line(255)))]
Review = Annotated[bool | None, typer.Option("--review/--auto-publish", help="Hold new episodes for review, or publish them at once.")]
Private = Annotated[bool | None, typer.Option("--private/--public", help="Private: only subscribers with their own feed URL.")]
Image = Annotated[Path | None, typer.Option(help="Artwork, PNG or JPEG, square, 1400-3000 px.")]


class OnOff(str, enum.Enum):
    on = "on"
    off = "off"


def _show_settings(title, author, language, description, category, subcategory, explicit, owner_name, owner_email,
                   review, private):  # type: ignore[no-untyped-def]
    from feeds.shows import ShowSettings
    from roomcast.models import PublishMode

    mode = None if review is None else (PublishMode.review if review else PublishMode.auto)
    return ShowSettings(title=title, author=author, language=language, description=description, category=category,
                        subcategory=subcategory, explicit=explicit, owner_name=owner_name, owner_email=owner_email,
                        publish_mode=mode, private=private)


@show_app.command("create")
def show_create(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. 'night-owls'.")],
    title: Annotated[str, typer.Option(help="The show's title.", callback=text_option(Line(255, 1)))],
    author: Annotated[str | None, typer.Option(help="Author shown in podcast apps.", callback=text_option(Line(255)))] = None,
    language: Annotated[str, typer.Option(help="Language code, e.g. en, fr, es, nl.")] = "en",
    description: Annotated[str, typer.Option(help="What the show is about.", callback=text_option(Prose()))] = "",
    image: Image = None,
    category: Category = None,
    subcategory: Subcategory = None,
    explicit: Explicit = None,
    owner_name: OwnerName = None,
    owner_email: OwnerEmail = None,
    review: Review = None,
    private: Private = None,
) -> None:
    """Create a show: the podcast whose feed its rooms' episodes are published in."""
    from feeds.shows import create_show

    settings = _show_settings(title, author, language, description, category, subcategory, explicit, owner_name,
                              owner_email, review, private)
    with command_session() as session:
        show = create_show(session, slug, settings, image)
        feed = link("show_feed", slug=show.slug)
    typer.echo(f"created show {slug}; feed: {feed}" + (" (private: subscribers get their own URL)" if private else ""))


@show_app.command("update")
def show_update(
    slug: Annotated[str, typer.Argument(help="The show.")],
    title: Annotated[str | None, typer.Option(help="The show's title.", callback=text_option(Line(255, 1)))] = None,
    author: Annotated[str | None, typer.Option(help="Author shown in podcast apps.", callback=text_option(Line(255)))] = None,
    language: Annotated[str | None, typer.Option(help="Language code.")] = None,
    description: Annotated[str | None, typer.Option(help="What the show is about.", callback=text_option(Prose()))] = None,
    image: Image = None,
    category: Category = None,
    subcategory: Subcategory = None,
    explicit: Explicit = None,
    owner_name: OwnerName = None,
    owner_email: OwnerEmail = None,
    review: Review = None,
    private: Private = None,
    intro: Annotated[Path | None, typer.Option(help="Audio crossfaded before every new episode (at most 2 min).")] = None,
    outro: Annotated[Path | None, typer.Option(help="Audio crossfaded after every new episode (at most 2 min).")] = None,
    noise_suppression: Annotated[OnOff | None, typer.Option(
        help="Ask guests' browsers to suppress microphone noise (echo cancellation is always on).")] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Change a show's settings; its feed follows at once."""
    from feeds.shows import apply_settings, set_artwork, set_jingle

    settings = _show_settings(title, author, language, description, category, subcategory, explicit, owner_name,
                              owner_email, review, private)
    if noise_suppression is not None:
        settings.noise_suppression = noise_suppression == OnOff.on
    if server:
        if image or intro or outro:
            fail("--image, --intro and --outro are files the API does not take yet: run them on a server")
        changes = {name: value for name, value in asdict(settings).items() if value is not None}
        Remote(server, token).call("PATCH", f"/api/shows/{slug}", json=changes)  # a str enum is its value in JSON
        typer.echo(f"updated show {slug}")
        return
    with command_session() as session:
        show = find_show(session, slug)
        apply_settings(show, settings)
        if image is not None:
            set_artwork(show, image)
        for which, path in (("intro", intro), ("outro", outro)):
            if path is not None:
                set_jingle(show, which, path)
    typer.echo(f"updated show {slug}")


@show_app.command("list")
def show_list() -> None:
    """List the shows."""
    from sqlalchemy import select

    from roomcast.models import Show

    migrate()
    with session_scope() as session:
        for show in session.scalars(select(Show).order_by(Show.slug)):
            typer.echo(f"{show.slug}\t{show.title}\t{len(show.episodes)} episodes")


# --- episodes ------------------------------------------------------------------------------


def _episode_action(episode_id: int, action) -> None:  # type: ignore[no-untyped-def]
    from roomcast.models import Episode

    with command_session() as session:
        episode = session.get(Episode, episode_id)
        if episode is None:
            fail(f"no episode {episode_id}")
        action(episode)
        status = episode.status.value
    typer.echo(f"episode {episode_id}: {status}")


def _remote_action(server: Remote, episode_id: int, action: str) -> None:
    view = server.call("POST", f"/api/episodes/{episode_id}/{action}")  # the server syncs search itself
    typer.echo(f"episode {episode_id}: {view['status']}")


@episode_app.command("publish")
def episode_publish(episode: Annotated[int, typer.Argument(help="Episode id.")], server: Server = None,
                    token: Token = None) -> None:
    """Publish an episode held for review (or unpublished)."""
    _publish(episode, server, token, True)


@episode_app.command("unpublish")
def episode_unpublish(episode: Annotated[int, typer.Argument(help="Episode id.")], server: Server = None,
                      token: Token = None) -> None:
    """Take an episode out of the feed and pages; its archive stays."""
    _publish(episode, server, token, False)


def _publish(episode: int, server: str | None, token: str | None, published: bool) -> None:
    """Through the server's API with --server, else on the database (feeds.episodes.set_published)."""
    from feeds.episodes import set_published

    if server:
        _remote_action(Remote(server, token), episode, "publish" if published else "unpublish")
        return
    _episode_action(episode, lambda e: set_published(e, published))


@episode_app.command("edit")
def episode_edit(
    episode: Annotated[int, typer.Argument(help="Episode id.")],
    title: Annotated[str | None, typer.Option(help="New title.", callback=text_option(Line(255, 1)))] = None,
    description: Annotated[str | None, typer.Option(help="New show notes.", callback=text_option(Prose()))] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Change an episode's title or show notes."""
    from feeds.episodes import edit

    if server:
        changes = {name: value for name, value in (("title", title), ("description", description)) if value is not None}
        view = Remote(server, token).call("PATCH", f"/api/episodes/{episode}", json=changes)
        typer.echo(f"episode {episode}: {view['status']}")
        return
    _episode_action(episode, lambda e: edit(e, title, description))


# --- subscribers' feed URLs ---------------------------------------------------------------


@feed_token_app.command("create")
def feed_token_create(
    slug: Annotated[str, typer.Argument(help="The show.")],
    label: Annotated[str, typer.Option(help="Who this feed URL is for.", callback=text_option(Line(255, 1)))],
    server: Server = None,
    token: Token = None,
) -> None:
    """Make a subscriber's personal feed URL (shown once)."""
    from feeds.feed_tokens import create_feed_token

    if server:
        made = Remote(server, token).call("POST", f"/api/shows/{slug}/feed-tokens", json={"label": label})
        typer.echo(f"feed token {made['id']} for {label}: {made['feed_url']}")
        return
    with command_session() as session:
        show = find_show(session, slug)
        made, secret = create_feed_token(session, show, label)
        token_id = made.id
    typer.echo(f"feed token {token_id} for {label}: {link('show_feed', slug=slug)}?token={secret}")


@feed_token_app.command("list")
def feed_token_list(slug: Annotated[str, typer.Argument(help="The show.")], server: Server = None,
                    token: Token = None) -> None:
    """List a show's feed tokens."""
    if server:
        for made in Remote(server, token).call("GET", f"/api/shows/{slug}/feed-tokens"):
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
    server: Server = None,
    token: Token = None,
) -> None:
    """Stop a subscriber's feed URL from working."""
    from feeds.feed_tokens import revoke_feed_token

    if server:
        Remote(server, token).call("DELETE", f"/api/shows/{slug}/feed-tokens/{token_id}")
        typer.echo(f"feed token {token_id} revoked")
        return
    with command_session() as session:
        revoke_feed_token(session, find_show(session, slug), token_id)
    typer.echo(f"feed token {token_id} revoked")
