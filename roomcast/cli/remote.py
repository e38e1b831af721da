"""Creator commands against a server: a creator's laptop needs its URL and a creator token, not
the servers' database, broker, media or secret.

``--server`` (``ROOMCAST_SERVER``) turns ``import``, ``status`` and ``episode publish|unpublish``
into calls of the API (``capture.import_routes``, ``feeds.api``) with ``--token``
(``ROOMCAST_CREATOR_TOKEN``, from ``roomcast token creator SLUG`` on a server). Nothing is read
or written locally but the tracks sent; answers are the server's, errors its ``detail``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any

import httpx
import typer

from roomcast.cli.common import FINAL_STATUSES, fail, stderr
from roomcast.cli.progress import Follower

Server = Annotated[str | None, typer.Option(
    "--server", envvar="ROOMCAST_SERVER", help="Run this against a roomcast server (its public URL) with "
    "--token, instead of this machine's database and media.")]
Token = Annotated[str | None, typer.Option(
    "--token", envvar="ROOMCAST_CREATOR_TOKEN", help="The show's creator token, for --server.", show_default=False)]
UPLOAD_TIMEOUT = httpx.Timeout(30.0, read=600.0, write=600.0)


class Remote:
    """The API of one server, as one creator."""

    def __init__(self, server: str, token: str | None) -> None:
        if not token:
            fail("--server needs the show's creator token: --token or ROOMCAST_CREATOR_TOKEN")
        self.client = httpx.Client(base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
                                   timeout=UPLOAD_TIMEOUT)

    def call(self, method: str, path: str, **kwargs: Any) -> dict:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            fail(f"{self.client.base_url}: {error}", code=1)
        if response.status_code >= 400:
            fail(f"{self.client.base_url}{path}: {response.status_code} {_detail(response)}",
                 code=1 if response.status_code >= 500 else 2)
        return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text[:200]
    return detail if isinstance(detail, str) else json.dumps(detail)[:400]


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

