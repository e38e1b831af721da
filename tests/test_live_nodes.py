"""Several servers on one database: a live room belongs to the node its first participant
reached. Another node starting up leaves it alone, and refuses joins to it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets

from live.protocol import VERSION
from tests.conftest import LiveServer, Roomcast, free_port, host_on_stage, roomcast_env, start_server, stop

pytestmark = pytest.mark.timeout(300)


def node(data_dir: Path, name: str) -> LiveServer:
    port = free_port()
    roomcast = Roomcast(roomcast_env(data_dir, port, ROOMCAST_NODE=name, ROOMCAST_EMBEDDED_WORKER="false"), data_dir)
    creator = roomcast.run("token", "creator", "talk", check=True).stdout.strip()
    return LiveServer(start_server(roomcast, port), roomcast, creator)


def test_a_second_node_leaves_a_live_room_to_the_node_that_serves_it(tmp_path: Path, opus_speech: Path) -> None:
    data_dir = tmp_path / "data"
    Roomcast(roomcast_env(data_dir, free_port()), data_dir).run("show", "create", "talk", "--title", "Talk", check=True)
    a = node(data_dir, "a")
    b = None
    try:
        room_id, host_token = a.open_room(title="Pinned")

        async def scenario() -> None:
            nonlocal b
            hank = await host_on_stage(a, room_id, host_token, opus_speech)
            await asyncio.sleep(2)
            b = await asyncio.to_thread(node, data_dir, "b")  # starts up, recovering its own rooms only
            with a.db() as db:
                assert db.execute("SELECT status, sfu_node FROM rooms WHERE id=?", (room_id,)).fetchone() == ("live", "a")
            async with websockets.connect(b.ws(room_id)) as socket:
                await socket.send(json.dumps({"type": "join", "v": VERSION, "token": b.token(room_id, "lou")}))
                refusal = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert refusal["type"] == "error" and refusal["code"] == "elsewhere", refusal
            heard = hank.state
            await hank.send("ping")
            await hank.expect("pong")  # the room on node a goes on
            assert heard["recording"] is True
            await hank.send("end_room")
            await hank.expect("ended")
            await hank.close()

        asyncio.run(scenario())
        time.sleep(1)
        with a.db() as db:
            status = db.execute("SELECT status FROM rooms WHERE id=?", (room_id,)).fetchone()[0]
            seconds = db.execute("SELECT SUM(duration_s) FROM tracks WHERE room_id=?", (room_id,)).fetchone()[0]
        assert status == "ended" and seconds > 3  # ended by its host, not interrupted by node b
    finally:
        for server in (a, b):
            if server is not None:
                stop(server.server.process)
