"""A room opened and never joined ends by itself (issue 15, item 12): against `roomcast serve`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import websockets

from tests.conftest import LiveServer, live_server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("abandoned"), ROOMCAST_EMBEDDED_WORKER="false",
                     ROOMCAST_ROOM_UNJOINED_S="2", ROOMCAST_ROOM_GRACE_S="60") as server:
        yield server


def _status(server: LiveServer, room_id: int) -> str:
    with server.db() as db:
        return db.execute("SELECT status FROM rooms WHERE id=?", (room_id,)).fetchone()[0]


def _until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_room_nobody_joins_ends_and_leaves_the_feed(server: LiveServer) -> None:
    forgotten, _ = server.open_room(title="Forgotten")
    joined, host_token = server.open_room(title="Joined")
    with server.server.client() as client:
        assert "Forgotten" in client.get("/shows/talk/feed.xml").text  # live, announced

    async def host_stays() -> None:
        async with websockets.connect(server.ws(joined)) as socket:
            await socket.send(json.dumps({"type": "join", "v": 1, "token": host_token}))
            assert json.loads(await socket.recv())["type"] == "welcome"
            await asyncio.get_running_loop().run_in_executor(
                None, _until, lambda: _status(server, forgotten) == "ended", 30, "the forgotten room to end")
            assert _status(server, joined) == "live"  # joined: it ends when it empties, not by this rule

    asyncio.run(host_stays())
    with server.server.client() as client:
        feed = client.get("/shows/talk/feed.xml").text
        assert "Forgotten" not in feed and "Joined" in feed
        guest = client.post(f"/api/rooms/{forgotten}/guest", json={"name": "Late"})
    assert guest.status_code == 409  # its links no longer open it
