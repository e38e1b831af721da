"""Rooms people can find: live now and coming up, on the home page and each show's page.

Private rooms and private shows are never listed (their pages are doors for join links only);
open and closed rooms are, as the feed announces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.links import path
from roomcast.models import Room, RoomAccess, RoomStatus, Show

MAX_LISTED = 20


@dataclass(frozen=True)
class ListedRoom:
    id: int
    title: str
    description: str
    show_slug: str
    show_title: str
    live: bool
    starts: datetime | None  # a live room: when it opened; a scheduled one: when it is to start
    open_door: bool  # anyone may come in (open rooms); closed rooms are for the invited

    @property
    def calendar_url(self) -> str:
        return path("room_calendar", room_id=self.id)


def listed_rooms(session: Session, show: Show | None = None) -> list[ListedRoom]:
    """Live rooms first (longest running first), then scheduled ones, soonest first."""
    query = (select(Room).join(Show).where(Show.private.is_(False), Room.access != RoomAccess.private,
                                          Room.status.in_([RoomStatus.live, RoomStatus.scheduled])))
    if show is not None:
        query = query.where(Room.show_id == show.id)
    rooms = session.scalars(query).all()
    listed = [_listed(room) for room in rooms]
    listed.sort(key=lambda r: (not r.live, r.starts.timestamp() if r.starts else float("inf"), r.id))
    return listed[:MAX_LISTED]


def _listed(room: Room) -> ListedRoom:
    live = room.status == RoomStatus.live
    return ListedRoom(room.id, room.title, room.description, room.show.slug, room.show.title, live,
                      room.started_at if live else room.scheduled_at, room.access == RoomAccess.open)


def live_show_ids(session: Session) -> set[int]:
    """Shows with a listed room live right now: they wear a "live now" badge."""
    query = (select(Room.show_id).join(Show).where(Show.private.is_(False), Room.access != RoomAccess.private,
                                                  Room.status == RoomStatus.live))
    return set(session.scalars(query))
