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
    [live] = live_items(session)
    assert live["status"] == "live" and live["guid"] == pending["guid"]  # one stream, one guid

    room.status, room.ended_at = RoomStatus.ended, utcnow()
    episode = Episode(show=show, room=room, title=room.title, status=EpisodeStatus.processing)
    session.add(episode)
    session.commit()
    [ended] = live_items(session)
    assert ended["status"] == "ended" and "end" in ended

    episode.published_at = utcnow()
    session.commit()
    assert live_items(session) == []
