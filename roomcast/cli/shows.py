"""`roomcast show`: create, change and list shows (podcasts)."""

from __future__ import annotations

import enum
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from roomcast.cli import remote
from roomcast.cli.common import command_session, fail, find_show, show_app, text_option
from roomcast.db import migrate, session_scope
from roomcast.settings import get_settings
from roomcast.text import Line, Prose

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
        feed = f"{get_settings().public_base_url}/shows/{show.slug}/feed.xml"
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
    server: remote.Server = None,
    token: remote.Token = None,
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
        remote.Remote(server, token).call("PATCH", f"/api/shows/{slug}", json=changes)  # a str enum is its value in JSON
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

