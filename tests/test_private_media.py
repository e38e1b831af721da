"""Private media stays private in caches and across sites (issue 15, item 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROOMCAST_LIVE_TRANSCRIPTION", "false")
    get_settings.cache_clear()
    from roomcast.app import create_app
    from roomcast.db import migrate, session_scope
    from roomcast.models import Episode, EpisodeStatus, Room, RoomStatus, Show, utcnow
    from roomcast.storage import get_media_store
    from roomcast.tokens import mint_creator_token

    migrate()
    paths, tokens = {}, {}
    with session_scope() as session:
        for slug, private, status in [("open", False, EpisodeStatus.published), ("vault", True, EpisodeStatus.published),
                                      ("draft", False, EpisodeStatus.review)]:
            show = Show(slug=slug, title=slug, description="", feed_version=1, private=private)
            room = Room(show=show, title=slug, status=RoomStatus.ended, ended_at=utcnow())
            episode = Episode(show=show, room=room, title=slug, status=status, audio_mime="audio/mpeg",
                              published_at=utcnow() if status == EpisodeStatus.published else None)
            session.add(episode)
            session.flush()
            episode.audio_key = f"episodes/{episode.id}/audio.mp3"
            get_media_store().write_text(episode.audio_key, "ID3 not really")
            paths[slug], tokens[slug] = f"/media/{episode.audio_key}", mint_creator_token(slug, days=1)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client, paths, tokens
    get_settings.cache_clear()


def test_public_published_media_is_cacheable_and_readable_by_any_site(served) -> None:  # type: ignore[no-untyped-def]
    client, paths, _ = served
    response = client.get(paths["open"])
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_private_shows_media_is_kept_by_no_shared_cache_and_read_by_no_other_site(served) -> None:  # type: ignore[no-untyped-def]
    client, paths, tokens = served
    assert client.get(paths["vault"]).status_code in (401, 404)
    response = client.get(paths["vault"], params={"token": tokens["vault"]})
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["referrer-policy"] == "no-referrer"


def test_an_episode_under_review_is_not_stored_at_all(served) -> None:  # type: ignore[no-untyped-def]
    client, paths, tokens = served
    response = client.get(paths["draft"], params={"token": tokens["draft"]})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "access-control-allow-origin" not in response.headers


def test_a_creators_page_hands_out_a_short_lived_read_only_media_token_not_the_creator_token(served) -> None:  # type: ignore[no-untyped-def]
    import re

    import jwt

    client, paths, tokens = served
    episode_id = paths["draft"].split("/")[3]
    page = client.get(f"/episodes/{episode_id}", params={"token": tokens["draft"]})
    assert page.status_code == 200
    assert tokens["draft"] not in page.text
    handed = set(re.findall(r"audio\.mp3\?token=([\w.-]+)", page.text))
    assert len(handed) == 1, handed
    media_token = handed.pop()
    claims = jwt.decode(media_token, options={"verify_signature": False})
    assert claims["kind"] == "media" and claims["exp"] - claims["iat"] <= 3 * 3600
    assert client.get(paths["draft"], params={"token": media_token}).status_code == 200
    manage = client.post("/api/shows/draft/rooms", json={"title": "Mine now"},
                         headers={"Authorization": f"Bearer {media_token}"})
    assert manage.status_code == 401  # it reads; it manages nothing
