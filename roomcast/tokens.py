"""Signed, expiring tokens (JWT, HS256) for creators and, later, room participants.

The key is ``ROOMCAST_SECRET_KEY``; without it, one is generated once into the data
directory (embedded mode). Scale-out nodes must share one key through the variable.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

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
    return claims


def mint_creator_token(show_slug: str, days: int | None = None) -> str:
    """Lets its bearer manage one show through the API (publish, edit, feed tokens…)."""
    ttl = timedelta(days=days or get_settings().creator_token_days)
    return mint("creator", {"sub": f"owner:{show_slug}", "show": show_slug}, ttl)
