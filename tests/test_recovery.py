"""Queued work survives a restart, and a worker killed mid-pipeline loses nothing.

Embedded mode: the queue is an SQLite file, and the single embedded worker rebuilds it from
the database when it starts, skipping the steps that already succeeded.
"""

from __future__ import annotations

import json
import signal
import sqlite3

import feedparser
import httpx

from tests.conftest import Conversation, Roomcast, start_server, stop, wait_until, worker_lock_held


def episode_status(roomcast: Roomcast, episode_id: int) -> dict:
    return json.loads(roomcast.run("status", str(episode_id), "--json", check=True).stdout.strip().splitlines()[-1])


def progress(roomcast: Roomcast, episode_id: int) -> tuple[str, str]:
    """(the episode's status, its pipeline's), read from the database: polled with `roomcast status`,
    each look cost a Python start (3-5 s on two busy cores) on the machine the pipeline needs."""
    with sqlite3.connect(roomcast.data_dir / "roomcast.sqlite3") as db:
        return db.execute("SELECT e.status, (SELECT r.status FROM pipeline_runs r WHERE r.room_id = e.room_id "
                          "ORDER BY r.id DESC LIMIT 1) FROM episodes e WHERE e.id = ?", (episode_id,)).fetchone()


def import_without_waiting(roomcast: Roomcast, talk: Conversation) -> int:
    roomcast.run("show", "create", "later", "--title", "Later", check=True)
    episode = roomcast.run_json("import", "later", "--title", "Queued", *talk.track_args())
    assert episode["status"] == "processing"
    return episode["id"]


def test_queued_work_runs_when_a_worker_starts_later(embedded: Roomcast, conversation: Conversation) -> None:
    episode_id = import_without_waiting(embedded, conversation)
    assert episode_status(embedded, episode_id)["pipeline"]["status"] == "queued"
    worker = embedded.spawn("worker", log=embedded.data_dir.parent / "worker.log")
    try:
        wait_until(lambda: progress(embedded, episode_id)[0] == "published", 300, message="publication")
        assert episode_status(embedded, episode_id)["status"] == "published"
    finally:
        stop(worker)


def test_a_worker_killed_mid_pipeline_is_resumed_and_publishes_once(embedded: Roomcast, conversation: Conversation) -> None:
    episode_id = import_without_waiting(embedded, conversation)
    log = embedded.data_dir.parent / "worker.log"
    worker = embedded.spawn("worker", log=log)
    wait_until(lambda: progress(embedded, episode_id)[1] == "running", 120, 0.1, "a running step")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert episode_status(embedded, episode_id)["status"] == "processing"

    port = int(embedded.env["ROOMCAST_BASE_URL"].rsplit(":", 1)[1])
    server = start_server(embedded, port)  # `serve` starts a fresh embedded worker
    try:
        wait_until(lambda: (p := progress(embedded, episode_id))[0] == "published" and p[1] != "running", 300,
                   message="publication and the run's end")
        final = episode_status(embedded, episode_id)
        assert final["pipeline"]["status"] == "succeeded"
        feed = feedparser.parse(httpx.get(final["feed_url"]).content)
        assert [e.title for e in feed.entries] == ["Queued"]
        assert len(httpx.get(final["audio_url"]).content) > 10_000
    finally:
        stop(server.process)
    assert server.process.returncode == 0
    assert not worker_lock_held(embedded.data_dir), "serve left its worker running"


def test_probing_for_a_worker_never_turns_a_starting_worker_away(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """`serve` probes the lock while its new worker starts: the probe must not win the lock
    out from under the worker (CI once saw "an embedded worker already runs" this way)."""
    import threading

    from roomcast import embedded
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    probing = threading.Event()
    probing.set()

    def probe() -> None:
        while probing.is_set():
            embedded.worker_running()

    prober = threading.Thread(target=probe)
    prober.start()
    turned_away = 0
    try:
        for _ in range(200):
            try:
                with embedded.worker_lock():
                    assert embedded.worker_running()  # while held, every probe sees it
            except embedded.WorkerAlreadyRunning:
                turned_away += 1
    finally:
        probing.clear()
        prober.join()
        get_settings.cache_clear()
    assert turned_away == 0
