"""Rooms as records: opened now or scheduled, their access and invite list, join links.

Scheduling announces a room in its show's feed (``podcast:liveItem``, pending); opening it
makes the item live. What happens inside a live room is ``live.live_room``'s business.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from roomcast.errors import Conflict, UserError
from roomcast.instants import as_utc
from live.join_tokens import check_identity, mint_join_token
from roomcast.models import Role, Room, RoomAccess, RoomStatus, Show, utcnow
from roomcast.settings import get_settings
from roomcast.text import clean_line, clean_text

MAX_SCHEDULE_AHEAD = timedelta(days=366)


def schedule_room(session: Session, show: Show, title: str, start: datetime, description: str = "",
                  access: RoomAccess = RoomAccess.open, max_stage: int | None = None) -> Room:
    title, start = _title(title), _start(start)
    room = Room(show=show, title=title, description=clean_text(description), status=RoomStatus.scheduled,
                scheduled_at=start, access=RoomAccess(access), invited=[], max_stage=_max_stage(max_stage))
    session.add(room)
    show.touch_feed()
    session.flush()
    return room


def open_room(session: Session, show: Show, title: str, description: str = "",
              access: RoomAccess = RoomAccess.open, max_stage: int | None = None) -> Room:
    """A room that is live now: its host joins through the link ``host_link`` gives."""
    room = Room(show=show, title=_title(title), description=clean_text(description), status=RoomStatus.live,
                started_at=utcnow(), access=RoomAccess(access), invited=[], max_stage=_max_stage(max_stage))
    session.add(room)
    show.touch_feed()
    session.flush()
    return room


def _max_stage(asked: int | None) -> int | None:
    """A room's own stage size: the server's ``max_stage`` unless it asks for more, up to the limit."""
    limit = get_settings().max_stage_limit
    if asked is not None and not 1 <= asked <= limit:
        raise UserError(f"a room's stage holds from 1 to {limit} people (max_stage_limit), not {asked}")
    return asked


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
        raise Conflict(f"room {room.id} has ended")  # 409, as for a guest: the request itself was fine
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


def update_room(room: Room, title: str | None = None, description: str | None = None,
                start: datetime | None = None, access: RoomAccess | None = None) -> None:
    """A creator's corrections before the room is over: title and description while it is
    scheduled or live, its start and access only until it opens. ``None`` keeps a value."""
    if room.status not in (RoomStatus.scheduled, RoomStatus.live):
        raise Conflict(f"room {room.id} is {room.status.value}: only a scheduled or live room can be changed")
    if (start is not None or access is not None) and room.status != RoomStatus.scheduled:
        raise Conflict(f"room {room.id} is live: its start and access can no longer change")
    if title is not None:
        room.title = _title(title)
    if description is not None:
        room.description = clean_text(description)
    if start is not None:
        room.scheduled_at = _start(start)
    if access is not None:
        room.access = RoomAccess(access)
    room.show.touch_feed()


def cancel_room(session: Session, room: Room) -> None:
    """A scheduled room that will not happen: deleted, so it leaves the feed and its links stop
    opening it. Nothing is recorded before a room opens; one that opened is ended, never deleted."""
    if room.status != RoomStatus.scheduled:
        raise Conflict(f"room {room.id} is {room.status.value}: only a scheduled room can be cancelled")
    room.show.touch_feed()
    session.delete(room)
    session.flush()


def _start(start: datetime) -> datetime:
    start = as_utc(start)  # stored and announced in UTC; pages show it in each viewer's zone
    now = utcnow()
    if start < now - timedelta(minutes=5):
        raise UserError("a room cannot be scheduled in the past")
    if start > now + MAX_SCHEDULE_AHEAD:
        raise UserError("a room can be scheduled at most a year ahead")
    return start


def _title(title: str) -> str:
    title = clean_line(title)
    if not title:
        raise UserError("a room needs a title")
    return title
