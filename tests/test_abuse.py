"""Abuse that used to cost a 500 or a crashed socket, and transcripts that outlived their episode
(issue 15, items 5 and 8): in-process against an embedded database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

HUGE = str(2**64)  # past what SQLite (and PostgreSQL's bigint) can hold


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, int], str]]:
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROOMCAST_LIVE_TRANSCRIPTION", "false")
    get_settings.cache_clear()
    from roomcast.app import create_app
    from roomcast.db import migrate, session_scope
    from roomcast.models import Episode, EpisodeStatus, Room, RoomStatus, Show, utcnow
    from roomcast.tokens import mint_creator_token

    migrate()
    rooms = {}
    with session_scope() as session:
        show = Show(slug="owls", title="Owls", description="", feed_version=1)
        rooms["live"] = Room(show=show, title="Live", status=RoomStatus.live, started_at=utcnow())
        for status in EpisodeStatus:
            room = Room(show=show, title=status.value, status=RoomStatus.ended, ended_at=utcnow())
            session.add(Episode(show=show, room=room, title=status.value, status=status,
                                published_at=utcnow() if status == EpisodeStatus.published else None))
            rooms[status.value] = room
        session.add_all(rooms.values())
        session.flush()
        ids = {name: room.id for name, room in rooms.items()}
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client, ids, mint_creator_token("owls", days=1)
    get_settings.cache_clear()


@pytest.mark.parametrize("path", [
    f"/api/episodes/{HUGE}", f"/api/episodes/{HUGE}/transcript", f"/episodes/{HUGE}", f"/rooms/{HUGE}",
    f"/api/rooms/{HUGE}/transcript", f"/api/rooms/{HUGE}/archive", f"/api/rooms/{HUGE}/archive/{HUGE}",
    f"/media/episodes/{HUGE}/audio.mp3",
])
def test_ids_past_64_bits_are_a_4xx_not_a_500(app, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _, creator = app
    response = client.get(path, headers={"Authorization": f"Bearer {creator}"})
    assert response.status_code in (404, 422), (response.status_code, response.text)
    if response.status_code == 422:
        assert "less than or equal to 9223372036854775807" in response.text


def test_an_unpublished_episodes_transcript_is_the_creators_alone(app) -> None:  # type: ignore[no-untyped-def]
    from live.join_tokens import mint_join_token
    from roomcast.models import Role

    client, ids, creator = app
    for status in ("review", "unpublished", "failed"):
        room_id = ids[status]
        assert client.get(f"/api/rooms/{room_id}/transcript").status_code == 404, status
        speaker = mint_join_token(room_id, "gil", "Gil", Role.speaker)
        assert client.get(f"/api/rooms/{room_id}/transcript", params={"token": speaker}).status_code == 404
        assert client.get(f"/api/rooms/{room_id}/transcript", params={"token": creator}).status_code == 200
    for status in ("published", "processing", "live"):  # public: the room was heard, the episode is (to be) out
        assert client.get(f"/api/rooms/{ids[status]}/transcript").status_code == 200, status


def _join(client: TestClient, room_id: int):  # type: ignore[no-untyped-def]
    from live.join_tokens import mint_join_token
    from roomcast.models import Role

    return json.dumps({"type": "join", "v": 1, "token": mint_join_token(room_id, "lou", "Lou", Role.listener)})


def test_a_binary_first_frame_is_refused_with_an_error_message(app) -> None:  # type: ignore[no-untyped-def]
    client, ids, _ = app
    with client.websocket_connect(f"/rooms/{ids['live']}/ws") as socket:
        socket.send_bytes(b"\x00\x01binary")
        error = socket.receive_json()
        assert (error["type"], error["code"]) == ("error", "malformed")


@pytest.mark.parametrize("first", ["[" * 20_000, "{\"a\":" * 12_000])
def test_a_deeply_nested_first_message_is_refused_with_an_error_message(app, first: str) -> None:  # type: ignore[no-untyped-def]
    client, ids, _ = app
    with client.websocket_connect(f"/rooms/{ids['live']}/ws") as socket:
        socket.send_text(first)
        error = socket.receive_json()
        assert (error["type"], error["code"]) == ("error", "malformed"), error


def test_a_joined_socket_survives_binary_frames_and_deep_nesting(app) -> None:  # type: ignore[no-untyped-def]
    client, ids, _ = app
    with client.websocket_connect(f"/rooms/{ids['live']}/ws") as socket:
        socket.send_text(_join(client, ids["live"]))
        while (first := socket.receive_json())["type"] == "state":  # a join's broadcast may come first
            pass
        assert first["type"] == "welcome", first
        socket.send_bytes(b"\xff" * 10)
        socket.send_text("[" * 20_000)
        socket.send_text(json.dumps({"type": "ping"}))
        seen = []
        while not seen or seen[-1]["type"] != "pong":
            message = socket.receive_json()
            if message["type"] != "state":
                seen.append(message)
        assert [(m["type"], m.get("code")) for m in seen] == [("error", "malformed"), ("error", "malformed"), ("pong", None)]


def test_a_socket_path_past_64_bits_is_closed_not_crashed(app) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    client, _, _ = app
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(f"/rooms/{HUGE}/ws") as socket:
            socket.receive_text()
    assert closed.value.code == 1008  # policy violation: FastAPI's answer to a bad path parameter
