"""Tokens in URLs stay out of the access log and out of Referer headers (issue 15, item 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, live_server, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("hygiene"), ROOMCAST_EMBEDDED_WORKER="false") as server:
        yield server


def test_the_access_log_never_holds_a_token(server: LiveServer) -> None:
    with server.server.client() as client:
        assert client.get("/shows/talk/feed.xml", params={"token": server.creator}).status_code == 200
        client.get("/media/episodes/1/audio.mp3", params={"token": "feed-secret-1234", "x": "1"})
        client.get("/healthz", params={"probe": "last-line"})  # once it is written, so is everything before
    log = wait_until(lambda: "probe=last-line" in (text := server.server.log.read_text()) and text, 10, 0.1,
                     "the access log")
    assert "token=[redacted]" in log
    assert server.creator not in log and "feed-secret-1234" not in log


def test_every_response_says_no_referrer(server: LiveServer) -> None:
    with server.server.client() as client:
        for path in ("/shows/talk", "/shows/talk/feed.xml", "/api/search?q=x", "/no-such-page"):
            assert client.get(path).headers.get("referrer-policy") == "no-referrer", path
