"""Who may read a show's feed, media, pages, search hits and live streams: one rule, in the kernel,
for every part that serves a show's content (feeds, search, live).

Public shows: anyone, for published episodes. Private shows: a subscriber's feed token.
Creators: their creator token, for every episode of their show (to review before publishing).
Tokens travel as ``?token=`` because podcast apps and ``<audio>`` elements send no headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from roomcast.feed_secrets import find_feed_token
from roomcast.models import Show
from roomcast.tokens import InvalidToken, kind_of, mint_media_token, verify


@dataclass(frozen=True)
class Access:
    creator: bool = False
    subscriber: bool = False

    @property
    def any(self) -> bool:
        return self.creator or self.subscriber


class AccessDenied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def access_for(session: Session, show: Show, token: str | None) -> Access:
    if not token:
        return Access()
    if token.count(".") == 2:  # a JWT: a creator token, or the read-only media token of its pages
        try:
            claims = verify(token, "media" if kind_of(token) == "media" else "creator")
        except InvalidToken as error:
            raise AccessDenied(403, str(error)) from error
        if claims.get("show") != show.slug:
            raise AccessDenied(403, f"this token does not manage show {show.slug!r}")
        return Access(creator=True)
    feed_token = find_feed_token(session, show.id, token)
    if feed_token is None:
        raise AccessDenied(403, "unknown feed token")
    if feed_token.revoked_at is not None:
        raise AccessDenied(403, "this feed URL has been revoked by the show's host")
    return Access(subscriber=True)


def require_listener(session: Session, show: Show, token: str | None) -> Access:
    """Anyone for a public show; a valid token for a private one."""
    access = access_for(session, show, token)
    if show.private and not access.any:
        raise AccessDenied(401, "this show is private: use your personal feed URL")
    return access


def token_for_urls(show: Show, token: str | None, access: Access) -> str | None:
    """What the media URLs of a page carry: a creator's own token never (it could manage the
    show, for 30 days, from any log or history it lands in), but a short-lived media token."""
    if not access.any:
        return None
    return mint_media_token(show.slug) if access.creator else token
