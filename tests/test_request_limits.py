"""Bodies past a megabyte are refused unread, and a 422 does not echo its input (issue 15, item 8)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from roomcast.request_limits import MAX_BODY_BYTES, MAX_QUOTED


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROOMCAST_LIVE_TRANSCRIPTION", "false")
    get_settings.cache_clear()
    from roomcast.app import create_app
    from roomcast.db import migrate, session_scope
    from roomcast.models import Show
    from roomcast.tokens import mint_creator_token

    migrate()
    with session_scope() as session:
        session.add(Show(slug="owls", title="Owls", description="", feed_version=1))
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client, mint_creator_token("owls", days=1)
    get_settings.cache_clear()


def test_a_body_past_the_limit_is_413_without_being_read(client) -> None:  # type: ignore[no-untyped-def]
    test_client, creator = client
    huge = json.dumps({"title": "x" * (20 * 1024 * 1024)})
    response = test_client.post("/api/shows/owls/rooms", content=huge, headers={
        "Authorization": f"Bearer {creator}", "Content-Type": "application/json"})
    assert response.status_code == 413, response.status_code
    assert len(response.content) < 200 and str(MAX_BODY_BYTES) in response.json()["detail"]


def test_a_chunked_body_past_the_limit_is_413(client) -> None:  # type: ignore[no-untyped-def]
    test_client, creator = client

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        yield b'{"title": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = test_client.post("/api/shows/owls/rooms", content=chunks(), headers={
        "Authorization": f"Bearer {creator}", "Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_422_quotes_a_few_hundred_characters_of_the_input_not_all_of_it(client) -> None:  # type: ignore[no-untyped-def]
    test_client, creator = client
    body = {"title": ["not a string"] * 50_000}  # about 750 kB: under the limit, wrong in type
    response = test_client.post("/api/shows/owls/rooms", json=body, headers={"Authorization": f"Bearer {creator}"})
    assert response.status_code == 422
    assert len(response.content) < 2_000, len(response.content)
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "title"] and detail["msg"]
    assert len(detail["input"]) <= MAX_QUOTED + 40


def test_a_small_422_still_says_what_it_got(client) -> None:  # type: ignore[no-untyped-def]
    test_client, creator = client
    response = test_client.post("/api/shows/owls/rooms", json={"title": 5}, headers={"Authorization": f"Bearer {creator}"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == 5
    assert isinstance(httpx.Response(422, content=response.content).json(), dict)
