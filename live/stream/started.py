"""The room's record learns that its stream plays: the feed's liveItem may now say ``live``."""

from __future__ import annotations

from roomcast.db import session_scope
from roomcast.models import Room, utcnow


def mark_started(room_id: int) -> None:
    with session_scope() as session:
        room = session.get(Room, room_id)
        if room is None or room.stream_started_at is not None:
            return
        room.stream_started_at = utcnow()
        room.show.touch_feed()
