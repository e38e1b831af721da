"""Who may do what over HTTP: the show's creator proves it with a creator token, a room's
people with their join tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sqlalchemy.orm import Session

from roomcast.models import Room
from roomcast.tokens import InvalidToken, verify, verify_join

bearer = HTTPBearer(auto_error=False, description="A creator token from `roomcast token creator SLUG`.")


def creator_claims(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict:
    if credentials is None:
        raise HTTPException(401, "a creator token is needed (Authorization: Bearer …)", {"WWW-Authenticate": "Bearer"})
    try:
        return verify(credentials.credentials, "creator")
    except InvalidToken as error:
        raise HTTPException(401, str(error), {"WWW-Authenticate": "Bearer"}) from error


def require_creator_of(show_slug: str, claims: dict) -> None:
    if claims.get("show") != show_slug:
        raise HTTPException(403, f"this token does not manage show {show_slug!r}")


def room_of_creator(session: Session, room_id: int, claims: dict) -> Room:
    """The room, if the token manages its show: 404 for no room, 403 for someone else's."""
    room = session.get(Room, room_id)
    if room is None:
        raise HTTPException(404, f"no room {room_id}")
    require_creator_of(room.show.slug, claims)
    return room


CreatorClaims = Annotated[dict, Depends(creator_claims)]


def is_creator_of(show_slug: str, token: str) -> bool:
    try:
        return verify(token, "creator").get("show") == show_slug
    except InvalidToken:
        return False


def require_room_token(room: Room, token: str | None) -> None:
    """A room that is not open to all: a join token for it, or its show's creator token (the
    room's streams and its transcript so far share this rule)."""
    if not token:
        raise HTTPException(401, "this room is not open: a join token or the creator's token is needed (?token=)")
    try:
        verify_join(token, room.id)
        return
    except InvalidToken as join_error:
        try:
            claims = verify(token, "creator")
        except InvalidToken:
            raise HTTPException(403, str(join_error)) from join_error
    require_creator_of(room.show.slug, claims)
