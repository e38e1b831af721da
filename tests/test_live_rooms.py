"""Live rooms with real aiortc participants against a running `roomcast serve`.

The bots speak the protocol the browser speaks (live/PROTOCOL.md) over real WebRTC. The
speaker sends an Ogg/Opus file's packets unencoded, so a listener can check that what
it receives is byte for byte what was said: the SFU forwards, it does not transcode.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import jwt
import pytest
import websockets

from contrib.bot import Bot, OpusFile, person_in
from tests.conftest import LiveServer, joined

pytestmark = pytest.mark.timeout(300)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


async def until(predicate: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def still(bot: Bot, seconds: float = 1.0) -> int:
    """How many packets arrived during a quiet second (after draining in-flight ones)."""
    await asyncio.sleep(0.3)
    before = bot.packets_heard
    await asyncio.sleep(seconds)
    return bot.packets_heard - before


def test_listeners_receive_the_speakers_packets_byte_for_byte(live: LiveServer, opus_speech: Path) -> None:
    room_id, host_token = live.open_room()
    voice = OpusFile(str(opus_speech))

    async def scenario() -> None:
        host = await joined(live, room_id, host_token, voice=lambda: voice)
        listeners = [await joined(live, room_id, live.token(room_id, f"ear{i}"), keep_payloads=True) for i in range(2)]
        await host.send("take_stage", consent=True)
        await until(lambda: voice.ended if hasattr(voice, "ended") else voice.readyState == "ended", 30, "speech end")
        await asyncio.sleep(0.5)
        for listener in listeners:
            received = listener.payloads[0]
            assert len(received) >= 0.98 * len(voice.packets), (len(received), len(voice.packets))
            # the same payloads, in order: no decode, no re-encode
            start = voice.packets.index(received[0])
            assert received == voice.packets[start:start + len(received)]
        assert "host-talk" in {p["identity"] for p in listeners[0].state["participants"] if p["on_stage"]}
        for bot in [host, *listeners]:
            await bot.close()

    run(scenario)


def test_moderation_flow_hand_invite_speak_mute_back_to_audience(live: LiveServer, opus_speech: Path) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await joined(live, room_id, host_token)
        ann = await joined(live, room_id, live.token(room_id, "ann"), voice=lambda: OpusFile(str(opus_speech), loop=True))
        ben = await joined(live, room_id, live.token(room_id, "ben"))
        eve = await joined(live, room_id, live.token(room_id, "eve"))

        # hands go up in order, and the moderators see the queue in that order
        await ben.send("raise_hand")
        await host.wait_state(lambda s: s["hands"] == ["ben"])
        await ann.send("raise_hand")
        await host.wait_state(lambda s: s["hands"] == ["ben", "ann"])

        # an invitation is accepted only with consent to the recording
        await host.send("invite", identity="ann")
        invite = await ann.expect("invited")
        assert invite["by"] == "host-talk"
        await ann.send("accept_invite")
        error = await ann.expect("error")
        assert error["code"] == "consent_required"
        await ann.send("accept_invite", consent=True)
        state = await eve.wait_state(lambda s: person_in(s, "ann") and person_in(s, "ann")["on_stage"])
        assert state["hands"] == [] and state["recording"] is True  # the hand queue is the moderators' business
        await host.wait_state(lambda s: s["hands"] == ["ben"])
        await until(lambda: eve.packets_heard > 25, 15, "ann's voice at eve")
        await until(lambda: "ann" in eve.speaking, 10, "ann's speaking ring")

        # a moderator's mute is enforced by the server, and only a moderator lifts it
        await host.send("mute", identity="ann")
        await eve.wait_state(lambda s: person_in(s, "ann")["muted"])
        assert await still(eve) == 0
        await ann.send("unmute")
        assert (await ann.expect("error"))["code"] == "muted_by_moderator"
        await host.send("unmute", identity="ann")
        await ann.wait_state(lambda s: not person_in(s, "ann")["muted_by_moderator"])
        before_unmute = eve.packets_heard
        await ann.send("unmute")
        await eve.wait_state(lambda s: not person_in(s, "ann")["muted"])
        await until(lambda: eve.packets_heard > before_unmute and "ann" in eve.speaking, 10, "ann heard again")

        # back to the audience: nothing of hers is forwarded any more
        await host.send("move_to_audience", identity="ann")
        await eve.wait_state(lambda s: not person_in(s, "ann")["on_stage"] and person_in(s, "ann")["role"] == "listener")
        assert await still(eve) == 0

        # consent and the stage moves are on the room's timeline
        await asyncio.sleep(0.5)
        with live.db() as db:
            consented = db.execute("SELECT consented_at FROM participants WHERE room_id=? AND identity='ann'",
                                   (room_id,)).fetchone()[0]
            kinds = [row[0] for row in db.execute(
                "SELECT e.kind FROM room_events e JOIN participants p ON p.id=e.participant_id "
                "WHERE e.room_id=? AND p.identity='ann' ORDER BY e.id", (room_id,))]
        assert consented is not None
        assert kinds[kinds.index("consent"):] == ["consent", "stage_join", "mute", "mute_lifted", "unmute", "stage_leave"]
        for bot in (host, ann, ben, eve):
            await bot.close()

    run(scenario)


def test_roles_are_enforced_and_the_room_keeps_working(live: LiveServer, opus_speech: Path) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await joined(live, room_id, host_token)
        mia = await joined(live, room_id, live.token(room_id, "mia"), voice=lambda: OpusFile(str(opus_speech), loop=True))
        leo = await joined(live, room_id, live.token(room_id, "leo"))

        for kind, fields in [("invite", {"identity": "leo"}), ("mute", {"identity": "host-talk"}),
                             ("remove", {"identity": "leo"}), ("end_room", {}), ("take_stage", {"consent": True}),
                             ("set_role", {"identity": "leo", "role": "moderator"})]:
            await mia.send(kind, **fields)
            error = await mia.expect("error")
            assert error["code"] == "forbidden" and error["ref"] == kind, error

        # a listener who offers a microphone is told so, and nothing of it is forwarded
        await mia.negotiate(publish=True)
        error = await mia.expect("error", lambda m: m["ref"] == "offer")
        assert error["code"] == "not_on_stage"
        assert await still(leo, 0) == 0 and leo.packets_heard == 0

        # a promoted moderator moderates, but cannot act on the host
        await host.send("set_role", identity="mia", role="moderator")
        await mia.wait_state(lambda s: person_in(s, "mia")["role"] == "moderator")
        await mia.send("invite", identity="leo")
        await leo.expect("invited")
        await mia.send("remove", identity="host-talk")
        assert (await mia.expect("error"))["code"] == "forbidden"

        # remove and block: the socket closes, and the same token no longer gets in
        await mia.send("remove", identity="leo", block=True)
        assert (await leo.expect("removed"))["reason"]
        again = Bot(live.ws(room_id), live.token(room_id, "leo"))
        with pytest.raises((TimeoutError, websockets.ConnectionClosed)):
            await again.join()
        assert again.errors[0]["code"] == "blocked"

        await host.send("ping")
        await host.expect("pong")
        for bot in (host, mia, leo, again):
            await bot.close()

    run(scenario)


def test_bad_input_gets_an_error_and_the_connection_stays(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = Bot(live.ws(room_id), host_token)
        await host.join()
        bad = ["{not json", json.dumps([1, 2]), json.dumps({"type": "launch_rockets"}),
               json.dumps({"type": "invite"}), json.dumps({"type": "invite", "identity": "x", "extra": 1}),
               json.dumps({"type": "offer", "sdp": "v=0 garbage"}), json.dumps({"type": "offer", "sdp": "x" * 70_000}),
               json.dumps({"type": "join", "v": 1, "token": host_token}), json.dumps({"type": "invite", "identity": "nobody"})]
        codes = []
        for message in bad:
            await host.send_raw(message)
            codes.append((await host.expect("error"))["code"])
        await host.send_raw(b"\x00\x01binary")
        await host.send("ping")
        await host.expect("pong")
        assert codes == ["malformed", "malformed", "unknown_type", "invalid", "invalid", "bad_offer", "too_large",
                         "already_joined", "not_here"]
        await host.close()

        # tokens: forged, for another room, expired; and a first message that is not a join
        other_room, _ = live.open_room()
        forged = host_token[:-4] + ("AAAA" if not host_token.endswith("AAAA") else "BBBB")
        for token, code in [(forged, "bad_token"), (live.token(other_room, "zed"), "bad_token")]:
            bot = Bot(live.ws(room_id), token)
            with pytest.raises((TimeoutError, websockets.ConnectionClosed)):
                await bot.join()
            assert bot.errors and bot.errors[0]["code"] == code
            await bot.close()
        async with websockets.connect(live.ws(room_id)) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["code"] == "join_first"

    run(scenario)


def test_expired_tokens_are_refused(live: LiveServer) -> None:
    room_id, _ = live.open_room()
    secret = (live.roomcast.data_dir / "secret.key").read_text().strip()  # the server's own key
    now = int(time.time())
    token = jwt.encode({"sub": "old", "room": room_id, "name": "Old", "role": "host", "kind": "join",
                        "iss": "roomcast", "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256")

    async def scenario() -> None:
        bot = Bot(live.ws(room_id), token)
        with pytest.raises((TimeoutError, websockets.ConnectionClosed)):
            await bot.join()
        assert bot.errors[0]["code"] == "bad_token" and "expired" in bot.errors[0]["message"]
        await bot.close()

    run(scenario)


def test_room_access_open_closed_private(live: LiveServer) -> None:
    open_id, _ = live.open_room()
    closed_id, _ = live.open_room(access="closed")
    private_id, _ = live.open_room(access="private")
    with live.server.client() as client:
        guest = client.post(f"/api/rooms/{open_id}/guest", json={"name": "Guest"})
        assert guest.status_code == 201
        assert client.post(f"/api/rooms/{closed_id}/guest", json={"name": "Guest"}).status_code == 403
        assert client.post(f"/api/rooms/{private_id}/guest", json={"name": "Guest"}).status_code == 404
        feed = client.get("/shows/talk/feed.xml").text
        guids = {room_id: client.get(f"/rooms/{room_id}").status_code for room_id in (open_id, private_id)}
    assert guids == {open_id: 200, private_id: 200}  # the private page is only a door
    with live.db() as db:
        private_guid = db.execute("SELECT guid FROM rooms WHERE id=?", (private_id,)).fetchone()[0]
        open_guid = db.execute("SELECT guid FROM rooms WHERE id=?", (open_id,)).fetchone()[0]
    assert open_guid in feed and private_guid not in feed

    ivy = live.token(closed_id, "ivy")  # minting a link for a closed room puts ivy on its list
    max_ = live.token(closed_id, "max")
    live.api("DELETE", f"/api/rooms/{closed_id}/invited/max")

    async def scenario() -> None:
        listener = Bot(live.ws(open_id), guest.json()["token"])
        assert (await listener.join())["you"].startswith("guest-")
        member = Bot(live.ws(closed_id), ivy)
        await member.join()
        outsider = Bot(live.ws(closed_id), max_)
        with pytest.raises((TimeoutError, websockets.ConnectionClosed)):
            await outsider.join()
        assert outsider.errors[0]["code"] == "not_invited"
        for bot in (listener, member, outsider):
            await bot.close()

    run(scenario)


def test_ending_the_room_reaches_everyone_and_the_feed(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await joined(live, room_id, host_token)
        ear = await joined(live, room_id, live.token(room_id, "ear"))
        late_token = live.token(room_id, "late")
        await host.send("end_room")
        assert (await ear.expect("ended"))["reason"]
        await host.expect("ended", timeout=3)
        late = Bot(live.ws(room_id), late_token)
        with pytest.raises((TimeoutError, websockets.ConnectionClosed)):
            await late.join()
        assert late.errors[0]["code"] == "ended"
        for bot in (host, ear, late):
            await bot.close()

    run(scenario)
    with live.db() as db:
        status, ended_at = db.execute("SELECT status, ended_at FROM rooms WHERE id=?", (room_id,)).fetchone()
    assert status == "ended" and ended_at is not None


def test_an_empty_room_ends_after_its_grace_period(live: LiveServer) -> None:
    room_id, host_token = live.open_room()

    async def scenario() -> None:
        host = await joined(live, room_id, host_token)
        await host.close()

    run(scenario)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with live.db() as db:
            if db.execute("SELECT status FROM rooms WHERE id=?", (room_id,)).fetchone()[0] == "ended":
                return
        time.sleep(0.3)
    raise AssertionError("the empty room did not end")


def test_cli_opens_a_room_and_mints_join_links(live: LiveServer) -> None:
    opened = live.roomcast.run("room", "open", "talk", "--title", "From the shell", "--access", "closed", check=True)
    room_id = int(opened.stdout.split()[1])
    host_token = opened.stdout.split("#join=")[1].split()[0]
    link = live.roomcast.run("token", "join", str(room_id), "--identity", "kim@example.org", "--name", "Kim",
                             check=True).stdout.strip()
    assert link.startswith(f"{live.server.base_url}/rooms/{room_id}#join=")
    bad = live.roomcast.run("token", "join", str(room_id), "--identity", "kim", "--name", "Kim", "--role", "king")
    assert bad.returncode == 2 and "--role" in bad.stderr

    async def scenario() -> None:
        host = Bot(live.ws(room_id), host_token)
        kim = Bot(live.ws(room_id), link.split("#join=")[1])  # closed room: the link put kim on the list
        assert (await host.join())["room"]["access"] == "closed"
        assert (await kim.join())["you"] == "kim@example.org"
        await host.close()
        await kim.close()

    run(scenario)
