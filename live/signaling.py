"""The room's WebSocket: who may come in, and the read loop that feeds their messages to the room.

A connection must ``join`` within a few seconds with a valid token for this room; then every
message is parsed (``live.protocol``) and handed to the live room. Anything wrong with one
message is answered with an ``error`` on the same socket, which stays open.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from live import protocol as p
from live import records
from live.ice import browser_ice_servers
from live.join_tokens import JoinClaims, read_join_token
from live.connection import Connection
from live.live_room import LiveRoom, stream_urls
from live.rate import OFFER_COST
from live.stage import Refused
from roomcast.models import Role, RoomAccess, RoomStatus
from roomcast.packets import PacketSink
from roomcast.settings import get_settings
from roomcast.tokens import InvalidToken
from roomcast.web import RowId

log = logging.getLogger(__name__)


@asynccontextmanager
async def _sweeping(app: object) -> AsyncIterator[None]:
    """While the app runs: end rooms opened and never joined (``records.end_abandoned``)."""
    task = asyncio.create_task(_sweep_abandoned())
    yield
    task.cancel()


async def _sweep_abandoned() -> None:
    unjoined_s = get_settings().room_unjoined_s
    while True:
        try:
            for room_id in await _in_records_thread(records.end_abandoned, unjoined_s):
                log.info("room %s ended: nobody joined it in %.0f s", room_id, unjoined_s)
        except Exception:  # a database hiccup must not stop the sweep for good
            log.exception("ending abandoned rooms failed")
        await asyncio.sleep(min(60.0, max(0.2, unjoined_s / 4)))


router = APIRouter(lifespan=_sweeping)
JOIN_TIMEOUT_S = 10.0
# Sockets per client address: before they have joined (a join takes a second; anything more
# is someone holding sockets open), and in all (a whole office behind one NAT fits).
MAX_UNJOINED_PER_ADDRESS = 32
MAX_SOCKETS_PER_ADDRESS = 256


class SocketsPerAddress:
    """How many room sockets each client address holds open, and how many of them have not joined."""

    def __init__(self) -> None:
        self.unjoined: Counter[str] = Counter()
        self.total: Counter[str] = Counter()

    def open(self, address: str) -> bool:
        if self.unjoined[address] >= MAX_UNJOINED_PER_ADDRESS or self.total[address] >= MAX_SOCKETS_PER_ADDRESS:
            return False
        self.unjoined[address] += 1
        self.total[address] += 1
        return True

    def joined(self, address: str) -> None:
        self._drop(self.unjoined, address)

    def close(self, address: str, joined: bool) -> None:
        if not joined:
            self._drop(self.unjoined, address)
        self._drop(self.total, address)

    @staticmethod
    def _drop(counter: Counter[str], address: str) -> None:
        counter[address] -= 1
        if counter[address] <= 0:
            del counter[address]


sockets = SocketsPerAddress()


class LiveRooms:
    """The rooms this process serves, opened on first arrival and dropped when they end."""

    def __init__(self) -> None:
        self.rooms: dict[int, LiveRoom] = {}
        self.sink: PacketSink | None = None
        self._lock = asyncio.Lock()

    async def enter(self, claims: JoinClaims) -> LiveRoom:
        async with self._lock:
            facts = await _in_records_thread(records.room_facts, claims.room_id)
            check_admission(facts, claims)  # every time: invite lists and blocks change during a room
            room = self.rooms.get(claims.room_id)
            if room is not None:
                return room
            started = await _in_records_thread(records.take, claims.room_id, get_settings().node)
            room = LiveRoom(facts, started.timestamp(), self.sink)
            room.on_empty = lambda ended: self.rooms.pop(ended.id, None)
            self.rooms[claims.room_id] = room
            return room

    async def end_taken_over(self) -> None:
        """After each heartbeat: a room another node took over ends here, so that nobody goes on
        talking into a recording that is already produced (live.records.taken_from)."""
        if not self.rooms:
            return
        for room_id in await _in_records_thread(records.taken_from, list(self.rooms), get_settings().node):
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


async def _in_records_thread(function, *args):  # noqa: ANN001, ANN202
    return await asyncio.get_running_loop().run_in_executor(records.records_executor, function, *args)


@router.websocket("/rooms/{room_id}/ws")
async def room_socket(websocket: WebSocket, room_id: RowId) -> None:
    address = websocket.client.host if websocket.client else "unknown"
    await websocket.accept()
    if not sockets.open(address):
        await _refuse(websocket, "too_many_sockets", "too many connections from your address: close some, "
                      "or join within a few seconds", close_code=1013)
        return
    joined = False
    try:
        claims = await _read_join(websocket, room_id)
        room = await live_rooms.enter(claims)
        sockets.joined(address)
        joined = True
        await _take_part(websocket, claims, room)
    except (p.ProtocolError, Refused) as error:
        await _refuse(websocket, error.code, error.message, details=getattr(error, "details", None))
    except (asyncio.TimeoutError, WebSocketDisconnect):
        pass
    finally:
        sockets.close(address, joined)


async def _take_part(websocket: WebSocket, claims: JoinClaims, room: LiveRoom) -> None:
    connection = Connection(claims.identity, websocket)
    connection.start()
    try:
        member = room.admit(connection, claims.name, claims.role)
    except Refused as error:
        connection.close()
        await _refuse(websocket, error.code, error.message)
        return
    connection.send(p.server_message("welcome", v=p.VERSION, you=member.identity, room=room.welcome_room(member.identity),
                                     may_take_stage=member.token_role in (Role.host, Role.moderator, Role.speaker),
                                     ice_servers=browser_ice_servers(), stream=stream_urls(room.id),
                                     webrtc=room.may_use_webrtc(member), forward=room.forwarding.size))
    try:
        await _read_loop(websocket, connection, room)
    finally:
        room.depart(connection)
        connection.close()
        await connection.flushed()  # the socket closes when this handler returns


async def _read_join(websocket: WebSocket, room_id: int) -> JoinClaims:
    frame = await asyncio.wait_for(websocket.receive(), JOIN_TIMEOUT_S)
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    if frame.get("text") is None:  # receive_text() would raise KeyError on a binary frame
        raise p.ProtocolError("malformed", "messages are JSON text frames")
    message = p.parse_client_message(frame["text"])
    if not isinstance(message, p.Join):
        raise p.ProtocolError("join_first", "the first message must be 'join'", ref=message.type)
    if message.v != p.VERSION:
        raise p.ProtocolError("version", f"this server speaks protocol version {p.VERSION}", ref="join")
    try:
        return read_join_token(message.token, room_id)
    except InvalidToken as error:
        raise p.ProtocolError("bad_token", str(error), ref="join") from error


async def _read_loop(websocket: WebSocket, connection: Connection, room: LiveRoom) -> None:
    while connection.identity in room.connections and room.connections[connection.identity] is connection:
        try:
            frame = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if frame["type"] == "websocket.disconnect":
            return
        raw = frame.get("text")
        if not _allowed(connection):
            if connection.bucket.abusive:
                connection.close(4029, "too many messages")  # after the answers it was owed
                return
            continue
        if raw is None:
            connection.send(p.server_message("error", code="malformed", message="messages are JSON text frames"))
            continue
        try:
            message = p.parse_client_message(raw)
        except p.ProtocolError as error:
            connection.send(p.server_message("error", code=error.code, message=error.message, ref=error.ref))
            continue
        if isinstance(message, p.Offer) and not _allowed(connection, OFFER_COST - 1):
            continue  # an offer is a negotiation: it costs more of the allowance
        try:
            await room.handle(connection, message)
        except Refused as error:
            connection.send(p.server_message("error", code=error.code, message=error.message, ref=message.type))
        except Exception:  # a bug must cost one message, never the room
            log.exception("room %s: message from %s failed", room.id, connection.identity)
            connection.send(p.server_message("error", code="internal", message="that did not work; try again"))


def _allowed(connection: Connection, cost: float = 1.0) -> bool:
    """Within this socket's allowance (``live.rate``)? If not, one coalesced ``rate_limited`` says so.

    Checked before parsing, so a flood costs its sender a refusal, not the room a state change.
    """
    if connection.bucket.take(cost):
        return True
    connection.send(p.server_message("error", code="rate_limited", message="too many messages: slow down",
                                     retry_after_s=connection.bucket.retry_after_s(cost)), key="rate_limited")
    return False


async def _refuse(websocket: WebSocket, code: str, message: str, close_code: int | None = None,
                  details: dict[str, object] | None = None) -> None:
    """``details``: what the refusal adds (``elsewhere``: the room's node and its URL, live.routing)."""
    if close_code is None:
        close_code = 4401 if code in ("bad_token", "blocked", "not_invited") else 4400
    try:
        await websocket.send_text(p.server_message("error", code=code, message=message, ref="join", **(details or {})))
        await websocket.close(close_code, code)
    except Exception:
        pass
