"""HLS files a dead process left behind: removed at start, once the crashed rooms are recovered.

A node killed mid-room leaves ``rooms/{id}/live/`` without its end; the room itself is
recovered and published from its archive (``capture.recovery``), but a playlist that never
ends would keep players polling and keep the room's audio on the disk. Only rooms that are
no longer live are touched, so another node's live room on shared media is left alone.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from roomcast.db import session_scope
from roomcast.models import Room, RoomStatus
from roomcast.storage import get_media_store

log = logging.getLogger(__name__)


def remove_stale_streams() -> list[int]:
    store = get_media_store()
    rooms_dir = store.root / "rooms"
    candidates = [int(d.parent.name) for d in rooms_dir.glob("*/live") if d.parent.name.isdigit()]
    if not candidates:
        return []
    with session_scope() as session:
        live = set(session.scalars(select(Room.id).where(Room.id.in_(candidates), Room.status == RoomStatus.live)))
    stale = [room_id for room_id in candidates if room_id not in live]
    for room_id in stale:
        store.delete_tree(f"rooms/{room_id}/live")
        log.info("room %s: removed the live stream files a stopped process left", room_id)
    return stale
