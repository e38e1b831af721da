"""With ROOMCAST_BASE_URL unset, links follow the address a person or app used; set, it wins.
`make serve` passes HOST and PORT on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import Roomcast, free_port, roomcast_env, start_server, stop

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[1]


def test_links_follow_the_address_asked_when_no_base_url_is_set(tmp_path: Path) -> None:
    port = free_port()
    env = roomcast_env(tmp_path / "data", port, ROOMCAST_EMBEDDED_WORKER="false")
    del env["ROOMCAST_BASE_URL"]
    roomcast = Roomcast(env, tmp_path / "data")
    roomcast.run("show", "create", "here", "--title", "Here", check=True)
    server = start_server(roomcast, port)
    try:
        for host in ("127.0.0.1", "localhost"):
            base = f"http://{host}:{port}"
            feed = httpx.get(f"{base}/shows/here/feed.xml").text
            assert f'<atom:link href="{base}/shows/here/feed.xml"' in feed, feed[:600]
            page = httpx.get(f"{base}/shows/here").text
            assert f'value="{base}/shows/here/feed.xml"' in page  # the feed to copy
        # behind a local proxy that says the outside address was https
        proxied = httpx.get(f"http://127.0.0.1:{port}/shows/here/feed.xml",
                            headers={"X-Forwarded-Proto": "https", "Host": "radio.example"}).text
        assert '<atom:link href="https://radio.example/shows/here/feed.xml"' in proxied
    finally:
        stop(server.process)


def test_a_configured_base_url_wins(tmp_path: Path) -> None:
    port = free_port()
    env = roomcast_env(tmp_path / "data", port, ROOMCAST_EMBEDDED_WORKER="false",
                       ROOMCAST_BASE_URL="https://podcasts.example.org/")
    roomcast = Roomcast(env, tmp_path / "data")
    roomcast.run("show", "create", "there", "--title", "There", check=True)
    server = start_server(roomcast, port)
    try:
        feed = httpx.get(f"http://localhost:{port}/shows/there/feed.xml").text
        assert '<atom:link href="https://podcasts.example.org/shows/there/feed.xml"' in feed
    finally:
        stop(server.process)


def test_make_serve_takes_host_and_port() -> None:
    dry = subprocess.run(["make", "-n", "serve", "HOST=0.0.0.0", "PORT=9123"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert ".venv/bin/roomcast serve --host 0.0.0.0 --port 9123" in dry
