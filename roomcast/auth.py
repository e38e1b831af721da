"""Who may do what over HTTP: the show's creator proves it with a creator token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sqlalchemy.orm import Session

from roomcast.models import Room
from roomcast.tokens import InvalidToken, verify

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
