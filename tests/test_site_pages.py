"""What a browser shows for a dead link, and the site's icon; the API keeps answering JSON."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(120)


def test_a_dead_link_is_a_page_for_a_person_and_json_for_the_api(live: LiveServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.test_live_browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        for path, says in (("/episodes/999", "Sorry: no episode 999."), ("/rooms/999", "Sorry: no room 999."),
                           ("/no/such/page", "There is nothing at this address.")):
            response = page.goto(live.server.base_url + path)
            assert response.status == 404 and response.headers["content-type"].startswith("text/html")
            expect(page.locator("h1")).to_have_text("Not found")
            expect(page.locator("#error-detail")).to_have_text(says)
            expect(page.get_by_role("link", name="All shows")).to_be_visible()
            expect(page.locator("header.site")).to_be_visible()  # the site's own layout, not raw JSON

        # the API answers JSON even to a browser
        response = page.goto(live.server.base_url + "/api/episodes/999")
        assert response.status == 404 and response.json() == {"detail": "no episode 999"}

        # the icon: linked from every page, and at the address browsers ask for unprompted
        page.goto(live.server.base_url + "/")
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        for url in (icon, "/favicon.ico"):
            answer = page.request.get(live.server.base_url + url)
            assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
            assert b"<svg" in answer.body()
        browser.close()

    # a podcast app or curl asking for a missing feed still gets JSON
    missing = httpx.get(live.server.base_url + "/shows/nope/feed.xml")
    assert missing.status_code == 404 and missing.json()["detail"]


def test_the_api_docs_work_with_no_internet(live: LiveServer) -> None:
    """Every request the page makes goes to roomcast itself, and Swagger UI draws the API."""
    from playwright.sync_api import expect, sync_playwright

    from tests.test_live_browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        elsewhere: list[str] = []

        def offline(route) -> None:  # noqa: ANN001
            if route.request.url.startswith(live.server.base_url):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", offline)
        page.goto(live.server.base_url + "/docs")
        expect(page.locator(".swagger-ui .title")).to_contain_text("roomcast")
        expect(page.get_by_text("/api/episodes/{episode_id}/progress").first).to_be_visible()
        assert elsewhere == []
        browser.close()
    assert httpx.get(live.server.base_url + "/redoc").status_code == 404  # it would fetch its logo from a CDN
