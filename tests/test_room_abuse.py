"""One guest, or one slow socket, must not cost anybody else the room (issue 15, item 2).

Against a running `roomcast serve` with real WebSocket clients: a burst of 300 ``raise_hand``
from an anonymous guest used to close every socket in the room with 4008 (each message was
broadcast to all as a full snapshot and filled everyone's queue); a join sent the whole
participant list to everyone.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import websockets

from contrib.bot import apply
from live.rate import BURST
from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(300)


class Raw:
    """A bare protocol client: what an attacker or a script would write, no WebRTC."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.state: dict[str, Any] = {}
        self.messages: list[dict] = []
        self.bytes_after_welcome = 0
        self.closed: int | None = None
        self._ws: Any = None
        self._reader: asyncio.Task | None = None

    async def join(self) -> Raw:
        self._ws = await websockets.connect(self.url, max_size=2**22)
        await self._ws.send(json.dumps({"type": "join", "v": 1, "token": self.token}))
        self._reader = asyncio.create_task(self._read())
        await self.until(lambda: bool(self.state), "welcome")
        return self

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                frame = json.loads(raw)
                if self.state:
                    self.bytes_after_welcome += len(raw)
                for message in frame["messages"] if frame["type"] == "batch" else [frame]:
                    self.messages.append(message)
                    if message["type"] in ("welcome", "state", "participant", "participant_gone"):
                        self.state = apply(self.state, message)
        except websockets.ConnectionClosed:
            pass
        self.closed = self._ws.close_code

    async def send(self, kind: str, **fields: Any) -> None:
        await self._ws.send(json.dumps({"type": kind, **fields}))

    async def until(self, predicate, what: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; last messages {self.messages[-3:]}")
            await asyncio.sleep(0.02)

    async def answers_ping(self) -> bool:
        seen = len(self.messages)
        await self.send("ping")
        await self.until(lambda: any(m["type"] == "pong" for m in self.messages[seen:]), "pong")
        return self.closed is None

    async def close(self) -> None:
        await self._ws.close()
        if self._reader is not None:
            await self._reader


def _guest_token(live: LiveServer, room_id: int, name: str = "Guest") -> str:
    with live.server.client() as client:
        response = client.post(f"/api/rooms/{room_id}/guest", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def test_a_guests_burst_of_300_raised_hands_costs_nobody_else_the_room(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await Raw(live.ws(room_id), host_token).join()
        listener = await Raw(live.ws(room_id), live.token(room_id, "lena")).join()
        guest = await Raw(live.ws(room_id), _guest_token(live, room_id)).join()
        guest_id = next(m["you"] for m in guest.messages if m["type"] == "welcome")
        await host.until(lambda: any(p["identity"] == guest_id for p in host.state["participants"]), "the guest")
        before = len(listener.messages)
        for n in range(300):  # every second one a real change: up, down, up...
            await guest._ws.send(json.dumps({"type": "raise_hand" if n % 2 == 0 else "lower_hand"}))
        await guest._ws.send(json.dumps({"type": "raise_hand"}))
        await guest.until(lambda: guest.closed is not None or any(
            m.get("code") == "rate_limited" for m in guest.messages), "the guest told to slow down")
        assert await host.answers_ping() and await listener.answers_ping()  # and all before the pong arrived
        assert host.closed is None and listener.closed is None
        assert any(m["type"] == "state" and guest_id in m["room"]["hands"] for m in host.messages) or \
            not any(m["type"] == "participant" and m["participant"]["hand_raised"] for m in host.messages)
        # the guest's allowance (live.rate) bounds what it can make the others hear; coalescing
        # (live.outbox) usually makes it one or two messages. It was 300 full snapshots.
        told = [m for m in listener.messages[before:] if m["type"] != "pong"]
        assert len(told) <= BURST + 5, told
        assert not any(m["type"] == "state" and m["room"]["hands"] for m in listener.messages)  # moderators' only
        assert guest.closed in (None, 4029), guest.closed  # a flood past its allowance closes the flooder alone
        for client in (host, listener, guest):
            await client.close()

    asyncio.run(scenario())


def test_a_join_tells_the_others_one_card_not_the_whole_list(live: LiveServer) -> None:
    room_id, host_token = live.open_room()
    count = 60

    async def scenario() -> None:
        host = await Raw(live.ws(room_id), host_token).join()
        guests = []
        for n in range(count):
            guests.append(await Raw(live.ws(room_id), _guest_token(live, room_id, f"Guest {n}")).join())
        await host.until(lambda: len(host.state["participants"]) == count + 1, "everyone at the host")
        # the latest to arrive got the whole room in its welcome
        assert len(guests[-1].state["participants"]) == count + 1
        pushed = [m for m in host.messages if m["type"] != "welcome"]
        assert all("participants" not in m.get("room", {}) for m in pushed)
        assert sum(m["type"] == "participant" for m in pushed) == count
        # the full list each time was 60 * 61 / 2 cards, about 330 kB; one card each is about 15 kB
        assert host.bytes_after_welcome < count * 600, host.bytes_after_welcome
        await guests[0].close()
        await host.until(lambda: len(host.state["participants"]) == count, "the first guest gone")
        assert host.messages[-1]["type"] == "participant_gone"
        for client in (host, *guests[1:]):
            await client.close()

    asyncio.run(scenario())


def test_a_socket_that_sends_past_its_allowance_is_refused_then_closed(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await Raw(live.ws(room_id), host_token).join()
        flooder = await Raw(live.ws(room_id), _guest_token(live, room_id)).join()
        for _ in range(2000):
            try:
                await flooder._ws.send('{"type":"ping"}')
            except websockets.ConnectionClosed:
                break
        await flooder.until(lambda: flooder.closed is not None, "the flooder closed")
        assert flooder.closed == 4029
        pongs = sum(m["type"] == "pong" for m in flooder.messages)
        assert 40 <= pongs < 100, pongs  # the burst allowance, then refusals
        assert any(m.get("code") == "rate_limited" for m in flooder.messages)
        await host.until(lambda: len(host.state["participants"]) == 1, "the flooder gone")
        assert await host.answers_ping()
        await host.close()

    asyncio.run(scenario())


def test_sockets_that_never_join_are_capped_per_address(live: LiveServer) -> None:
    from live.signaling import MAX_UNJOINED_PER_ADDRESS

    room_id, host_token = live.open_room()

    async def scenario() -> None:
        idle = [await websockets.connect(live.ws(room_id)) for _ in range(MAX_UNJOINED_PER_ADDRESS)]
        one_more = await websockets.connect(live.ws(room_id))
        refusal = json.loads(await one_more.recv())
        assert refusal["code"] == "too_many_sockets", refusal
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await one_more.recv()
        assert closed.value.rcvd.code == 1013  # try again later
        # a socket that joins stops counting as idle, and a closed one frees its place
        await idle[0].close()
        host = await Raw(live.ws(room_id), host_token).join()
        assert await host.answers_ping()
        for socket in idle[1:]:
            await socket.close()
        await host.close()

    asyncio.run(scenario())


def test_an_e_mail_identity_is_shown_to_moderators_and_its_owner_only(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await Raw(live.ws(room_id), host_token).join()
        ann = await Raw(live.ws(room_id), live.token(room_id, "ann@example.org")).join()
        lou = await Raw(live.ws(room_id), live.token(room_id, "lou")).join()
        await ann.send("raise_hand")
        await lou.until(lambda: any(p["hand_raised"] for p in lou.state["participants"]), "ann's hand at lou")
        card = next(p for p in lou.state["participants"] if p["name"] == "Ann@Example.Org")
        assert card["identity"].startswith("p-") and "example.org" not in json.dumps(lou.messages)
        assert any(p["identity"] == "ann@example.org" for p in host.state["participants"])
        assert any(p["identity"] == "ann@example.org" for p in ann.state["participants"])
        # a moderator may name her by what a listener's page shows
        await host.send("invite", identity=card["identity"])
        await ann.until(lambda: any(m["type"] == "invited" for m in ann.messages), "the invitation")
        for client in (host, ann, lou):
            await client.close()

    asyncio.run(scenario())
