"""Signed, expiring tokens (JWT, HS256) for creators and, later, room participants.

The key is ``ROOMCAST_SECRET_KEY``; without it, one is generated once into the data
directory (embedded mode). Scale-out nodes must share one key through the variable.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import select, update

from roomcast.models import utcnow
from roomcast.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "roomcast"


class InvalidToken(Exception):
    """Forged, expired or of the wrong kind; the message says which, for a 401/403."""


@lru_cache
def secret_key() -> str:
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key
    return _data_dir_key(settings.resolved_data_dir / "secret.key")


def _data_dir_key(path: Path) -> str:
    """The data directory's key, made once however many processes start on it together.

    It is made under a lock and appears whole (written aside, then renamed into place), so no
    process reads a half-written or empty key; an empty file left by an older version is
    replaced, since an empty key signs tokens anybody can forge.
    """
    key = _read_key(path)
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        key = _read_key(path)  # another process may have made it while this one waited
        if not key:
            key = secrets.token_urlsafe(48)
            aside = path.with_name(f".{path.name}.{os.getpid()}")
            descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(aside, path)
    return key


def _read_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def mint(kind: str, claims: dict[str, Any], ttl: timedelta) -> str:
    now = utcnow()
    payload = {**claims, "kind": kind, "iss": ISSUER, "iat": now, "exp": now + ttl}
    return jwt.encode(payload, secret_key(), algorithm=ALGORITHM)


def verify(token: str, kind: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret_key(), algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat", "kind"]}
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired") from error
    except jwt.PyJWTError as error:
        raise InvalidToken("the token is not valid") from error
    if claims["kind"] != kind:
        raise InvalidToken(f"a {claims['kind']} token cannot be used here")
    if kind in ("creator", "media") and claims.get("gen", 0) < creator_generation(str(claims.get("show", ""))):
        raise InvalidToken(f"this {kind} token has been revoked")
    return claims


def verify_join(token: str, room_id: int) -> dict[str, Any]:
    """A join token's claims, if it is valid for this room (live.join_tokens reads the person in them)."""
    claims = verify(token, "join")
    if claims.get("room") != room_id:
        raise InvalidToken("this token is for another room")
    return claims


def mint_creator_token(show_slug: str, days: int | None = None) -> str:
    """Lets its bearer manage one show through the API (publish, edit, feed tokens…), until it
    expires or the show's creator tokens are revoked (``revoke_creator_tokens``)."""
    ttl = timedelta(days=days or get_settings().creator_token_days)
    claims = {"sub": f"owner:{show_slug}", "show": show_slug, "gen": creator_generation(show_slug, fresh=True)}
    return mint("creator", claims, ttl)


def mint_media_token(show_slug: str, hours: float = 2.0) -> str:
    """For URLs a creator's page hands out (audio, transcripts, waveforms of an unpublished episode):
    it reads the show's media and pages, manages nothing, expires in hours and is revoked with the
    creator's tokens. A creator token in such a URL lived for 30 days and could do everything."""
    return mint("media", {"show": show_slug, "gen": creator_generation(show_slug)}, timedelta(hours=hours))


def kind_of(token: str) -> str | None:
    """The kind a JWT says it is, unverified: only to choose what to verify it as."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("kind")
    except jwt.PyJWTError:
        return None


# --- revocation ---------------------------------------------------------------------------
GENERATION_TTL_S = 2.0  # a revocation takes effect everywhere within this; one query per show meanwhile
_generations: dict[str, tuple[float, int]] = {}


def creator_generation(show_slug: str, fresh: bool = False) -> int:
    """The show's current creator token generation (0 for a show that does not exist)."""
    from roomcast.db import session_scope
    from roomcast.models import Show

    cached = _generations.get(show_slug)
    if cached is not None and not fresh and time.monotonic() - cached[0] < GENERATION_TTL_S:
        return cached[1]
    with session_scope() as session:
        generation = session.scalar(select(Show.creator_token_generation).where(Show.slug == show_slug)) or 0
    _generations[show_slug] = (time.monotonic(), generation)
    return generation


def revoke_creator_tokens(show_slug: str) -> int:
    """Every creator token of the show minted until now stops working; returns the new generation."""
    from roomcast.db import session_scope
    from roomcast.models import Show

    with session_scope() as session:
        session.execute(update(Show).where(Show.slug == show_slug)
                        .values(creator_token_generation=Show.creator_token_generation + 1))
    _generations.pop(show_slug, None)
    return creator_generation(show_slug, fresh=True)
