"""What a person sees on the room page in real Chromium, through every state of a room.

The recording banner is what consent rests on, so each state asserts what is visible and what
is hidden: the join screen, on the record, off the record, after the end, a fresh load of an
ended room, a scheduled room (its start in the viewer's own time zone), and a speaker muted by
a moderator. An aiortc host drives the room; it speaks, so the speaking rings light up.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.test_live_browser import HostBot, launch, speaker_page, wait_for

pytestmark = pytest.mark.timeout(300)
BANNERS = ("#recording", "#off-record")


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def test_a_listener_sees_the_record_state_from_the_door_to_after_the_end(
        live: LiveServer, chromium, opus_speech: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    room_id, host_token = live.open_room(title="States of a room")
    host = HostBot(live, room_id, host_token, voice=opus_speech)
    try:
        page = chromium.new_page()
        page.goto(f"{live.server.base_url}/rooms/{room_id}")
        # the join screen: the door, and no banner claims anything yet
        expect(page.locator("#door")).to_be_visible()
        expect(page.locator("#door")).to_contain_text("This room is recorded")
        for banner in BANNERS:
            expect(page.locator(banner)).to_be_hidden()
        expect(page.locator("#live")).to_be_hidden()
        expect(page.locator("#notice")).to_be_hidden()

        page.fill("#guest-name", "Lou")
        page.click("#join")
        # on the record
        expect(page.locator("#audience")).to_contain_text("Lou (you)")
        expect(page.locator("#door")).to_be_hidden()
        expect(page.locator("#recording")).to_be_visible()
        expect(page.locator("#off-record")).to_be_hidden()
        expect(page.locator("#room-status")).to_have_text("live")
        expect(page.locator("#controls")).to_be_visible()

        host.send("take_stage", consent=True)
        expect(page.locator(".person.speaking")).to_be_visible(timeout=20_000)  # the host is heard

        # off the record: only that banner
        host.send("off_record", on=True)
        expect(page.locator("#off-record")).to_be_visible()
        expect(page.locator("#recording")).to_be_hidden()
        host.send("off_record", on=False)
        expect(page.locator("#recording")).to_be_visible()
        expect(page.locator("#off-record")).to_be_hidden()

        # after the end: nothing says it is recording or live; the reason is said once
        host.send("off_record", on=True)  # ending while off the record must hide that banner too
        expect(page.locator("#off-record")).to_be_visible()
        at_the_door = chromium.new_page()
        at_the_door.goto(f"{live.server.base_url}/rooms/{room_id}")
        expect(at_the_door.locator("#door")).to_be_visible()
        host.send("end_room")
        expect(page.locator("#notice")).to_have_text("This room has ended: Host ended it.")
        for banner in BANNERS:
            expect(page.locator(banner)).to_be_hidden()
        expect(page.locator("#controls")).to_be_hidden()
        expect(page.locator(".person.speaking")).to_have_count(0)
        expect(page.locator("#stage")).to_be_hidden()
        expect(page.locator("#room-status")).to_have_text("ended")
        page.close()

        # a page left at the door learns of the end when it knocks
        at_the_door.click("#join")
        expect(at_the_door.locator("#notice")).to_have_text("This room has ended.")
        expect(at_the_door.locator("#door")).to_be_hidden()
        expect(at_the_door.locator("#room-status")).to_have_text("ended")
        at_the_door.close()
    finally:
        host.close()

    # a fresh load of the ended room, with and without a join link: it says so, nothing else
    link = f"{live.server.base_url}/rooms/{room_id}"
    for url in (link, f"{link}#join={host_token}"):
        page = chromium.new_page()
        page.goto(url)
        expect(page.locator("#notice")).to_have_text("This room has ended.")
        expect(page.locator("#room-status")).to_have_text("ended")
        for hidden in (*BANNERS, "#door", "#live"):
            expect(page.locator(hidden)).to_be_hidden()
        page.wait_for_timeout(500)  # the module has run: it must not have joined or shown anything
        expect(page.locator("#notice")).to_have_text("This room has ended.")
        for hidden in (*BANNERS, "#live"):
            expect(page.locator(hidden)).to_be_hidden()
        page.close()


def test_a_speaker_muted_by_a_moderator_is_told_so_not_offered_unmute(live: LiveServer, chromium) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    room_id, host_token = live.open_room(title="Mutes")
    host = HostBot(live, room_id, host_token)
    try:
        page = speaker_page(chromium, f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'sam', 'speaker')}")
        expect(page.locator("#audience")).to_contain_text("Sam (you)")
        page.click("#take-stage")
        expect(page.locator("#stage")).to_contain_text("Sam (you)")
        # the microphone: echo cancellation on, noise suppression as the show says (off by default)
        wait_for(lambda: page.evaluate("!!roomcastClient.micTrack"), what="the microphone")
        settings = page.evaluate("roomcastClient.micTrack.getSettings()")
        assert settings["echoCancellation"] is True and settings["noiseSuppression"] is False

        # muting oneself offers Unmute, and it works
        page.click("#mute")
        expect(page.locator("#unmute")).to_be_visible()
        page.click("#unmute")
        expect(page.locator("#mute")).to_be_visible()

        # a moderator's mute: no Unmute, a plain statement instead
        host.send("mute", identity="sam")
        expect(page.locator("#moderator-muted")).to_be_visible()
        expect(page.locator("#moderator-muted")).to_have_text("Muted by a moderator")
        expect(page.locator("#unmute")).to_be_hidden()
        expect(page.locator("#mute")).to_be_hidden()
        expect(page.locator('[data-identity="sam"] .flags')).to_have_text("🔇 muted by a moderator")

        # the moderator lifts it: now the speaker decides, and Unmute is offered again
        host.send("unmute", identity="sam")
        expect(page.locator("#unmute")).to_be_visible()
        expect(page.locator("#moderator-muted")).to_be_hidden()
        page.click("#unmute")
        expect(page.locator("#mute")).to_be_visible()
        expect(page.locator("#notice")).to_be_hidden()  # nothing was refused along the way
        page.close()
    finally:
        host.close()


def test_noise_suppression_follows_the_show_setting(live: LiveServer, chromium) -> None:  # noqa: ANN001
    live.roomcast.run("show", "update", "talk", "--noise-suppression", "on", check=True)
    try:
        assert live.api("GET", "/api/shows/talk")["noise_suppression"] is True
        room_id, _ = live.open_room(title="Quiet please")
        page = speaker_page(chromium, f"{live.server.base_url}/rooms/{room_id}#join={live.token(room_id, 'ann', 'speaker')}")
        page.click("#take-stage")
        wait_for(lambda: page.evaluate("!!roomcastClient.micTrack"), what="the microphone")
        settings = page.evaluate("roomcastClient.micTrack.getSettings()")
        assert settings["echoCancellation"] is True and settings["noiseSuppression"] is True
        page.close()
    finally:
        live.api("PATCH", "/api/shows/talk", json={"noise_suppression": False})
    assert live.api("GET", "/api/shows/talk")["noise_suppression"] is False


def test_a_scheduled_room_starts_at_the_time_given_in_each_viewers_zone(live: LiveServer, chromium) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    day = (datetime.now(timezone.utc) + timedelta(days=10)).date()
    start = f"{day}T21:00:00+01:00"  # 20:00 UTC
    result = live.roomcast.run("room", "schedule", "talk", "--title", "Later", "--start", start, check=True)
    room_id = int(result.stdout.split()[1])
    assert f"starts {day} 20:00 UTC" in result.stdout

    for zone, shown in (("Europe/Paris", "21:00"), ("America/New_York", "15:00"), ("Asia/Kolkata", "01:30")):
        context = chromium.new_context(timezone_id=zone, locale="en-GB")
        page = context.new_page()
        page.goto(f"{live.server.base_url}/rooms/{room_id}")
        when = page.locator("time[data-local]")
        expect(when).to_contain_text(shown)
        expect(when).not_to_contain_text("UTC")
        expect(page.locator("#notice")).to_have_text("This room has not started yet.")
        for hidden in (*BANNERS, "#door", "#live"):
            expect(page.locator(hidden)).to_be_hidden()
        context.close()
