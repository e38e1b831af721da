"""Who may hear a room's stream: anyone for an open room of a public show; else a token.

A closed or private room, or any room of a private show, streams only with a token on the
URL (podcast apps send no headers): a join token for the room, the show's creator token, or,
for an open room of a private show, the subscriber's feed token (the one its feed carries).
A join token stops working when its holder is removed and blocked, or taken off a closed
room's invite list, a feed token when the host revokes it; a listener already streaming is
checked again every ``stream_recheck_s`` (settings).
"""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy.orm import Session

from live.join_tokens import read_join_token
from roomcast.access import AccessDenied, access_for
from roomcast.auth import require_room_token
from roomcast.db import session_scope
from roomcast.models import Participant, Role, Room, RoomAccess
from roomcast.tokens import InvalidToken



def is_public(room: Room) -> bool:
    return not room.show.private and room.access == RoomAccess.open


def require_stream_access(session: Session, room: Room, token: str | None) -> None:
    """Raises the 401/403 a listener without the right token gets."""
    if is_public(room):
        return
    if token and room.access == RoomAccess.open and token.count(".") != 2:  # not a JWT: a feed token
        try:
            access_for(session, room.show, token)  # a subscriber's, not revoked
        except AccessDenied as denied:
            raise HTTPException(denied.status, str(denied)) from denied
        return
    require_room_token(room, token)
    try:
        claims = read_join_token(token or "", room.id)
    except InvalidToken:
        return  # the show's creator token
    if claims.role in (Role.host, Role.moderator):
        return
    blocked = session.query(Participant).filter_by(room_id=room.id, identity=claims.identity).first()
    if blocked is not None and blocked.blocked_at is not None:
        raise HTTPException(403, "you were removed from this room")
    if room.access == RoomAccess.closed and claims.identity not in (room.invited or []):
        raise HTTPException(403, "this room is for invited people only")


def still_allowed(room_id: int, token: str | None) -> bool:
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None:
            return False
        try:
            require_stream_access(session, room, token)
        except HTTPException:
            return False
        return True
