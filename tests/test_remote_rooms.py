"""`roomcast room open|schedule`, `token join` and `feed-token` with `--server`: a creator works
from a machine of their own, through the server's API with a creator token (issue 20, item 11)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import Roomcast, free_port, roomcast_env, start_server, stop


def laptop(directory: Path, server: str, token: str) -> Roomcast:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(ROOMCAST_DATA_DIR=str(directory / "data"), ROOMCAST_SERVER=server, ROOMCAST_CREATOR_TOKEN=token,
               PYTHONUNBUFFERED="1")
    return Roomcast(env, directory / "data")


def test_a_laptop_opens_and_schedules_rooms_through_the_api(tmp_path: Path) -> None:
    port = free_port()
    servers = Roomcast(roomcast_env(tmp_path / "server", port, ROOMCAST_EMBEDDED_WORKER="false"), tmp_path / "server")
    servers.run("show", "create", "talk", "--title", "Talk", check=True)
    servers.run("show", "create", "other", "--title", "Someone else's", check=True)
    token = servers.run("token", "creator", "talk", check=True).stdout.strip()
    server = start_server(servers, port)
    try:
        creator = laptop(tmp_path / "laptop", server.base_url, token)
        opened = creator.run("room", "open", "talk", "--title", "Now", "--host-name", "Ada", check=True)
        assert "is live: " in opened.stdout and "#join=" in opened.stdout, opened.stdout
        later = creator.run("room", "schedule", "talk", "--title", "Later", "--start", "2027-06-01T19:00:00+01:00",
                            check=True)
        assert "scheduled for 2027-06-01T18:00:00" in later.stdout, later.stdout
        room_id = opened.stdout.split()[1]
        link = creator.run("token", "join", room_id, "--identity", "bo@example.org", "--name", "Bo", "--role", "speaker",
                           check=True).stdout.strip()
        assert link.startswith(f"{server.base_url}/rooms/{room_id}#join="), link
        feed = creator.run("feed-token", "create", "talk", "--label", "Bo", check=True).stdout
        assert "/shows/talk/feed.xml?token=" in feed, feed
        token_id = feed.split()[2]
        assert "\tBo\tactive" in creator.run("feed-token", "list", "talk", check=True).stdout
        creator.run("feed-token", "revoke", "talk", token_id, check=True)
        assert "\tBo\trevoked" in creator.run("feed-token", "list", "talk", check=True).stdout
        creator.run("show", "update", "talk", "--title", "Talk, renamed", "--review", check=True)
        shown = servers.run("show", "list", check=True).stdout
        assert "Talk, renamed" in shown, shown
        artwork = creator.run("show", "update", "talk", "--image", str(tmp_path / "art.png"))
        assert artwork.returncode != 0 and "run them on a server" in artwork.stderr, artwork.stderr
        refused = creator.run("room", "open", "other", "--title", "Not mine")  # the token is talk's
        assert refused.returncode == 2 and "403" in refused.stderr, refused.stderr
        assert not (tmp_path / "laptop" / "data").exists()
    finally:
        stop(server.process)
