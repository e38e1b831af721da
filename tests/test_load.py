"""Concurrent readers against a real `roomcast serve` (issue 15, item 1).

100 readers at once used to deadlock the server: sync endpoints kept their pooled connection
until the response was serialised, which waited for a thread that itself waited for a
connection; every request then failed after the pool's 30 s timeout and /healthz, which used
the pool, stopped answering. Now the readers are served, overload is a fast 503 with
Retry-After, and /healthz answers within a second throughout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench._load_data import Seeded
from bench.load import Tally, free_port, hammer, path_for, serve
from tests.conftest import SERVER_LOGS, stop

READS = ("search", "episode", "speaker")  # the three the issue saw fail


def _start(tmp_path: Path, **settings: str) -> Iterator[tuple[str, Seeded]]:
    port, log = free_port(), tmp_path / "serve.log"
    SERVER_LOGS.append(log)
    process, seeded = serve(tmp_path / "data", port, log, **settings)
    try:
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        stop(process, timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    yield from _start(tmp_path)


def test_a_hundred_concurrent_readers_are_served_and_healthz_answers(server: tuple[str, Seeded]) -> None:
    base_url, seeded = server
    tally: Tally = hammer(base_url, seeded, READS, clients=100, seconds=60, requests_per_client=3)
    server_errors = {status: n for status, n in tally.statuses.items() if status >= 500 and status != 503}
    assert server_errors == {}, tally.summary(1)
    assert tally.timeouts == 0, tally.summary(1)
    assert tally.slow_503 == 0, tally.summary(1)  # an overload answer comes at once, with Retry-After
    assert tally.statuses.get(200, 0) >= 250, tally.summary(1)  # of 300: at most a few turned away
    assert tally.healthz_max_s <= 1.0, tally.summary(1)


def test_overload_is_a_fast_503_with_retry_after_and_healthz_still_answers(tmp_path: Path) -> None:
    # Two threads and room for four waiting requests: 60 readers at once are genuine overload.
    for base_url, seeded in _start(tmp_path, http_threads="2", max_pending_requests="4"):
        responses = asyncio.run(_burst(base_url, path_for(seeded, READS), 60))
        busy = [r for r in responses if r.status_code == 503]
        assert {r.status_code for r in responses} <= {200, 503}
        assert len(busy) >= 20, [r.status_code for r in responses]
        assert all(r.headers["retry-after"] == "1" for r in busy)
        assert all("busy" in r.json()["detail"] for r in busy)
        assert httpx.get(f"{base_url}/healthz", timeout=1).json()["status"] == "ok"


async def _burst(base_url: str, path_of, count: int) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        return list(await asyncio.gather(*(client.get(path_of(n)) for n in range(count))))
