"""feeds.feed_cache: a rendered feed is served without asking the database for
ROOMCAST_FEED_TRUST_S, then its version decides; in-process against an embedded database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


def trust(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_FEED_TRUST_S", str(seconds))
    get_settings.cache_clear()


def test_a_trusted_feed_is_served_as_it_was_until_its_trust_runs_out(owls_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client, creator = owls_app
    trust(monkeypatch, 3600)
    before = client.get("/shows/owls/feed.xml")
    assert before.status_code == 200 and "Meteor night" not in before.text
    start = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()
    assert client.post("/api/shows/owls/rooms", headers=creator, json={"title": "Meteor night", "start": start}).status_code == 201
    trusted = client.get("/shows/owls/feed.xml")
    assert trusted.text == before.text and trusted.headers["etag"] == before.headers["etag"]

    trust(monkeypatch, 0)  # the trust ran out: the version says the feed changed
    after = client.get("/shows/owls/feed.xml", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "Meteor night" in after.text and after.headers["etag"] != before.headers["etag"]
    assert client.get("/shows/owls/feed.xml", headers={"If-None-Match": after.headers["etag"]}).status_code == 304
