"""Rooms no process serves any more: repaired and produced, exactly once.

A live room belongs to the node that took it (``live.records.take``). When that node dies, its
rooms are recovered either by the node itself when it starts again (``ROOMCAST_NODE`` the same:
at start, before any connection is accepted) or, once its lease has run out
(``roomcast.nodes``), by any other node, which takes them over on its heartbeat. Either way a
room is first claimed by one conditional UPDATE (live, or claimed and not yet recovered, and
still the dead node's) that marks it interrupted and names the claimer: of several nodes racing,
one wins, and nobody can join it any more. A claimer that dies mid-recovery leaves the claim to
be taken over in turn. Rooms of live nodes, of nodes with no lease (an older version), and rooms
nobody has joined are left alone.

Each archive segment is repaired by copying its packets through PyAV's Ogg demuxer, which checks
each page and stops at a torn one, so everything written before the crash is kept and the
damaged tail is dropped. The room is then handed to the pipeline once.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import av
from sqlalchemy import and_, exists, or_, select, update

from capture.archive import hand_to_pipeline
from capture.ogg_opus import OggOpusWriter
from roomcast.bookkeeping import Node
from roomcast.db import session_scope
from roomcast.models import Room, RoomStatus, utcnow
from roomcast.nodes import alive_since, dead_nodes
from roomcast.settings import get_settings
from roomcast.storage import get_media_store

log = logging.getLogger(__name__)


# Live, or claimed by a recovery that has not finished (recover_room sets ended_at last).
UNRECOVERED = or_(Room.status == RoomStatus.live, and_(Room.status == RoomStatus.interrupted, Room.ended_at.is_(None)))


def recover_interrupted_rooms() -> list[int]:
    """This node's own rooms, left by its previous process (call once its name is registered)."""
    node = get_settings().node
    with session_scope() as session:
        room_ids = list(session.scalars(select(Room.id).where(Room.sfu_node == node, UNRECOVERED)))
    return _recover([room_id for room_id in room_ids if claim(room_id, node, node)])


def take_over_lost_rooms() -> list[int]:
    """The rooms of nodes whose lease ran out, recovered by this node (on its heartbeat)."""
    me = get_settings().node
    with session_scope() as session:
        dead = [name for name in dead_nodes(session) if name != me]
        if not dead:
            return []
        rooms = session.execute(select(Room.id, Room.sfu_node).where(Room.sfu_node.in_(dead), UNRECOVERED)).all()
    taken = []
    for room_id, node in rooms:
        if claim(room_id, node, me):
            log.warning("room %s: node %r stopped renewing its lease; node %r takes the room over", room_id, node, me)
            taken.append(room_id)
    return _recover(taken)


def claim(room_id: int, node: str, me: str) -> bool:
    """Whether node ``me`` won room_id from ``node`` (itself, at start, or a dead node): one UPDATE,
    which a racing claimer finds already done."""
    with session_scope() as session:
        condition = [Room.id == room_id, Room.sfu_node == node, UNRECOVERED]
        if node != me:  # and still dead: it may have come back since we looked
            since = alive_since(session)
            condition.append(exists().where(Node.name == node, or_(Node.heartbeat_at.is_(None),
                                                                    Node.heartbeat_at < since)))
        return session.execute(update(Room).where(*condition).values(sfu_node=me, status=RoomStatus.interrupted)
                               .execution_options(synchronize_session=False)).rowcount == 1


def _recover(room_ids: list[int]) -> list[int]:
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
