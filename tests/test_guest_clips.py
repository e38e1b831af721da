"""Guests do not write into the public feed (issue 15, item 4), read by the parsers podcast apps use.

One embedded server, a real import and pipeline run. Then what 150 anonymous listeners leave on a
room's timeline (clips titled with spam, the way live/ records them) and in a live room (their
display names) is stored as the room would store it, the episode is produced again, and the feed
is read: a listener's clip never publishes its own title, overlapping ones are one soundbite, at
most five of them; a listener's name is never a ``podcast:person``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import feedparser
import httpx
import pytest

from postprod.soundbites import MAX_LISTENER_SOUNDBITES
from tests.conftest import DIALOGUE, Conversation, Roomcast, free_port, roomcast_env, start_server, stop, wait_until
from tests.test_feeds import partytime

pytestmark = pytest.mark.timeout(600)
SPAM = "Cheap pills at spam.example"
# Ten moments 1.6 s apart, each clipped by fewer listeners than the one before: 150 clips in all.
MOMENTS = [(1.0 + 1.6 * k, count) for k, count in enumerate([24, 22, 20, 18, 16, 14, 12, 10, 8, 6])]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, conversation: Conversation) -> Iterator[tuple[Roomcast, str, dict]]:
    root = tmp_path_factory.mktemp("guests")
    port = free_port()
    roomcast = Roomcast(roomcast_env(root / "data", port, ROOMCAST_FEED_TRUST_S="0"), root / "data")
    server = start_server(roomcast, port)
    try:
        roomcast.run("show", "create", "open-mic", "--title", "Open Mic", "--author", "Alice Host", check=True)
        episode = roomcast.run_json("import", "open-mic", "--title", "Sky talk", *conversation.track_args(),
                                    "--clip", "0:12+3=The moon", "--wait")
        assert episode["status"] == "published", episode
        yield roomcast, server.base_url, episode
    finally:
        stop(server.process)


def database(roomcast: Roomcast) -> sqlite3.Connection:
    return sqlite3.connect(roomcast.data_dir / "roomcast.sqlite3", timeout=30, isolation_level=None)


def add_listeners(db: sqlite3.Connection, room_id: int, count: int) -> list[int]:
    ids = []
    for n in range(count):
        cursor = db.execute("INSERT INTO participants (room_id, identity, display_name, role, joined_at) "
                            "VALUES (?, ?, ?, 'listener', datetime('now'))", (room_id, f"guest-{room_id}-{n}", f"Spam Bot {n}"))
        ids.append(cursor.lastrowid)
    return ids


def clip_flood(db: sqlite3.Connection, room_id: int) -> None:
    """150 listeners each clip one of the ten moments, titled with spam. The most clipped moment's
    clips are rows from before live/ recorded the clipper's role: their participant says it."""
    listeners = iter(add_listeners(db, room_id, sum(count for _, count in MOMENTS)))
    for number, (at_s, count) in enumerate(MOMENTS):
        data = {"title": SPAM, "duration": 1.5} | ({} if number == 0 else {"by_role": "listener"})
        for _ in range(count):
            db.execute("INSERT INTO room_events (room_id, participant_id, kind, at_s, data, created_at) "
                       "VALUES (?, ?, 'clip', ?, ?, datetime('now'))", (room_id, next(listeners), at_s, json.dumps(data)))


def produce_again(roomcast: Roomcast, base_url: str, episode: dict) -> None:
    roomcast.run("rerun", str(episode["room_id"]), check=True)
    wait_until(lambda: httpx.get(f"{base_url}/api/episodes/{episode['id']}").json()["pipeline"]["status"] == "succeeded",
               300, 0.5, "the episode produced again")


def test_listeners_clips_never_title_the_feed_and_never_flood_it(site: tuple[Roomcast, str, dict]) -> None:
    roomcast, base_url, episode = site
    with database(roomcast) as db:
        clip_flood(db, episode["room_id"])
    produce_again(roomcast, base_url, episode)

    xml = httpx.get(f"{base_url}/shows/open-mic/feed.xml").content
    [item] = partytime(xml)["items"]
    bites = item["podcastSoundbites"]
    titles = [bite["title"] for bite in bites]
    assert len(bites) == MAX_LISTENER_SOUNDBITES + 1, titles  # the five most clipped moments, and the host's
    assert "The moon" in titles  # a title given by the creator stays
    assert not any("spam" in title.lower() for title in titles), titles
    listeners = [bite for bite in bites if bite["title"] != "The moon"]
    starts = [float(bite["startTime"]) for bite in listeners]
    assert starts == sorted(starts) and float(listeners[-1]["startTime"]) < MOMENTS[5][0]  # the least clipped left out
    opening = set(DIALOGUE[0][1].lower().replace(".", "").split())
    assert any(set(title.lower().strip("…").replace(".", "").split()) & opening for title in titles), titles  # words said
    assert {p["name"] for p in item["podcastPeople"]} == {"Alice", "Bob"}  # who spoke
    assert not feedparser.parse(xml).bozo


def test_only_people_on_the_stage_of_a_live_room_are_named_in_the_feed(site: tuple[Roomcast, str, dict]) -> None:
    roomcast, base_url, _episode = site
    opened = roomcast.run("room", "open", "open-mic", "--title", "Late questions", check=True).stdout
    with database(roomcast) as db:
        [(room_id,)] = db.execute("SELECT id FROM rooms WHERE title = 'Late questions'").fetchall()
        add_listeners(db, room_id, 3)
        db.execute("INSERT INTO participants (room_id, identity, display_name, role, joined_at) "
                   "VALUES (?, 'carol', 'Carol', 'speaker', datetime('now'))", (room_id,))
        db.execute("UPDATE shows SET feed_version = feed_version + 1, updated_at = datetime('now')")
    assert opened
    xml = httpx.get(f"{base_url}/shows/open-mic/feed.xml").content
    assert b"Late questions" in xml and b"Spam Bot" not in xml
    assert b">Carol</podcast:person>" in xml
