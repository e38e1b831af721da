"""The lookups every part makes, written once: a show by its slug, a room's episode."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.errors import NotFound
from roomcast.models import Episode, Show


def show_by_slug(session: Session, slug: str) -> Show | None:
    return session.scalars(select(Show).where(Show.slug == slug)).first()


def require_show(session: Session, slug: str) -> Show:
    """The show, or ``NotFound`` (a 404 from the API, a one-line error from the CLI)."""
    show = show_by_slug(session, slug)
    if show is None:
        raise NotFound(f"no show {slug!r}")
    return show


def episode_of_room(session: Session, room_id: int, *, for_update: bool = False) -> Episode | None:
    """The room's episode (one per room), or None before the room has one. ``for_update`` locks
    its row, where the database can: of two workers that both hold a step, one moves on."""
    query = select(Episode).where(Episode.room_id == room_id)
    return session.scalars(query.with_for_update() if for_update else query).first()
