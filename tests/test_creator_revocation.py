"""A leaked creator token can be revoked without rotating the key (issue 15, item 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, live_server, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with live_server(tmp_path, ROOMCAST_EMBEDDED_WORKER="false") as server:
        server.roomcast.run("show", "create", "other", "--title", "Other", check=True)
        yield server


def _rooms(server: LiveServer, slug: str, token: str) -> int:
    with server.server.client() as client:
        return client.post(f"/api/shows/{slug}/rooms", json={"title": "Now"},
                           headers={"Authorization": f"Bearer {token}"}).status_code


def test_revoked_creator_tokens_stop_working_and_a_new_one_works(server: LiveServer) -> None:
    other = server.roomcast.run("token", "creator", "other", check=True).stdout.strip()
    assert _rooms(server, "talk", server.creator) == 201
    revoked = server.roomcast.run("token", "revoke-creator", "talk", check=True)
    assert "revoked" in revoked.stdout
    wait_until(lambda: _rooms(server, "talk", server.creator) == 401, 10, 0.2, "the old token refused")
    with server.server.client() as client:
        answer = client.get("/shows/talk/feed.xml", params={"token": server.creator})
        assert answer.status_code == 403 and "revoked" in answer.text  # media and review links too
    fresh = server.roomcast.run("token", "creator", "talk", check=True).stdout.strip()
    assert _rooms(server, "talk", fresh) == 201
    assert _rooms(server, "other", other) == 201  # another show's tokens are untouched
