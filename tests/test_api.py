"""The HTTP API in-process against an empty embedded database: bad input gets a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    from roomcast.app import create_app
    from roomcast.db import migrate

    migrate()
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client
    get_settings.cache_clear()


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/openapi.json").json()["info"]["title"] == "roomcast"


@pytest.mark.parametrize("q", ["", "   ", "***", '"', "x" * 600])
def test_unsearchable_queries_are_400_or_422(client: TestClient, q: str) -> None:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


@pytest.mark.parametrize("q", ['"unbalanced', "NEAR(a, b)", "a OR b AND NOT c", "x:y^2", "日本語", "piano*", "-minus"])
def test_full_text_syntax_is_searched_as_text(client: TestClient, q: str) -> None:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200
    assert response.json()["hits"] == []


@pytest.mark.parametrize(
    "path", ["/shows/nope/feed.xml", "/shows/nope", "/api/episodes/1", "/episodes/1", "/media/episodes/1/audio.mp3", "/media/x"]
)
def test_unknown_things_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_search_page_renders_errors_and_empty_results(client: TestClient) -> None:
    assert "no searchable words" in client.get("/search", params={"q": "???"}).text
    assert "Nothing said matches" in client.get("/search", params={"q": "piano"}).text
