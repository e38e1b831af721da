"""Per-subscriber feed URLs of private shows: an opaque secret each, revocable by the host.

Only the secret's SHA-256 is stored, so a leaked database does not leak working feed URLs.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.errors import NotFound
from roomcast.models import FeedToken, Show, utcnow


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed_token(session: Session, show: Show, label: str) -> tuple[FeedToken, str]:
    secret = secrets.token_urlsafe(24)
    token = FeedToken(show=show, label=label.strip() or "subscriber", secret_hash=_hash(secret))
    session.add(token)
    session.flush()
    return token, secret


def find_feed_token(session: Session, show_id: int, secret: str) -> FeedToken | None:
    """The token, revoked or not; ``None`` if it never belonged to this show."""
    return session.scalars(
        select(FeedToken).where(FeedToken.show_id == show_id, FeedToken.secret_hash == _hash(secret))
    ).first()


def revoke_feed_token(session: Session, show: Show, token_id: int) -> FeedToken:
    token = session.get(FeedToken, token_id)
    if token is None or token.show_id != show.id:
        raise NotFound(f"no feed token {token_id} for show {show.slug!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
