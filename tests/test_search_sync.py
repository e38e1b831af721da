"""Publish and unpublish storms queue one index sync per episode, not one per call (issue 15, item 11).

In a process of its own (settings and the Celery app are read once per process), against the
embedded database and broker: the API's publish/unpublish, then the broker's queue is counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STORM = """
import sqlite3, sys
from fastapi.testclient import TestClient
from bench._load_data import seed
from roomcast.app import create_app
from roomcast.settings import get_settings
from roomcast.tokens import mint_creator_token

seeded = seed(episodes=2, segments=3)
creator = {"Authorization": "Bearer " + mint_creator_token(seeded.show, days=1)}
with TestClient(create_app()) as client:
    for n in range(200):
        episode = seeded.episode_ids[n % 2]
        action = "unpublish" if (n // 2) % 2 == 0 else "publish"
        assert client.post(f"/api/episodes/{episode}/{action}", headers=creator).status_code == 200
queue = sqlite3.connect(get_settings().resolved_data_dir / "queue.sqlite3")
print(queue.execute("SELECT COUNT(*) FROM kombu_message").fetchone()[0])
from search.tasks import sync_episode
sync_episode(seeded.episode_ids[0])  # what a worker does: the request is served...
with TestClient(create_app()) as client:  # ...and the next one queues a task again
    assert client.post(f"/api/episodes/{seeded.episode_ids[0]}/publish", headers=creator).status_code == 200
print(queue.execute("SELECT COUNT(*) FROM kombu_message").fetchone()[0])
"""


def test_two_hundred_publish_and_unpublish_calls_queue_one_sync_per_episode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(ROOMCAST_DATA_DIR=str(tmp_path / "data"), ROOMCAST_LIVE_TRANSCRIPTION="false",
               ROOMCAST_EMBEDDED_WORKER="false", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", STORM], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    queued, after_one_ran = (int(line) for line in result.stdout.split()[-2:])
    assert queued == 2, queued  # was 200
    assert after_one_ran == 3
