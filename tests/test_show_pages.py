"""The show page as a podcast host's: artwork, notes, every episode with its number, date, length
and summary, ten to a page; two episodes with one title are told apart. In Chromium, Tokyo time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(120)
FIRST = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)  # 21:00 in Tokyo


@pytest.fixture
def twins(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A show with twelve published episodes a day apart; the 3rd and the 7th share a title."""
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(live.roomcast.data_dir))
    get_settings.cache_clear()
    from roomcast.db import new_session
    from roomcast.models import Episode, EpisodeStatus, Room, RoomStatus, Show

    with new_session() as session:
        show = Show(slug="twins", title="Twin Peaks Radio", author="Dale", description="Coffee.\n\nAnd pie.")
        for number in range(1, 13):
            title = "Same title" if number in (3, 7) else f"Talk {number}"
            room = Room(show=show, title=title, status=RoomStatus.ended, invited=[])
            session.add(Episode(show=show, room=room, title=title, status=EpisodeStatus.published,
                                description=f"Notes of talk {number}. " + "More words here. " * 20,
                                published_at=FIRST + timedelta(days=number - 1), duration_s=60 * number + 5,
                                audio_key=f"episodes/x{number}/audio.mp3", audio_bytes=1000, audio_mime="audio/mpeg"))
        session.commit()
    yield "twins"
    get_settings.cache_clear()


def test_the_show_page_lists_episodes_newest_first_ten_to_a_page(live: LiveServer, twins: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.test_live_browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB").new_page()
        page.goto(f"{live.server.base_url}/shows/{twins}")
        expect(page.locator("h1")).to_have_text("Twin Peaks Radio")
        expect(page.locator(".artwork")).to_be_visible()  # no artwork given: its initials stand in
        expect(page.locator("#show-notes p")).to_have_text(["Coffee.", "And pie."])
        cards = page.locator(".episode-card")
        expect(cards).to_have_count(10)
        expect(cards.first.locator(".episode-title")).to_have_text("Talk 12")
        expect(cards.first.locator(".meta")).to_contain_text("Episode 12")
        expect(cards.first.locator(".meta")).to_contain_text("12 Mar 2026, 21:00")  # Tokyo, not UTC
        expect(cards.first.locator(".meta")).to_contain_text("12 min 5 s")
        expect(cards.first.locator(".summary")).to_contain_text("Notes of talk 12.")
        expect(cards.first.locator(".summary")).to_contain_text("…")  # a summary, not the whole notes

        # two rooms with one title: each has its own number and date
        same = page.locator(".episode-card", has_text="Same title").locator(".meta")
        expect(same).to_have_count(2)
        expect(same.first).to_contain_text("Episode 7")
        expect(same.first).to_contain_text("7 Mar 2026")
        expect(same.last).to_contain_text("Episode 3")
        expect(same.last).to_contain_text("3 Mar 2026")
        expect(page.locator("nav.pages")).to_contain_text("Page 1 of 2")
        page.get_by_role("link", name="Older →").click()
        expect(cards.locator(".episode-title")).to_have_text(["Talk 2", "Talk 1"])
        expect(page.get_by_role("link", name="← Newer")).to_be_visible()

        # subscribing: the feed to copy and the apps that open it
        subscribe = page.locator(".subscribe")
        expect(subscribe.locator("#feed-url")).to_have_value(f"{live.server.base_url}/shows/twins/feed.xml")
        for app in ("Apple Podcasts", "Pocket Casts", "Overcast", "AntennaPod", "Podcast Addict"):
            expect(subscribe.get_by_role("link", name=app)).to_be_visible()
        expect(subscribe.get_by_role("link", name="Overcast")).to_have_attribute(
            "href", f"overcast://x-callback-url/add?url=http%3A%2F%2F127.0.0.1%3A{live.server.base_url.rsplit(':', 1)[1]}"
                    "%2Fshows%2Ftwins%2Ffeed.xml")
        browser.close()
