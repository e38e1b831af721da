"""Feeds as podcast apps read them, and what creators and subscribers can do with them.

One embedded `roomcast serve` with real pipeline runs; the feed is read by parsers nobody
here wrote: feedparser and podcastparser (Python) and podcast-partytime (node).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import httpx
import jwt
import podcastparser
import pytest
from lxml import etree

from tests.conftest import OPENING_TRIM_S, Conversation, Roomcast, Server, served, wait_until

JS_DIR = Path(__file__).with_name("js")


@dataclass
class Site:
    roomcast: Roomcast
    server: Server
    episode: dict  # the public show's published episode
    creator: str  # creator token of the public show

    def get(self, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        return httpx.get(self.server.base_url + path, timeout=30, **kwargs)

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.server.base_url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def site(tmp_path_factory, conversation: Conversation) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("feeds")
    cover = root / "cover.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x5b3cc4:s=1400x1400", "-frames:v", "1", str(cover)],
                   check=True)
    # Feeds are not trusted for a second here (ROOMCAST_FEED_TRUST_S): each answer shows the last change.
    with served(root, ROOMCAST_FEED_TRUST_S="0") as (roomcast, server):
        roomcast.run(
            "show", "create", "stargazers", "--title", "Star & Stone", "--author", "Alice Host",
            "--description", "Rocks <and> stars", "--category", "Science", "--subcategory", "Astronomy",
            "--owner-name", "Alice Host", "--owner-email", "alice@example.org", "--image", str(cover), check=True,
        )
        episode = roomcast.run_json(
            "import", "stargazers", "--title", "Skies and volcanoes", "--description", "A talk about <skies>.",
            *conversation.track_args(), "--marker", "0:05=Telescopes", "--marker", "0:11=Volcanoes",
            "--clip", "0:05+5=Scotland", "--wait",
        )
        creator = roomcast.run("token", "creator", "stargazers", check=True).stdout.strip()
        yield Site(roomcast, server, episode, creator)


def partytime(xml: bytes) -> dict:
    if not (JS_DIR / "node_modules" / "podcast-partytime").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True)
    result = subprocess.run(["node", str(JS_DIR / "parse_feed.mjs")], input=xml, capture_output=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])  # partytime logs its warnings on stdout first


def feed_xml(site: Site, slug: str = "stargazers", **params: str) -> bytes:
    response = site.get(f"/shows/{slug}/feed.xml", params=params)
    assert response.status_code == 200, response.text
    return response.content


# --- what podcast apps read ------------------------------------------------------------------


def test_partytime_reads_every_tag(site: Site) -> None:
    feed = partytime(feed_xml(site))
    assert feed["title"] == "Star & Stone"
    assert feed["explicit"] is False
    assert feed["itunesCategory"] == ["Science > Astronomy"]
    assert feed["guid"]  # podcast:guid
    assert feed["medium"] == "podcast"
    assert feed["locked"] is True and feed["podcastOwner"] == "alice@example.org"
    assert feed["owner"] == {"name": "Alice Host", "email": "alice@example.org"}
    assert [p["name"] for p in feed["podcastPeople"]] == ["Alice Host"]
    artwork = site.get(_path(feed["itunesImage"]))
    assert feed["itunesImage"].endswith("/media/shows/stargazers/artwork.png")
    assert artwork.status_code == 200 and artwork.headers["content-type"] == "image/png"
    [item] = feed["items"]
    assert item["guid"] == site.episode["guid"]
    assert item["enclosure"]["url"] == site.episode["audio_url"]
    assert item["enclosure"]["type"] == "audio/mpeg"
    assert item["enclosure"]["length"] == len(site.get(_path(site.episode["audio_url"])).content)
    assert {t["type"] for t in item["podcastTranscripts"]} == {"text/vtt", "application/srt", "application/json", "text/plain"}
    assert [t for t in item["podcastTranscripts"] if t["type"] == "text/vtt"][0]["rel"] == "captions"
    assert item["podcastChapters"]["type"] == "application/json+chapters"
    assert {(p["name"], p["role"]) for p in item["podcastPeople"]} == {("Alice", "Host"), ("Bob", "Guest")}
    [soundbite] = item["podcastSoundbites"]
    assert soundbite["startTime"] == pytest.approx(5 - OPENING_TRIM_S, abs=0.1)  # the episode opens on its first word
    assert soundbite["duration"] == 5 and soundbite["title"] == "Scotland"
    assert "Chapters:" in item["description"] and "0:10 Volcanoes" in item["description"]  # 11 s, less the opening


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_feedparser_and_podcastparser_read_the_essentials(site: Site) -> None:
    xml = feed_xml(site)
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    assert parsed.feed.author_detail.name == "Alice Host" or parsed.feed.author == "Alice Host"
    assert parsed.feed.publisher_detail.email == "alice@example.org"  # itunes:owner
    [entry] = parsed.entries
    assert entry.id == site.episode["guid"] and entry.guidislink is False
    assert entry.itunes_duration == str(round(site.episode["duration_s"]))
    gpodder = podcastparser.parse(site.episode["feed_url"], io.BytesIO(xml))
    assert gpodder["title"] == "Star & Stone"
    assert gpodder["episodes"][0]["guid"] == site.episode["guid"]
    assert "Rocks <and> stars" in gpodder["description"]  # markup in notes stays text


def test_chapters_json_follows_the_markers(site: Site) -> None:
    chapters_url = _item_tag(feed_xml(site), "chapters").get("url")
    response = site.get(_path(chapters_url))
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["version"] == "1.2.0"
    assert [c["title"] for c in document["chapters"]] == ["Introduction", "Telescopes", "Volcanoes"]
    starts = [c["startTime"] for c in document["chapters"]]
    assert starts == pytest.approx([0.0, 5 - OPENING_TRIM_S, 11 - OPENING_TRIM_S], abs=0.1)


def _item_tag(xml: bytes, name: str):  # type: ignore[no-untyped-def]
    root = etree.fromstring(xml)
    return root.find(f"channel/item/{{https://podcastindex.org/namespace/1.0}}{name}")


def test_feed_revalidation(site: Site) -> None:
    first = site.get("/shows/stargazers/feed.xml")
    assert first.headers["cache-control"] == "public, max-age=60"
    by_etag = site.get("/shows/stargazers/feed.xml", headers={"If-None-Match": first.headers["etag"]})
    by_date = site.get("/shows/stargazers/feed.xml", headers={"If-Modified-Since": first.headers["last-modified"]})
    stale = site.get("/shows/stargazers/feed.xml", headers={"If-None-Match": '"something-else"'})
    assert by_etag.status_code == 304 and by_etag.headers["etag"] == first.headers["etag"]
    assert by_date.status_code == 304
    assert stale.status_code == 200 and stale.content == first.content


# --- creators ------------------------------------------------------------------------------


def test_creator_api_needs_a_valid_token_for_its_show(site: Site) -> None:
    episode_id = site.episode["id"]
    path = f"/api/episodes/{episode_id}"
    assert site.api("PATCH", path, json={"title": "x"}).status_code == 401
    forged = jwt.encode({"kind": "creator", "show": "stargazers", "iss": "roomcast", "iat": 0, "exp": 9e9}, "a guessed key, long enough for HS256 anyway", "HS256")
    assert site.api("PATCH", path, forged, json={"title": "x"}).status_code == 401
    site.roomcast.run("show", "create", "other", "--title", "Other", check=True)
    other = site.roomcast.run("token", "creator", "other", check=True).stdout.strip()
    assert site.api("PATCH", path, other, json={"title": "x"}).status_code == 403
    assert site.api("POST", f"{path}/unpublish", other).status_code == 403
    assert site.get(path).json()["title"] == "Skies and volcanoes"  # nothing changed


def test_edit_unpublish_and_publish_again(site: Site) -> None:
    episode_id, creator = site.episode["id"], site.creator
    title = "Skies & <volcanoes>\x07 again"
    edited = site.api("PATCH", f"/api/episodes/{episode_id}", creator, json={"title": title, "description": "Notes & <b>more</b>"})
    assert edited.status_code == 200 and edited.json()["title"] == "Skies & <volcanoes> again"
    xml = feed_xml(site)
    etree.fromstring(xml)  # still well-formed XML
    assert feedparser.parse(xml).entries[0].title == "Skies & <volcanoes> again"

    assert site.api("POST", f"/api/episodes/{episode_id}/unpublish", creator).json()["status"] == "unpublished"
    assert feedparser.parse(feed_xml(site)).entries == []
    assert site.get(_path(site.episode["audio_url"])).status_code == 404
    assert site.get(f"/episodes/{episode_id}").status_code == 404
    assert site.get("/api/search", params={"q": "iceland"}).json()["hits"] == []
    assert site.api("POST", f"/api/episodes/{episode_id}/unpublish", creator).status_code == 409

    republished = site.api("POST", f"/api/episodes/{episode_id}/publish", creator).json()
    assert republished["status"] == "published" and republished["published_at"] == site.episode["published_at"]
    assert [e.id for e in feedparser.parse(feed_xml(site)).entries] == [site.episode["guid"]]
    # The worker takes it out of the index and puts it back (search.sync_episode).
    wait_until(lambda: site.get("/api/search", params={"q": "iceland"}).json()["hits"], 30, message="re-indexed")


def test_review_mode_holds_episodes_until_the_creator_publishes(site: Site, conversation: Conversation) -> None:
    site.roomcast.run("show", "create", "careful", "--title", "Careful", "--review", check=True)
    episode = site.roomcast.run_json("import", "careful", "--title", "Draft", "--track",
                                     f"Alice={conversation.files['Alice']}", "--wait")
    assert episode["status"] == "review" and episode["audio_url"] is None
    assert feedparser.parse(feed_xml(site, "careful")).entries == []
    assert site.get(f"/media/episodes/{episode['id']}/audio.mp3").status_code == 404
    held = site.get(f"/api/episodes/{episode['id']}").json()  # anyone learns it is held, nobody gets its files
    assert held["status"] == "review" and held["audio_url"] is None and held["transcripts"] == {}
    assert site.get(f"/api/episodes/{episode['id']}/transcript").status_code == 404
    progress = site.get(f"/api/episodes/{episode['id']}/progress").json()
    assert progress["summary"].startswith("Held for review") and progress["episode_url"] is None

    creator = site.roomcast.run("token", "creator", "careful", check=True).stdout.strip()
    review = site.get(f"/episodes/{episode['id']}", params={"token": creator})
    # its audio URL carries a short-lived read-only media token, never the creator's (issue 15, item 7)
    assert review.status_code == 200 and "audio.mp3?token=" in review.text and creator not in review.text
    assert site.get(f"/media/episodes/{episode['id']}/audio.mp3", params={"token": creator}).status_code == 200

    assert site.api("POST", f"/api/episodes/{episode['id']}/publish", creator).json()["status"] == "published"
    assert [e.title for e in feedparser.parse(feed_xml(site, "careful")).entries] == ["Draft"]


def test_private_show_feed_urls_are_personal_and_revocable(site: Site, conversation: Conversation) -> None:
    site.roomcast.run("show", "create", "inner-circle", "--title", "Inner circle", "--private", check=True)
    site.roomcast.run("show", "update", "inner-circle", "--image", str(site.roomcast.data_dir.parent / "cover.png"), check=True)
    site.roomcast.run_json("import", "inner-circle", "--title", "Secret", "--track", f"Bob={conversation.files['Bob']}", "--wait")
    creator = site.roomcast.run("token", "creator", "inner-circle", check=True).stdout.strip()
    made = site.api("POST", "/api/shows/inner-circle/feed-tokens", creator, json={"label": "Carol's phone"})
    assert made.status_code == 201
    token_id, url = made.json()["id"], made.json()["feed_url"]
    secret = url.split("token=")[1]

    assert site.get("/shows/inner-circle/feed.xml").status_code == 401
    assert site.get("/shows/inner-circle/feed.xml", params={"token": "made-up"}).status_code == 403
    private_feed = feedparser.parse(feed_xml(site, "inner-circle", token=secret))
    assert private_feed.feed.image.href.endswith("/media/shows/inner-circle/artwork.png")
    [entry] = private_feed.entries
    enclosure = entry.enclosures[0].href
    assert enclosure.endswith(f"?token={secret}")
    assert site.get(_path(enclosure)).status_code == 200
    assert site.get(_path(enclosure).split("?")[0]).status_code == 401
    # The feed's own links keep the token: an app refreshing from its self link, a listener opening the page.
    self_link = next(link.href for link in private_feed.feed.links if link.rel == "self")
    assert self_link.endswith(f"?token={secret}") and site.get(_path(self_link)).status_code == 200
    assert entry.link.endswith(f"?token={secret}") and site.get(_path(entry.link)).status_code == 200
    assert site.get("/api/search", params={"q": "scotland", "show": "inner-circle"}).json()["hits"] == []
    assert "inner-circle" not in site.get("/").text

    revoked = site.api("DELETE", f"/api/shows/inner-circle/feed-tokens/{token_id}", creator)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert site.get("/shows/inner-circle/feed.xml", params={"token": secret}).status_code == 403
    assert site.get(_path(enclosure)).status_code == 403


def test_a_scheduled_room_is_announced_as_a_live_item(site: Site) -> None:
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    made = site.api("POST", "/api/shows/stargazers/rooms", site.creator,
                    json={"title": "Meteor night", "start": start.isoformat()})
    assert made.status_code == 201
    room = made.json()
    [live] = partytime(feed_xml(site))["podcastLiveItems"]
    assert live["status"] == "pending"
    assert live["title"] == "Meteor night" and live["guid"] == room["guid"]
    assert datetime.fromisoformat(live["start"].replace("Z", "+00:00")) == start
    assert live["contentLinks"][0]["url"] == room["page_url"]
    page = site.get(f"/rooms/{room['id']}")
    assert page.status_code == 200 and "Meteor night" in page.text and "scheduled" in page.text
    past = site.api("POST", "/api/shows/stargazers/rooms", site.creator, json={"title": "Old", "start": "2001-01-01T00:00:00Z"})
    assert past.status_code == 422


# --- bad input -------------------------------------------------------------------------------


def test_unknown_things_and_bad_ranges(site: Site) -> None:
    assert site.get("/shows/nope/feed.xml").status_code == 404
    assert site.get("/episodes/424242").status_code == 404
    assert site.get("/rooms/424242").status_code == 404
    assert site.get(_path(site.episode["audio_url"]), headers={"Range": "bytes=99999999-"}).status_code == 416
    assert site.api("PATCH", f"/api/episodes/{site.episode['id']}", site.creator, json={"title": "   "}).status_code == 422
    assert site.api("PATCH", "/api/shows/stargazers", site.creator, json={"category": "Cooking"}).status_code == 422
    expired = jwt.encode({"kind": "creator", "show": "stargazers", "iss": "roomcast", "iat": 0, "exp": 1},
                         (site.roomcast.data_dir / "secret.key").read_text().strip(), "HS256")
    response = site.api("GET", "/api/shows/stargazers", expired)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


# --- the episode page in a real browser --------------------------------------------------------

CHROMIUM_ARGS = [
    "--autoplay-policy=no-user-gesture-required", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-sandbox",
]


def test_episode_page_plays_and_seeks_from_the_transcript(site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"{site.server.base_url}/episodes/{site.episode['id']}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(url)
            page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20_000)
            lines = page.locator("#transcript li")
            assert lines.count() >= 3
            target = lines.nth(2)
            start = float(target.get_attribute("data-start"))
            target.click()
            # It plays from the line's start: time moves on past it, and the line is highlighted.
            page.wait_for_function(
                f"(() => {{ const p = document.getElementById('player'); return !p.paused && p.currentTime > {start} + 0.3 }})()",
                timeout=20_000,
            )
            position = page.evaluate("document.getElementById('player').currentTime")
            assert start <= position < start + 5
            page.wait_for_function("document.querySelector('#transcript li.current') !== null", timeout=10_000)
            assert "current" in (target.get_attribute("class") or "")
            # The waveform and the chapters arrived and were drawn.
            page.wait_for_function("document.querySelectorAll('#chapters li').length === 3", timeout=10_000)
            assert page.evaluate("getComputedStyle(document.querySelector('#waveform')).width") != "0px"
            page.screenshot(path=str(tmp_path / "episode.png"), full_page=True)

            # A search result's deep link starts playback at that second.
            deep = browser.new_page()
            deep.goto(url + "#t=12")
            deep.wait_for_function(
                "(() => { const p = document.getElementById('player'); return !p.paused && p.currentTime >= 12 })()",
                timeout=20_000,
            )
        finally:
            browser.close()


def test_search_page_shows_results_as_you_type_and_opens_the_episode_at_that_second(site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"{site.server.base_url}/search")
            page.locator("#q").press_sequentially("scotl", delay=60)  # half a word: a prefix while typing
            page.wait_for_url(re.compile(r"q=scotl"), timeout=10_000)  # the address follows the query, to share or reload
            moment = page.locator("#results a.moment").first
            moment.wait_for(timeout=10_000)  # results for "sc" may come first: these are for "scotl"
            assert "<mark>" in page.locator("#results .snippet").first.inner_html()
            assert page.locator("#results a.speaker").first.inner_text() == "Bob"
            page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

            page.locator("input[name=speaker]").fill("Alice")
            page.locator("input[name=speaker]").dispatch_event("change")
            page.wait_for_function("document.querySelectorAll('#results li').length === 0", timeout=10_000)
            assert "Nothing said matches" in page.locator("#search-status").inner_text()
            page.locator("input[name=speaker]").fill("")
            page.locator("input[name=speaker]").dispatch_event("change")
            moment.wait_for(timeout=10_000)

            fragment = moment.get_attribute("href").split("#t=")[1]  # "9" or "9.5": a media fragment's seconds
            seconds = float(fragment)
            moment.click()
            page.wait_for_url(f"**/episodes/{site.episode['id']}#t={fragment}")
            page.wait_for_function(
                f"(() => {{ const p = document.getElementById('player'); return !p.paused && p.currentTime >= {seconds} }})()",
                timeout=20_000,
            )
        finally:
            browser.close()


def test_episode_page_is_a_podcast_hosts_page(site: Site) -> None:
    """Artwork, number, date in the viewer's zone, length, notes, a playable soundbite, download,
    subscribe links and a link to share the very second one is listening to."""
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect, sync_playwright

    notes = {"description": "What we saw in the <skies>.\n\nAnd what we did not."}
    assert site.api("PATCH", f"/api/episodes/{site.episode['id']}", site.creator, json=notes).status_code == 200
    published = datetime.fromisoformat(site.episode["published_at"]).replace(tzinfo=timezone.utc)
    tokyo = published.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.server.base_url)
        page = context.new_page()
        page.goto(f"{site.server.base_url}/episodes/{site.episode['id']}")
        expect(page.locator(".episode-head img.artwork")).to_be_visible()
        meta = page.locator("#episode-meta")
        expect(meta).to_contain_text("Episode 1")
        expect(meta).to_contain_text(tokyo)
        expect(meta).to_contain_text("GMT+9")
        expect(page.locator("#duration")).to_have_text(re.compile(r"^\d+ s$|^\d+ min \d+ s$"))
        expect(page.locator(".notes p")).to_have_text(["What we saw in the <skies>.", "And what we did not."])
        expect(page.get_by_text("With Alice, Bob")).to_be_visible()
        download = page.get_by_role("link", name=re.compile(r"^Download MP3 \(\d+(\.\d)? [kM]B\)$"))
        expect(download).to_have_attribute("href", site.episode["audio_url"])

        # the soundbite plays its own seconds, then stops
        bite = page.locator("button.soundbite", has_text="Scotland")
        expect(bite).to_be_visible()
        end = float(bite.get_attribute("data-end"))
        bite.click()
        page.wait_for_function(f"(() => {{ const p = document.getElementById('player'); "
                               f"return p.paused && p.currentTime >= {end} - 0.5 }})()", timeout=20_000)

        # share from the second one has reached
        page.evaluate("document.getElementById('player').currentTime = 7.4")
        expect(page.locator("#share")).to_have_text("Share from 0:07")
        page.click("#share")
        expect(page.locator("#share-url")).to_be_visible()
        expect(page.locator("#share-url")).to_have_value(f"{site.server.base_url}/episodes/{site.episode['id']}#t=7")
        expect(page.locator("#share-status")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()").endswith("#t=7")

        # subscribe: copy the feed, or open it in an app
        page.get_by_role("button", name="Copy RSS").click()
        expect(page.locator(".subscribe .copied")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == site.episode["feed_url"]
        for app in ("Apple Podcasts", "Pocket Casts", "Overcast", "AntennaPod", "Podcast Addict"):
            expect(page.locator(".subscribe").get_by_role("link", name=app)).to_be_visible()
        browser.close()
