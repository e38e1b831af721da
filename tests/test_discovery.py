"""Where people find rooms: the home page and the show's page list what is live and what is coming,
each start in the viewer's own zone, with a way in and an .ics for their calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(120)


def test_live_and_coming_rooms_are_listed_in_the_viewers_zone(live: LiveServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.test_live_browser import launch

    day = (datetime.now(timezone.utc) + timedelta(days=12)).date()
    live_id, _ = live.open_room(title="On the air")
    later = live.api("POST", "/api/shows/talk/rooms", json={"title": "Comets, tails; and dust",
                                                           "start": f"{day}T21:00:00+01:00"})  # 20:00 UTC
    secret = live.api("POST", "/api/shows/talk/rooms", json={"title": "Just us", "start": f"{day}T10:00:00Z",
                                                            "access": "private"})

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(timezone_id="America/Los_Angeles", locale="en-US")  # 12:00 there
        page = context.new_page()
        for path in ("/", "/shows/talk"):
            page.goto(live.server.base_url + path)
            now_on = page.locator(f'.room-card[data-room="{live_id}"]')
            expect(now_on).to_be_visible()
            expect(now_on.locator(".badge")).to_have_text("live now")
            expect(now_on.get_by_role("link", name="Listen now")).to_have_attribute("href", f"/rooms/{live_id}")
            coming = page.locator(f'.room-card[data-room="{later["id"]}"]')
            expect(coming).to_contain_text("Comets, tails; and dust")
            expect(coming.locator(".room-when")).to_contain_text("12:00")
            expect(coming.locator(".room-when")).to_contain_text("PST")
            expect(coming.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
            expect(page.get_by_text("Just us")).to_have_count(0)  # private rooms are never announced
        expect(page.locator("#live-now")).to_be_visible()  # the show wears the badge while a room is live
        page.goto(live.server.base_url + "/")
        expect(page.locator("ul.episodes li", has_text="Talk").locator(".badge.live")).to_have_text("live now")

        with page.expect_download() as download:
            page.goto(live.server.base_url + "/shows/talk")
            page.locator(f'.room-card[data-room="{later["id"]}"]').get_by_role("link", name="Add to calendar (.ics)").click()
        ics = open(download.value.path(), encoding="utf-8", newline="").read()
        browser.close()

    assert "\r\n" in ics and ics.startswith("BEGIN:VCALENDAR")
    unfolded = ics.replace("\r\n ", "")
    assert f"DTSTART:{day.strftime('%Y%m%d')}T200000Z" in unfolded
    assert "SUMMARY:Comets\\, tails\\; and dust (Talk)" in unfolded
    assert f"URL:{live.server.base_url}/rooms/{later['id']}" in unfolded
    assert httpx.get(f"{live.server.base_url}/rooms/{secret['id']}/calendar.ics").status_code == 404
