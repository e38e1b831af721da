"""One rule for text people type (issue 15, item 3): control characters never reach the feed.

A guest's clip title or a creator's description with ``\\x0b`` made ``/shows/{slug}/feed.xml``
answer 500 for every subscriber (lxml: "All strings must be XML compatible"), and a scheduled
room could be neither edited nor cancelled. Text is now cleaned where it arrives (API, CLI,
room messages), rows stored before are cleaned when the feed is built, and creators edit and
cancel their rooms.
"""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pydantic import BaseModel, ValidationError

from roomcast.text import Line, Prose, clean_line, clean_text
from tests.conftest import Roomcast

BAD = "Night\x0bOwls\x00\x1b[31m\x7f\ud800\ufffe"


def test_the_rule_removes_what_xml_cannot_carry_and_keeps_the_rest() -> None:
    assert clean_text(f" {BAD}\r\nline two\ttab 🌙 é ") == "NightOwls[31m\nline two\ttab 🌙 é"
    assert clean_line(" Night\x0b\nOwls  🌙 ") == "Night Owls 🌙"
    for cleaned in (clean_text(BAD), clean_line(BAD)):
        etree.fromstring(f"<t>{cleaned}</t>".encode("utf-8", "surrogatepass"))  # XML takes it


class _Model(BaseModel):
    title: Line(10, 1)
    notes: Prose(20) = ""


def test_models_clean_first_then_check_lengths() -> None:
    assert _Model(title="\x0bab\x0c", notes="a\x0bb\nc").model_dump() == {"title": "ab", "notes": "ab\nc"}
    with pytest.raises(ValidationError, match="at least 1 character"):
        _Model(title="\x0b\x0c ")  # nothing left of it
    with pytest.raises(ValidationError, match="at most 10 characters"):
        _Model(title="x" * 11)
    with pytest.raises(ValidationError, match="valid string"):
        _Model(title=5)
    assert _Model.model_json_schema()["properties"]["title"]["maxLength"] == 10  # documented caps


def test_room_messages_use_the_rule() -> None:
    from live.protocol import ProtocolError, parse_client_message

    assert parse_client_message('{"type": "clip", "title": "good\\u000bbit"}').title == "goodbit"
    with pytest.raises(ProtocolError, match="at most 200"):
        parse_client_message('{"type": "marker", "title": "' + "x" * 201 + '"}')


# --- the API and the feed, in-process against an embedded database -----------------------


def _feed(client: TestClient) -> feedparser.FeedParserDict:
    response = client.get("/shows/owls/feed.xml")
    assert response.status_code == 200, response.text
    etree.fromstring(response.content)  # well-formed XML, not just a 200
    return feedparser.parse(response.content)


def _in_a_week() -> str:
    from roomcast.models import utcnow

    return (utcnow() + timedelta(days=7)).isoformat()


def test_control_characters_sent_to_the_api_are_cleaned_and_the_feed_stays_up(owls_app) -> None:  # type: ignore[no-untyped-def]
    client, creator = owls_app
    body = json.dumps({"title": "Night\x0bOwls", "description": BAD})  # \ud800 escaped, as JSON allows
    show = client.patch("/api/shows/owls", headers={**creator, "Content-Type": "application/json"}, content=body)
    assert show.status_code == 200, show.text
    assert show.json()["title"] == "NightOwls" and show.json()["description"] == "NightOwls[31m"
    room = client.post("/api/shows/owls/rooms", headers=creator,
                       json={"title": "Stars\x0b", "description": "Look\x0bup", "start": _in_a_week()})
    assert room.status_code == 201, room.text
    feed = _feed(client)
    assert feed.feed.title == "NightOwls"
    assert b"Lookup" in client.get("/shows/owls/feed.xml").content  # the pending liveItem


def test_overlong_and_empty_text_is_a_clear_422(owls_app) -> None:  # type: ignore[no-untyped-def]
    client, creator = owls_app
    too_long = client.patch("/api/shows/owls", headers=creator, json={"title": "x" * 256})
    assert too_long.status_code == 422 and "at most 255" in too_long.text
    empty = client.post("/api/shows/owls/rooms", headers=creator, json={"title": "\x0b \x0c"})
    assert empty.status_code == 422 and "at least 1" in empty.text
    huge = client.patch("/api/shows/owls", headers=creator, json={"description": "x" * 20_001})
    assert huge.status_code == 422


def test_rows_stored_before_the_rule_do_not_break_the_feed(owls_app) -> None:  # type: ignore[no-untyped-def]
    from roomcast.db import session_scope
    from roomcast.models import (Episode, EpisodeStatus, Participant, Role, Room, RoomStatus, Show,
                                 TranscriptSegment, utcnow)
    from sqlalchemy import select

    client, _ = owls_app
    with session_scope() as session:  # as an older version stored them: uncleaned
        show = session.scalars(select(Show).where(Show.slug == "owls")).one()
        show.title, show.description, show.author = "Owls\x0b", "About\x0b owls", "Host\x0c"
        show.feed_version += 1
        room = Room(show=show, title="Done\x0b", description="Was\x0b good", status=RoomStatus.ended,
                    ended_at=utcnow())
        guest = Participant(identity="g", display_name="Guest\x0b", role=Role.speaker)
        room.participants = [guest]
        episode = Episode(show=show, room=room, title="Episode\x0b one", status=EpisodeStatus.published,
                          published_at=utcnow(), audio_key="episodes/1/audio.mp3", audio_mime="audio/mpeg",
                          audio_bytes=1000, duration_s=60.0,
                          soundbites=[{"start": 10.0, "duration": 5.0, "title": "Great\x0bbit"}])
        session.add(episode)
        session.flush()
        episode.segments = [TranscriptSegment(speaker="Guest", participant_id=guest.id, start_s=1, end_s=20,
                                              text="hello", words=[])]
        session.add(Room(show=show, title="Soon\x0b", description="Bad\x0bdescription",
                         status=RoomStatus.scheduled, scheduled_at=utcnow() + timedelta(days=1)))
    feed = _feed(client)
    assert feed.feed.title == "Owls"
    assert feed.entries[0].title == "Episode one"
    body = client.get("/shows/owls/feed.xml").text
    assert "Greatbit" in body and ">Guest<" in body and "Baddescription" in body


def test_creators_edit_and_cancel_scheduled_rooms(owls_app) -> None:  # type: ignore[no-untyped-def]
    client, creator = owls_app
    room = client.post("/api/shows/owls/rooms", headers=creator,
                       json={"title": "Soon", "description": "Old", "start": _in_a_week()}).json()
    edited = client.patch(f"/api/rooms/{room['id']}", headers=creator,
                          json={"title": "Sooner\x0b", "description": "New\x0b words", "access": "closed"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.json()["access"]) == ("Sooner", "closed")
    assert "New words" in client.get("/shows/owls/feed.xml").text
    assert client.patch(f"/api/rooms/{room['id']}", json={"title": "x"}).status_code == 401
    assert client.patch(f"/api/rooms/{room['id']}", headers=creator, json={"start": "2001-01-01T00:00:00Z"}).status_code == 422

    assert client.delete(f"/api/rooms/{room['id']}", headers=creator).status_code == 204
    assert "liveItem" not in client.get("/shows/owls/feed.xml").text
    assert client.delete(f"/api/rooms/{room['id']}", headers=creator).status_code == 404

    live = client.post("/api/shows/owls/rooms", headers=creator, json={"title": "Now"}).json()
    refused = client.delete(f"/api/rooms/{live['id']}", headers=creator)
    assert refused.status_code == 409 and "only a scheduled room" in refused.json()["detail"]
    assert client.patch(f"/api/rooms/{live['id']}", headers=creator, json={"access": "open"}).status_code == 409
    assert client.patch(f"/api/rooms/{live['id']}", headers=creator, json={"title": "Now on"}).json()["title"] == "Now on"


# --- the CLI ---------------------------------------------------------------------------------


def test_the_cli_cleans_checks_edits_and_cancels(embedded: Roomcast) -> None:
    import sqlite3

    embedded.run("show", "create", "owls", "--title", "Owls\x0b", "--description", "About\x0b owls", check=True)
    refused = embedded.run("show", "update", "owls", "--title", "x" * 256)
    assert refused.returncode == 2 and refused.stderr.strip() == "error: --title: String should have at most 255 characters"
    start = embedded.run("room", "schedule", "owls", "--title", "Soon", "--start", _in_a_week(),
                         "--description", "Bad\x0b", check=True)
    room_id = start.stdout.split()[1]
    embedded.run("room", "update", room_id, "--title", "Sooner\x0c", "--description", "Fixed\x0b", check=True)
    with sqlite3.connect(embedded.data_dir / "roomcast.sqlite3") as db:
        assert db.execute("SELECT title, description FROM shows").fetchone() == ("Owls", "About owls")
        assert db.execute("SELECT title, description FROM rooms").fetchone() == ("Sooner", "Fixed")
    assert embedded.run("room", "cancel", room_id, check=True).stdout.strip() == f"room {room_id} cancelled"
    again = embedded.run("room", "cancel", room_id)
    assert again.returncode == 2 and again.stderr.strip() == f"error: no room {room_id}"
    with sqlite3.connect(embedded.data_dir / "roomcast.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM rooms").fetchone() == (0,)
