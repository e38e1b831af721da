"""Pipeline work stays ahead of housekeeping (issue 15, item 11).

4,500 publish/unpublish calls once queued 4,500 index syncs, which the embedded broker drains at
a few a second, and a new room's pipeline sat at "queued 0 %" behind them for five minutes.
Housekeeping has a queue of its own (roomcast.celery_app.housekeeping_queue), which the embedded
worker consumes too: here a flood of syncs is queued first, then a recording is imported, and its
episode must be produced while most of the flood still waits (on one queue, every sync ran first).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Conversation, Roomcast, free_port, roomcast_env, start_server, stop

pytestmark = pytest.mark.timeout(600)
FLOOD = 600  # index syncs; the embedded worker runs about 3 a second here

QUEUE_SYNCS = f"""
from roomcast.pipeline import sync_search
for episode_id in range(100_000, 100_000 + {FLOOD}):
    assert sync_search(episode_id)
"""


def waiting_syncs(roomcast: Roomcast) -> int:
    with sqlite3.connect(roomcast.data_dir / "roomcast.sqlite3", timeout=30) as db:
        return db.execute("SELECT COUNT(*) FROM search_sync_requests WHERE episode_id >= 100000").fetchone()[0]


def test_a_flood_of_index_syncs_does_not_hold_a_new_rooms_pipeline(tmp_path: Path, conversation: Conversation) -> None:
    port = free_port()
    roomcast = Roomcast(roomcast_env(tmp_path / "data", port), tmp_path / "data")
    server = start_server(roomcast, port)
    try:
        roomcast.run("show", "create", "busy", "--title", "Busy", "--auto-publish", check=True)
        subprocess.run([sys.executable, "-c", QUEUE_SYNCS], env=roomcast.env, check=True, timeout=300)
        assert waiting_syncs(roomcast) > FLOOD * 0.9  # queued, hardly begun
        episode = roomcast.run_json("import", "busy", "--title", "Right away", *conversation.track_args(), "--wait",
                                    timeout=400)
        left = waiting_syncs(roomcast)
        assert episode["status"] == "published" and episode["pipeline"]["status"] == "succeeded", episode
        print(f"episode produced with {left} of {FLOOD} index syncs still waiting")
        assert left >= FLOOD // 4, f"only {left} of {FLOOD} syncs were still waiting: the pipeline queued behind them"
        assert left < FLOOD  # and housekeeping went on meanwhile: the worker consumes both queues
    finally:
        stop(server.process)
