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

from live import aiortc_internals
from live import protocol as p
from live.connection import Connection
from live.ice import browser_ice_servers
from live.join_tokens import JoinClaims, read_join_token
from live.live_room import LiveRoom
from live.rate import OFFER_COST
from live.registry import live_rooms, sweep_abandoned
from live.room_media import stream_urls
from live.stage import Refused
from roomcast.models import Role
from roomcast.tokens import InvalidToken
from roomcast.web import RowId

log = logging.getLogger(__name__)


@asynccontextmanager
async def _sweeping(app: object) -> AsyncIterator[None]:
    """While the app runs: end rooms opened and never joined. First, fail fast if this aiortc is
    not one the SFU can forward with (``live.aiortc_internals``)."""
    aiortc_internals.check()
    task = asyncio.create_task(sweep_abandoned())
    yield
    task.cancel()


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
                                     webrtc=room.media.may_use_webrtc(member), forward=room.media.forwarding.size))
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
