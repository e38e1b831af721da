"""After a crash: rooms that were live when the server died are repaired and produced.

At start, before any connection is accepted, every room still marked live and pinned to this
node (``ROOMCAST_NODE``; see ``live.records.take``) belongs to no running process: this node
served it and died. Rooms of other nodes, and rooms nobody has joined yet, are left alone.
Each of its archive segments is repaired by copying its packets through PyAV's Ogg demuxer,
which checks each page and stops at a torn one, so everything written before the crash is
kept and the damaged tail is dropped. The room is marked interrupted and handed to the pipeline once.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import av
from sqlalchemy import select

from capture.archive import hand_to_pipeline
from capture.ogg_opus import OggOpusWriter
from roomcast.db import session_scope
from roomcast.models import Room, RoomStatus, utcnow
from roomcast.settings import get_settings
from roomcast.storage import get_media_store

log = logging.getLogger(__name__)


def recover_interrupted_rooms() -> list[int]:
    with session_scope() as session:
        room_ids = list(session.scalars(select(Room.id).where(
            Room.status == RoomStatus.live, Room.sfu_node == get_settings().node)))
    for room_id in room_ids:
        recover_room(room_id)
    return room_ids


def recover_room(room_id: int) -> None:
    store = get_media_store()
    with session_scope() as session:
        room = session.get(Room, room_id)
        last_write = 0.0
        for track in room.tracks:
            path = store.path(track.media_key)
            if path.exists():
                last_write = max(last_write, path.stat().st_mtime)
            track.duration_s = round(repair_segment(path), 4)
            track.size_bytes = path.stat().st_size if path.exists() else 0
        room.status = RoomStatus.interrupted
        room.ended_at = datetime.fromtimestamp(last_write, timezone.utc) if last_write else utcnow()
        room.show.touch_feed()
    log.warning("room %s was live when the server stopped: its archive is repaired and goes to the pipeline", room_id)
    hand_to_pipeline(room_id)


def repair_segment(path: Path) -> float:
    """Rewrite the segment with every packet that can still be read; returns its duration."""
    if not path.exists() or path.stat().st_size == 0:
        return 0.0
    repaired = path.with_name(f".{path.name}.repaired")
    writer = OggOpusWriter(repaired)
    try:
        with av.open(str(path)) as container:
            for packet in _readable_packets(container):
                writer.write(bytes(packet), int(packet.pts))
    except av.FFmpegError as error:
        log.warning("%s: unreadable (%s); nothing of it is kept", path, error)
    finally:
        writer.close()
    os.replace(repaired, path)
    return writer.duration_s


def _readable_packets(container: av.container.InputContainer):  # noqa: ANN202
    try:
        for packet in container.demux(audio=0):
            if packet.size and packet.pts is not None:
                yield packet
    except av.FFmpegError:
        return  # the torn tail
