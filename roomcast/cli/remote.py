"""`import`, `status` and the wait of `--wait` against a server (``--server``): the tracks are
checked here and uploaded, then imported there (``capture.import_routes``); the episode is followed
through the API (``feeds.api``)."""

from __future__ import annotations

import time
import uuid

from roomcast.cli.progress import Follower
from roomcast.commands import FINAL_STATUSES, fail, stderr
from roomcast.remote_api import Remote

def import_recording(remote: Remote, slug: str, title: str, tracks: list[str], description: str,
                     markers: list[str], clips: list[str], off_record: list[str]) -> dict:
    """Upload each track, then import them: the import's room and episode ids."""
    from capture.imports import check_track, parse_track_option
    from roomcast.errors import UserError

    try:
        files = [parse_track_option(value) for value in tracks]
        for track in files:
            check_track(track)  # a wrong path or a file that is not audio fails here, before any upload
    except UserError as error:
        fail(str(error))
    named = []
    for track in files:
        name = f"{uuid.uuid4().hex}{track.path.suffix.lower() or '.bin'}"
        stderr.print(f"uploading {track.speaker}: {track.path} ({track.path.stat().st_size / 1e6:.1f} MB)", highlight=False)
        with open(track.path, "rb") as body:
            remote.call("PUT", f"/api/shows/{slug}/uploads/{name}", content=body)
        named.append({"speaker": track.speaker, "upload": name})
    return remote.call("POST", f"/api/shows/{slug}/imports", json={
        "title": title, "description": description, "tracks": named,
        "markers": markers, "clips": clips, "off_record": off_record})


def episode(remote: Remote, episode_id: int) -> dict:
    return remote.call("GET", f"/api/episodes/{episode_id}")


def wait_for(remote: Remote, episode_id: int, timeout: float) -> dict:
    """Follow the pipeline on the server until the episode is done."""
    deadline = time.monotonic() + timeout
    with Follower() as follower:
        while True:
            view = episode(remote, episode_id)
            pipeline = view.get("pipeline") or {}
            follower.update(pipeline.get("stage", "queued"), pipeline.get("progress", 0.0))
            if view["status"] in FINAL_STATUSES and pipeline.get("status") not in ("queued", "running"):
                return view  # published (or held) and its run closed
            if time.monotonic() > deadline:
                fail(f"episode {episode_id} not done after {timeout:.0f} s (it goes on on the server)", code=1)
            time.sleep(1.0)

