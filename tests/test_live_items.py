"""A room's life in its show's feed: pending, live, ended, then the episode takes over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_feeds import partytime


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    from roomcast.db import migrate, new_session

    migrate()
    with new_session() as db:
        yield db
    get_settings.cache_clear()


def live_items(session) -> list[dict]:  # type: ignore[no-untyped-def]
    from feeds.feed_cache import render
    from roomcast.models import Show

    return partytime(render(session, session.query(Show).one(), None).body).get("podcastLiveItems", [])


def test_live_item_follows_the_room(session) -> None:  # type: ignore[no-untyped-def]
    from feeds.shows import ShowSettings, create_show
    from live.rooms import schedule_room
    from roomcast.models import Episode, EpisodeStatus, Participant, Role, RoomStatus, utcnow

    show = create_show(session, "night", ShowSettings(title="Night"))
    room = schedule_room(session, show, "Moon talk", utcnow() + timedelta(hours=3))
    session.add(Participant(room=room, identity="h", display_name="Hana", role=Role.host))
    session.commit()
    [pending] = live_items(session)
    assert pending["status"] == "pending" and pending["title"] == "Moon talk"
    assert pending["podcastPeople"] == [{"name": "Hana", "role": "Host", "group": "Cast"}]

    room.status, room.started_at = RoomStatus.live, utcnow()
    session.commit()
    [opened] = live_items(session)
    assert opened["status"] == "pending"  # the room is open, but its stream does not play yet

    room.stream_started_at = utcnow()
    session.commit()
    [live] = live_items(session)
    assert live["status"] == "live" and live["guid"] == pending["guid"]  # one stream, one guid
    listen, hls = f"/rooms/{room.id}/listen", f"/rooms/{room.id}/live.m3u8"
    assert live["enclosure"]["url"].endswith(listen) and live["enclosure"]["type"] == "audio/mpeg"
    alternates = {a["type"]: a["source"][0]["uri"] for a in live["alternativeEnclosures"]}
    assert alternates["audio/mpeg"].endswith(listen) and alternates["application/x-mpegURL"].endswith(hls)
    assert live["contentLinks"][0]["url"].endswith(f"/rooms/{room.id}")

    room.status, room.ended_at = RoomStatus.ended, utcnow()
    episode = Episode(show=show, room=room, title=room.title, status=EpisodeStatus.processing)
    session.add(episode)
    session.commit()
    [ended] = live_items(session)
    assert ended["status"] == "ended" and "end" in ended

    episode.published_at = utcnow()
    session.commit()
    assert live_items(session) == []


def test_a_scheduled_start_keeps_its_offset_in_the_database_and_the_feed(session) -> None:  # type: ignore[no-untyped-def]
    """21:00 at +01:00 is 20:00 UTC: SQLite kept the wall clock and dropped the offset (an hour late)."""
    from datetime import datetime, timezone

    from lxml import etree

    from feeds.feed_cache import render
    from feeds.shows import ShowSettings, create_show
    from live.rooms import schedule_room
    from roomcast.db import new_session
    from roomcast.models import Room, utcnow

    day = (utcnow() + timedelta(days=10)).date()
    paris = datetime.fromisoformat(f"{day}T21:00:00+01:00")
    show = create_show(session, "night", ShowSettings(title="Night"))
    room_id = schedule_room(session, show, "Moon talk", paris).id
    session.commit()

    with new_session() as fresh:  # read back from the file, not from the session's identity map
        stored = fresh.get(Room, room_id).scheduled_at
        assert stored == paris and stored.tzinfo == timezone.utc and stored.hour == 20
        body = render(fresh, fresh.get(Room, room_id).show, None).body
    [item] = etree.fromstring(body).iter("{https://podcastindex.org/namespace/1.0}liveItem")
    assert item.get("start") == f"{day}T20:00:00+00:00"
    assert datetime.fromisoformat(item.get("start")) == paris
