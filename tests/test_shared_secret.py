"""Beside a shared database, a command without ROOMCAST_SECRET_KEY refuses to make a key of its
own, which would sign tokens every node rejects (issue 20, item 11). Real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Roomcast
from tests.scaleout import MACHINE_REDIS, deployment

pytestmark = pytest.mark.scaleout


def test_beside_a_shared_database_without_the_key_no_key_is_made(tmp_path: Path) -> None:
    with deployment(tmp_path, MACHINE_REDIS) as deployed:
        env = {**deployed.roomcast.env, "ROOMCAST_DATA_DIR": str(tmp_path / "elsewhere")}
        del env["ROOMCAST_SECRET_KEY"]
        keyless = Roomcast(env, tmp_path / "elsewhere")
        refused = keyless.run("token", "creator", "anything")
        assert refused.returncode == 2 and "ROOMCAST_SECRET_KEY" in refused.stderr, refused.stderr
        assert not (tmp_path / "elsewhere" / "secret.key").exists()
        assert keyless.run("migrate").returncode == 0  # signs nothing
