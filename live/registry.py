"""The rooms this process serves: opened on first arrival, dropped when they end.

A room is served by one node (its people must hear each other): the first arrival takes it
(``live.records.take``), later ones join it here. After each heartbeat of the node's lease, a
room another node took over ends here, and with no room left the heap's frozen survivors are
collected (``roomcast.heap``). Rooms opened and never joined are ended by a sweep.
"""

from __future__ import annotations

import asyncio
import logging

from live import records
from live.join_tokens import JoinClaims
from live.live_room import LiveRoom
from live.stage import Refused
from roomcast import heap
from roomcast.models import Role, RoomAccess, RoomStatus
from roomcast.packets import PacketSink
from roomcast.settings import get_settings

log = logging.getLogger(__name__)


class LiveRooms:
    def __init__(self) -> None:
        self.rooms: dict[int, LiveRoom] = {}
        self.sink: PacketSink | None = None
        self._lock = asyncio.Lock()

    async def enter(self, claims: JoinClaims) -> LiveRoom:
        room = self.rooms.get(claims.room_id)
        if room is not None and room.stage.access != RoomAccess.closed.value:
            # Live here and not closed: what could refuse this person (a block, the room's end) is
            # the stage's to say (Stage.join); only a closed room's invite list changes elsewhere.
            # So a join storm costs the records thread nothing, and joins do not queue behind it.
            return room
        async with self._lock:
            facts = await in_records_thread(records.room_facts, claims.room_id)
            check_admission(facts, claims)  # every time: invite lists and blocks change during a room
            room = self.rooms.get(claims.room_id)
            if room is not None:
                return room
            started = await in_records_thread(records.take, claims.room_id, get_settings().node)
            room = LiveRoom(facts, started.timestamp(), self.sink)
            room.on_empty = lambda ended: self.rooms.pop(ended.id, None)
            self.rooms[claims.room_id] = room
            return room

    async def after_beat(self) -> None:
        """After each heartbeat of the node's lease: rooms taken over end; an idle heap is cleaned."""
        await self.end_taken_over()
        if (collected := heap.clean(idle=not self.rooms)) and log.isEnabledFor(logging.DEBUG):
            log.debug("collected %d objects frozen while rooms ran", collected)

    async def end_taken_over(self) -> None:
        """A room another node took over ends here, so that nobody goes on talking into a
        recording that is already produced (live.records.taken_from)."""
        if not self.rooms:
            return
        for room_id in await in_records_thread(records.taken_from, list(self.rooms), get_settings().node):
            if (room := self.rooms.get(room_id)) is not None:
                log.warning("room %s was taken over by another node while this one was not answering", room_id)
                await room.end("this server stopped answering for a while and the room was ended")

    async def close_all(self) -> None:
        for room in list(self.rooms.values()):
            await room.end("the server is shutting down")


live_rooms = LiveRooms()


def check_admission(facts: records.RoomFacts | None, claims: JoinClaims) -> None:
    if facts is None:
        raise Refused("no_room", f"no room {claims.room_id}")
    if facts.status in (RoomStatus.ended, RoomStatus.interrupted):
        raise Refused("ended", "this room has ended")
    moderates = claims.role in (Role.host, Role.moderator)
    if facts.status == RoomStatus.scheduled and not moderates:
        raise Refused("not_started", "this room has not started yet")
    if claims.identity in facts.blocked:
        raise Refused("blocked", "you were removed from this room")
    if facts.access == RoomAccess.closed and not moderates and claims.identity not in facts.invited:
        raise Refused("not_invited", "this room is for invited people only")


async def in_records_thread(function, *args):  # noqa: ANN001, ANN002, ANN201
    """``function(*args)`` in the records thread (``live.records``): the event loop never waits on the database."""
    return await asyncio.get_running_loop().run_in_executor(records.records_executor, function, *args)


async def sweep_abandoned() -> None:
    """For as long as the app runs: end rooms opened and never joined (``records.end_abandoned``)."""
    unjoined_s = get_settings().room_unjoined_s
    while True:
        try:
            for room_id in await in_records_thread(records.end_abandoned, unjoined_s):
                log.info("room %s ended: nobody joined it in %.0f s", room_id, unjoined_s)
        except Exception:  # a database hiccup must not stop the sweep for good
            log.exception("ending abandoned rooms failed")
        await asyncio.sleep(min(60.0, max(0.2, unjoined_s / 4)))
