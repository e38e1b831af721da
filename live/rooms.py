"""Rooms as records: opened now or scheduled, their access and invite list, join links.

Scheduling announces a room in its show's feed (``podcast:liveItem``, pending); opening it
makes the item live. What happens inside a live room is ``live.live_room``'s business.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from roomcast.errors import UserError
from roomcast.instants import as_utc
from live.join_tokens import check_identity, mint_join_token
from roomcast.models import Role, Room, RoomAccess, RoomStatus, Show, utcnow
from roomcast.settings import get_settings
from roomcast.text import clean_line

MAX_SCHEDULE_AHEAD = timedelta(days=366)


def schedule_room(session: Session, show: Show, title: str, start: datetime, description: str = "",
                  access: RoomAccess = RoomAccess.open) -> Room:
    title = _title(title)
    start = as_utc(start)  # stored and announced in UTC; pages show it in each viewer's zone
    now = utcnow()
    if start < now - timedelta(minutes=5):
        raise UserError("a room cannot be scheduled in the past")
    if start > now + MAX_SCHEDULE_AHEAD:
        raise UserError("a room can be scheduled at most a year ahead")
    room = Room(show=show, title=title, description=description.strip(), status=RoomStatus.scheduled,
                scheduled_at=start, access=RoomAccess(access), invited=[])
    session.add(room)
    show.touch_feed()
    session.flush()
    return room


def open_room(session: Session, show: Show, title: str, description: str = "",
              access: RoomAccess = RoomAccess.open) -> Room:
    """A room that is live now: its host joins through the link ``host_link`` gives."""
    room = Room(show=show, title=_title(title), description=description.strip(), status=RoomStatus.live,
                started_at=utcnow(), access=RoomAccess(access), invited=[])
    session.add(room)
    show.touch_feed()
    session.flush()
    return room


def invite_identity(room: Room, identity: str) -> None:
    """Closed rooms admit the identities on their list (hosts and moderators always)."""
    check_identity(identity)
    if identity not in (room.invited or []):
        room.invited = [*(room.invited or []), identity]


def uninvite_identity(room: Room, identity: str) -> None:
    room.invited = [entry for entry in room.invited or [] if entry != identity]


def join_link(room: Room, identity: str, name: str, role: Role, hours: float | None = None) -> str:
    """A personal link into the room; the token rides in the fragment, which is never sent to a server."""
    if room.status in (RoomStatus.ended, RoomStatus.interrupted):
        raise UserError(f"room {room.id} has ended")
    try:
        token = mint_join_token(room.id, identity, name, role, hours)
    except ValueError as error:
        raise UserError(str(error)) from error
    if room.access == RoomAccess.closed and role not in (Role.host, Role.moderator):
        invite_identity(room, identity)
    return f"{get_settings().public_base_url}/rooms/{room.id}#join={token}"


def host_link(room: Room, name: str = "Host") -> str:
    """The show's host joins every room of the show as the same person, ``host-{slug}``."""
    return join_link(room, f"host-{room.show.slug}", name, Role.host)


def _title(title: str) -> str:
    title = clean_line(title)
    if not title:
        raise UserError("a room needs a title")
    return title
