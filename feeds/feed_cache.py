"""Rendered feeds, kept per process and re-rendered only when the show's feed changes.

Every change a feed shows bumps ``shows.feed_version``. A cached feed is trusted for
``ROOMCAST_FEED_TRUST_S`` (a second) without asking the database, so a crowd of podcast apps
revalidating costs what a static file costs; after that one small query says whether it is
still current.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from roomcast.access import require_listener
from feeds.rss import as_utc, build_feed
from roomcast.lookups import require_show
from roomcast.models import Episode, EpisodeStatus, Room, RoomAccess, Show
from roomcast.settings import get_settings
from roomcast.storage import get_media_store

@dataclass(frozen=True)
class RenderedFeed:
    version: int
    body: bytes
    etag: str
    last_modified: str
    private: bool


class FeedCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None, str], tuple[float, RenderedFeed]] = {}
        self._lock = threading.Lock()

    # Keyed by the base URL too: with ROOMCAST_BASE_URL unset, links follow the address asked.
    def fresh(self, slug: str, token: str | None) -> RenderedFeed | None:
        settings = get_settings()
        entry = self._entries.get((slug, token, settings.public_base_url))
        if entry and time.monotonic() - entry[0] < settings.feed_trust_s:
            return entry[1]
        return None

    def load(self, session: Session, slug: str, token: str | None) -> RenderedFeed:
        """Check access and version in the database; render only if the feed changed."""
        show = require_show(session, slug)
        require_listener(session, show, token)
        base = get_settings().public_base_url
        key = (slug, token if show.private else None, base)
        entry = self._entries.get(key)
        feed = entry[1] if entry and entry[1].version == show.feed_version else render(session, show, token)
        with self._lock:
            self._entries[(slug, token, base)] = self._entries[key] = (time.monotonic(), feed)
        return feed

    def clear(self) -> None:
        self._entries.clear()


def render(session: Session, show: Show, token: str | None) -> RenderedFeed:
    store = get_media_store()
    episodes = session.scalars(
        select(Episode)
        .where(Episode.show_id == show.id, Episode.status == EpisodeStatus.published)
        .options(selectinload(Episode.segments), selectinload(Episode.room).selectinload(Room.participants))
    ).all()
    rooms = session.scalars(select(Room).where(Room.show_id == show.id, Room.access != RoomAccess.private).options(selectinload(Room.participants))).all()
    suffix = f"?token={token}" if show.private and token else ""
    body = build_feed(show, list(episodes), list(rooms),
                      media_url=lambda key: store.url(key) + suffix, read_text=store.read_text, query=suffix)
    return RenderedFeed(
        version=show.feed_version,
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        last_modified=format_datetime(as_utc(show.updated_at).replace(microsecond=0), usegmt=True),
        private=show.private,
    )


feed_cache = FeedCache()
