"""Subscriber secrets of private shows, as the kernel reads them: feeds, media and live streams
of a private show all accept the subscriber's feed token, and a revoked one opens none of them.

Only the secret's SHA-256 is stored, so a leaked database does not leak working feed URLs.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.models import FeedToken


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_feed_token(session: Session, show_id: int, secret: str) -> FeedToken | None:
    """The token, revoked or not; ``None`` if it never belonged to this show."""
    return session.scalars(
        select(FeedToken).where(FeedToken.show_id == show_id, FeedToken.secret_hash == secret_hash(secret))
    ).first()
