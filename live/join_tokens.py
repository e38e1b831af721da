"""Join tokens: signed, expiring invitations into one room, with the highest role allowed.

A token names the room, the person (identity and display name) and the role they may hold
at most when they join: ``host`` and ``moderator`` join as such, ``speaker`` may step onto
the stage without waiting for an invite, ``listener`` joins the audience.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from roomcast.models import Role
from roomcast.settings import get_settings
from roomcast.text import clean_line
from roomcast.tokens import InvalidToken, mint, verify_join

IDENTITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$")
MAX_NAME = 80


@dataclass(frozen=True)
class JoinClaims:
    room_id: int
    identity: str
    name: str
    role: Role


def check_identity(identity: str) -> str:
    if not IDENTITY.match(identity):
        raise ValueError("an identity is 1-128 letters, digits or . _ @ : - and starts with a letter or digit")
    return identity


def clean_name(name: str) -> str:
    name = clean_line(name)[:MAX_NAME]
    if not name:
        raise ValueError("a display name cannot be empty")
    return name


def mint_join_token(room_id: int, identity: str, name: str, role: Role, hours: float | None = None) -> str:
    ttl = timedelta(hours=hours or get_settings().join_token_hours)
    claims = {"sub": check_identity(identity), "room": room_id, "name": clean_name(name), "role": Role(role).value}
    return mint("join", claims, ttl)


def mint_guest_token(room_id: int, name: str) -> str:
    """For open rooms: anyone with the link listens, under a fresh identity."""
    return mint_join_token(room_id, f"guest-{secrets.token_hex(6)}", name, Role.listener, hours=12)


def read_join_token(token: str, room_id: int) -> JoinClaims:
    claims = verify_join(token, room_id)
    try:
        return JoinClaims(room_id, check_identity(claims["sub"]), clean_name(claims["name"]), Role(claims["role"]))
    except (KeyError, ValueError) as error:
        raise InvalidToken("the token is not valid") from error
