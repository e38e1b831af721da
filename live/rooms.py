"""Rooms before and around their live part: scheduling, and what their page shows.

The SFU, roles and the stage come with the live client; scheduling already announces a
room in its show's feed (``podcast:liveItem``, pending).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from roomcast.errors import UserError
from roomcast.models import Room, RoomStatus, Show, utcnow
from roomcast.text import clean_line

MAX_SCHEDULE_AHEAD = timedelta(days=366)


def schedule_room(session: Session, show: Show, title: str, start: datetime, description: str = "") -> Room:
    title = clean_line(title)
    if not title:
        raise UserError("a room needs a title")
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    now = utcnow()
    if start < now - timedelta(minutes=5):
        raise UserError("a room cannot be scheduled in the past")
    if start > now + MAX_SCHEDULE_AHEAD:
        raise UserError("a room can be scheduled at most a year ahead")
    room = Room(show=show, title=title, description=description.strip(), status=RoomStatus.scheduled, scheduled_at=start)
    session.add(room)
    show.touch_feed()
    session.flush()
    return room
