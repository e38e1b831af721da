"""Clips made in a room (issue 15, item 4, the room's side).

Anyone in a room can clip the last 30 seconds as a soundbite. A listener's clip is stored with
the role they clipped in (``by_role``), so the feed titles it from the words said and never by
the title they typed; and a listener clips once every 30 s at most, so a burst of 150 clips is
one moment on the room's timeline, not 150 soundbites.
"""

from __future__ import annotations

import asyncio
import json

from contrib.bot import Bot
from live.stage import LISTENER_CLIP_EVERY_S
from tests.conftest import LiveServer, wait_until

SPAM = "Cheap pills at spam.example"


def clip_events(live: LiveServer, room_id: int) -> list[tuple[str, dict]]:
    with live.db() as db:
        return [(identity, json.loads(data)) for identity, data in db.execute(
            "SELECT p.identity, e.data FROM room_events e JOIN participants p ON p.id = e.participant_id "
            "WHERE e.room_id=? AND e.kind='clip' ORDER BY e.id", (room_id,))]


def test_a_burst_of_clips_from_a_guest_is_one_clip_marked_as_a_listeners(live: LiveServer) -> None:
    room_id, host_token = live.open_room(title="Clip storm")
    guest_token = live.api("POST", f"/api/rooms/{room_id}/guest", json={"name": "Spammer"})["token"]

    async def scenario() -> list[dict]:
        host, guest = Bot(live.ws(room_id), host_token), Bot(live.ws(room_id), guest_token)
        await host.join()
        await guest.join()
        for _ in range(150):
            await guest.send("clip", title=SPAM)
        await asyncio.sleep(1)  # the socket's allowance refills (live.rate): the ping is answered,
        await guest.send("ping")  # after everything sent before it
        await guest.expect("pong", timeout=30)
        await host.send("clip", title="The best bit", duration=20)
        await host.send("clip", title="And again")  # the stage and moderators are not limited
        wait = await asyncio.to_thread(wait_until, lambda: len(clip_events(live, room_id)) >= 3, 20,
                                       0.2, "the clips recorded")
        assert wait
        errors = guest.errors
        for bot in (host, guest):
            await bot.close()
        return errors

    errors = asyncio.run(scenario())
    clips = clip_events(live, room_id)
    guest_clips = [data for identity, data in clips if identity.startswith("guest-")]
    assert len(guest_clips) == 1, clips
    assert guest_clips[0]["by_role"] == "listener"
    assert [(data["title"], data["by_role"]) for identity, data in clips if identity == "host-talk"] == [
        ("The best bit", "host"), ("And again", "host")]
    refusals = [error for error in errors if error.get("ref") == "clip"]  # past the socket's own allowance
    assert refusals and all(error["code"] == "rate_limited" for error in refusals)
    assert f"one clip every {LISTENER_CLIP_EVERY_S:.0f} s" in refusals[0]["message"]
