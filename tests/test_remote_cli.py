"""The CLI in scale-out (issue 20, item 11): a creator's laptop imports, follows and publishes
through a server's API with a creator token, without the servers' database, media or key.

Real PostgreSQL, Redis, an API node and a worker; the "laptop" is a CLI with an empty
environment and a data directory of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Conversation, Turn, build_conversation, free_port, start_server, stop
from tests.scaleout import MACHINE_REDIS, deployment
from tests.test_remote_rooms import laptop

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(420)]


@pytest.fixture(scope="module")
def short_talk(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    turns = [Turn("Alice", "Welcome to the garden show."), Turn("Bob", "The roses are early this year.")]
    return build_conversation(tmp_path_factory.mktemp("remote"), turns)


def test_a_laptop_imports_follows_and_publishes_through_the_api(tmp_path: Path, short_talk: Conversation) -> None:
    with deployment(tmp_path / "servers", MACHINE_REDIS) as deployed:
        deployed.roomcast.run("show", "create", "garden", "--title", "Garden", "--review", check=True)
        token = deployed.roomcast.run("token", "creator", "garden", check=True).stdout.strip()
        deployed.start_worker()
        port = free_port()
        deployed.roomcast.env["ROOMCAST_BASE_URL"] = f"http://127.0.0.1:{port}"
        server = start_server(deployed.roomcast, port)
        try:
            creator = laptop(tmp_path / "laptop", server.base_url, token)
            imported = creator.run_json("import", "garden", "--title", "Roses", *short_talk.track_args(),
                                        "--marker", "0:01=Roses", "--wait", timeout=300)
            assert imported["status"] == "review", imported
            episode = imported["id"]
            assert creator.run_json("status", str(episode))["status"] == "review"
            creator.run("episode", "edit", str(episode), "--title", "Early roses", check=True, timeout=60)
            assert deployed.query("SELECT title FROM episodes WHERE id = %s", episode) == [("Early roses",)]
            published = creator.run("episode", "publish", str(episode), check=True, timeout=60)
            assert f"episode {episode}: published" in published.stdout
            assert deployed.episode_status(episode) == "published"
            assert not (tmp_path / "laptop" / "data").exists()  # no database, media or key made there
            assert not list((deployed.roomcast.data_dir / "media").glob("uploads/garden/*"))  # consumed
            [(tracks,)] = deployed.query("SELECT COUNT(*) FROM tracks")
            assert tracks == 2

            wrong = laptop(tmp_path / "laptop", server.base_url, token + "x")
            refused = wrong.run("status", str(episode))
            assert refused.returncode == 2 and ("401" in refused.stderr or "403" in refused.stderr), refused.stderr
            missing = creator.run("import", "garden", "--title", "Nothing", "--track", "Zed=/nowhere.wav")
            assert missing.returncode == 2 and "no such file" in missing.stderr
        finally:
            stop(server.process)

