"""Per-subscriber feed URLs of private shows: an opaque secret each, revocable by the host.

Only the secret's SHA-256 is stored (``roomcast.feed_secrets``, which also finds them).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from roomcast.errors import NotFound
from roomcast.feed_secrets import secret_hash
from roomcast.models import FeedToken, Show, utcnow


def create_feed_token(session: Session, show: Show, label: str) -> tuple[FeedToken, str]:
    secret = secrets.token_urlsafe(24)
    token = FeedToken(show=show, label=label.strip() or "subscriber", secret_hash=secret_hash(secret))
    session.add(token)
    session.flush()
    return token, secret


def revoke_feed_token(session: Session, show: Show, token_id: int) -> FeedToken:
    token = session.get(FeedToken, token_id)
    if token is None or token.show_id != show.id:
        raise NotFound(f"no feed token {token_id} for show {show.slug!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
