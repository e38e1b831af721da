"""Silent input is held for review, not published (issue 15, item 12): the real import pipeline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import served

pytestmark = pytest.mark.timeout(300)


def test_a_silent_recording_is_held_for_review_not_published(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "3",
                    str(silent)], check=True)
    with served(tmp_path) as (roomcast, server):
        roomcast.run("show", "create", "quiet", "--title", "Quiet", "--auto-publish", check=True)
        episode = roomcast.run_json("import", "quiet", "--title", "Nothing said", "--track", f"host={silent}", "--wait")
        assert episode["status"] == "review", episode
        with server.client() as client:
            feed = client.get("/shows/quiet/feed.xml").text
            items = [chunk.split("</item>")[0] for chunk in feed.split("<item>")[1:]]
            assert not any("Nothing said" in item for item in items)  # no episode (an ended live item, at most)
            assert client.get(f"/api/episodes/{episode['id']}").json()["status"] == "review"
