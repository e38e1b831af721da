"""A show's whole life in Chromium, as its host, a guest and a listener see it, each in their own
time zone: the room announced on the home page, the room live, a raised hand invited to speak
with consent, the end, the episode being made, the episode page, search and the feed.

The guest's fake microphone says one sentence; the embedded worker produces the episode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest

from tests.conftest import ESPEAK_RATE, LiveServer, served, speak, write_wav
from tests.test_live_browser import launch

pytestmark = pytest.mark.timeout(420)
ZONES = {"host": "Asia/Kolkata", "guest": "Europe/Paris", "listener": "America/New_York"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with served(tmp_path_factory.mktemp("life"), ROOMCAST_ROOM_GRACE_S="5") as (roomcast, server):
        roomcast.run("show", "create", "talk", "--title", "Rivers Weekly", "--author", "Hana Host",
                     "--description", "Rivers and the people who live by them.", check=True)
        creator = roomcast.run("token", "creator", "talk", check=True).stdout.strip()
        yield LiveServer(server, roomcast, creator)


@pytest.fixture(scope="module")
def sentence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    words = speak("Hello from the browser. Tonight we talk about rivers and mountains.", "en-us")
    quiet = np.zeros(int(1.0 * ESPEAK_RATE), dtype=np.float32)
    return write_wav(tmp_path_factory.mktemp("guest") / "guest.wav", np.concatenate([quiet, words, quiet]))


def shot(page, name: str) -> None:  # noqa: ANN001
    """With ROOMCAST_TEST_SHOTS=DIR, what each person saw is kept there, to look at."""
    if folder := os.environ.get("ROOMCAST_TEST_SHOTS"):
        page.screenshot(path=f"{folder}/life-{name}.png", full_page=True)


def local(moment: datetime, who: str) -> str:
    return moment.astimezone(ZoneInfo(ZONES[who])).strftime("%H:%M")


def test_a_show_from_announcement_to_episode_as_host_guest_and_listener(site: LiveServer, sentence: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = site.server.base_url
    start = (datetime.now(timezone.utc) + timedelta(days=9)).replace(hour=20, minute=0, second=0, microsecond=0)
    later = site.api("POST", "/api/shows/talk/rooms", json={"title": "Next week: estuaries",
                                                           "start": start.astimezone(timezone(timedelta(hours=1))).isoformat()})
    with sync_playwright() as playwright:
        plain, voiced = launch(playwright), launch(playwright, sentence)

        def person(browser, who: str):  # noqa: ANN001, ANN202
            page = browser.new_context(timezone_id=ZONES[who], locale="en-GB").new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # "End the room for everyone?"
            return page

        host, guest, listener = person(plain, "host"), person(voiced, "guest"), person(plain, "listener")

        # announced: everyone finds the coming room at its time in their own zone
        for page, who in ((listener, "listener"), (host, "host")):
            page.goto(base + "/")
            card = page.locator(f'.room-card[data-room="{later["id"]}"]')
            expect(card.locator(".room-when")).to_contain_text(local(start, who))
            expect(card.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
            shot(page, f"home-{who}")

        # live: the host opens a room and comes in with their link
        room_id, host_token = site.open_room(title="Rivers tonight", description="A first talk.")
        host.goto(f"{base}/rooms/{room_id}#join={host_token}")
        expect(host.locator("#audience")).to_contain_text("Host (you)")
        expect(host.locator("#recording")).to_be_visible()
        expect(host.locator("#end-room")).to_be_visible()

        listener.goto(base + "/shows/talk")
        expect(listener.locator("#live-now")).to_be_visible()
        listener.locator(f'.room-card[data-room="{room_id}"]').get_by_role("link", name="Listen now").click()
        expect(listener.locator("#door")).to_be_visible()
        expect(listener.locator("#recording")).to_be_hidden()  # not in yet: nothing claims a recording
        listener.fill("#guest-name", "Lou")
        listener.click("#join")
        expect(listener.locator("#audience")).to_contain_text("Lou (you)")
        expect(listener.locator("#recording")).to_be_visible()
        expect(listener.locator("#end-room")).to_be_hidden()

        # the guest raises a hand; the host invites; the guest consents and speaks
        guest.goto(f"{base}/rooms/{room_id}#join={site.token(room_id, 'gus')}")
        expect(guest.locator("#audience")).to_contain_text("Gus (you)")
        guest.click("#raise-hand")
        expect(host.locator("#hands")).to_contain_text("Gus")
        expect(listener.locator("#hands-panel")).to_be_hidden()  # hands are the moderators' business
        host.locator("#hands").get_by_role("button", name="Invite to speak").click()
        expect(guest.locator("#invite-dialog")).to_be_visible()
        expect(guest.locator("#invite-dialog")).to_contain_text("This room is recorded.")
        guest.check("#consent")
        guest.click("#accept-invite")
        expect(listener.locator("#stage")).to_contain_text("Gus")
        speaking = listener.locator('.person.speaking[data-identity="gus"]')
        expect(speaking).to_be_visible(timeout=30_000)
        for page, who in ((host, "host"), (guest, "guest"), (listener, "listener")):
            shot(page, f"live-{who}")
        expect(speaking).to_have_count(0, timeout=30_000)  # the sentence is said

        # the end: each page says so once, and follows the episode being made
        host.click("#end-room")
        for page in (host, guest, listener):
            expect(page.locator("#notice")).to_have_text("This room has ended: Host ended it.")
            expect(page.locator("#recording")).to_be_hidden()
            expect(page.locator("#controls")).to_be_hidden()
        panel = listener.locator("#production")
        expect(panel).to_be_visible(timeout=30_000)
        expect(guest.locator("#production")).to_be_visible()
        expect(panel.get_by_role("link", name="Rivers tonight")).to_be_visible()
        shot(listener, "producing-listener")
        expect(panel.locator("[data-part=summary]")).to_have_text("is out: listen to it", timeout=300_000)
        shot(listener, "out-listener")

        # the episode page, in the listener's zone
        panel.get_by_role("link", name="Rivers tonight").click()
        expect(listener.locator("h1")).to_have_text("Rivers tonight")
        episode_id = int(listener.url.rsplit("/", 1)[1])
        episode = httpx.get(f"{base}/api/episodes/{episode_id}").json()
        published = datetime.fromisoformat(episode["published_at"]).replace(tzinfo=timezone.utc)
        expect(listener.locator("#episode-meta")).to_contain_text(local(published, "listener"))
        expect(listener.locator("#episode-meta")).to_contain_text("Episode 1")
        expect(listener.locator(".notes")).to_contain_text("A first talk.")
        expect(listener.get_by_text("With Gus")).to_be_visible()
        expect(listener.locator("#transcript li").first).to_contain_text("Gus")
        expect(listener.locator("#transcript")).to_contain_text("river")
        expect(listener.locator("#transcript")).to_contain_text("Hello")  # the first word: trimmed quiet is no cut
        listener.wait_for_function("document.getElementById('player').readyState >= 1")
        shot(listener, "episode-listener")
        # it opens on the first word: Whisper's first word time is within a breath of the start
        lines = httpx.get(f"{base}/api/episodes/{episode_id}/transcript").json()["lines"]
        assert lines[0]["words"][0]["start"] <= 1.0
        assert episode["duration_s"] - lines[-1]["words"][-1]["end"] <= 1.2

        # search finds the word and opens the episode a second before it
        listener.goto(f"{base}/search?q=mountains")
        moment = listener.locator("#results a.moment").first
        expect(moment).to_be_visible(timeout=20_000)
        moment.click()
        listener.wait_for_function("(() => { const p = document.getElementById('player'); return !p.paused })()")
        shot(listener, "search-landed-listener")
        plain.close()
        voiced.close()

    feed = httpx.get(f"{base}/shows/talk/feed.xml").text
    assert "<title>Rivers tonight</title>" in feed and f"/episodes/{episode_id}" in feed
