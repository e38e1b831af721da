"""Concurrent readers against a real `roomcast serve`: no 5xx, no timeouts, /healthz always answers.

    python -m bench.load [--seconds 20] [--clients 100,300] [--endpoints search,episode,feed,media] [--joins 300]

A show with published, indexed episodes is generated in a temporary data directory and served
on 127.0.0.1 (embedded mode, no worker). For each client count and each endpoint, that many
clients send requests back to back for the given time while a probe asks /healthz every 0.2 s.
Each loop is bounded by the deadline; each request by a timeout (a timeout is counted, never
waited out). First, ``--joins`` listeners join one live room at once (``bench._join``). Last
line: JSON with errors_5xx (overload_503 of them being the server's fast "busy" answer),
timeouts, healthz_max_s and p99_ms per endpoint, per client count and over all runs, and
join_signaling_mb: what the join storm cost in signaling.

Latencies are taken by the clients, which share the machine's cores with the server: an answer
can wait in a load generator before it is read. ``client_lag_max_s`` (how late the generators'
event loops ran) says how much; ``healthz_max_s``, from a process of its own through the
server's event loop, says how late the server answered. A 503 slower than a second
(``slow_503``) with the server's loop answering /healthz within a fraction of that waited in
the client: at 300 clients on two shared cores the generators' loops ran 2-3 s late while
/healthz answered within 0.4 s but once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import multiprocessing.sharedctypes
import multiprocessing.synchronize
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from bench._join import join_storm
from bench._load_data import Seeded

HOST = "127.0.0.1"  # the benchmark never talks to anything else
REQUEST_TIMEOUT_S = 10.0
HEALTHZ_EVERY_S, HEALTHZ_TIMEOUT_S = 0.2, 5.0


@dataclass
class Tally:
    """What one endpoint answered during one run."""

    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0
    connection_errors: int = 0  # the server closed or reset the connection without answering
    slow_503: int = 0  # an overload answer is only acceptable when it is fast
    healthz_max_s: float = 0.0
    # How late the load generator's own event loop ran: on a machine whose cores the server
    # shares, a response can wait this long in the client before it is read (and timed).
    client_lag_max_s: float = 0.0

    def summary(self, seconds: float) -> dict:
        latencies = np.array(self.latencies_s or [0.0]) * 1000
        errors = sum(count for status, count in self.statuses.items() if status >= 500)
        return {"requests": len(self.latencies_s), "rps": round(len(self.latencies_s) / seconds, 1),
                "p50_ms": round(float(np.percentile(latencies, 50)), 1),
                "p99_ms": round(float(np.percentile(latencies, 99)), 1),
                "errors_5xx": errors, "overload_503": self.statuses.get(503, 0), "slow_503": self.slow_503,
                "timeouts": self.timeouts, "connection_errors": self.connection_errors, "healthz_max_s": round(self.healthz_max_s, 3),
                "client_lag_max_s": round(self.client_lag_max_s, 3),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


def path_for(seeded: Seeded, endpoints: tuple[str, ...]) -> Callable[[int], str]:
    """Request number n asks for endpoints[n % len]: clients vary what they ask for."""
    ids, keys = seeded.episode_ids, seeded.media_keys
    of = {
        "search": lambda n: f"/api/search?q={seeded.queries[n % len(seeded.queries)]}",
        "episode": lambda n: f"/api/episodes/{ids[n % len(ids)]}",
        "speaker": lambda n: f"/api/speakers/{seeded.speakers[n % len(seeded.speakers)]}",
        "feed": lambda n: f"/shows/{seeded.show}/feed.xml",
        "media": lambda n: f"/media/{keys[n % len(keys)]}",
    }
    return lambda n: of[endpoints[n % len(endpoints)]](n)


def _probe_healthz(base_url: str, stop: multiprocessing.synchronize.Event, worst: multiprocessing.sharedctypes.Synchronized) -> None:
    """In a process of its own, so that the load generators' busy event loops do not delay it."""
    with httpx.Client(base_url=base_url, timeout=HEALTHZ_TIMEOUT_S) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                ok = client.get("/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            took = time.monotonic() - started
            worst.value = max(worst.value, took if ok else max(took, HEALTHZ_TIMEOUT_S))
            stop.wait(HEALTHZ_EVERY_S)


async def _drive(base_url: str, path_of: Callable[[int], str], clients: int, deadline_s: float,
                 requests_per_client: int | None, first: int) -> Tally:
    """One process's share of the clients, each looping until the deadline (or its requests)."""
    tally, counter, deadline = Tally(), itertools.count(first), time.monotonic() + deadline_s
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for done in itertools.count():
            if time.monotonic() >= deadline or (requests_per_client is not None and done >= requests_per_client):
                return
            number, started = next(counter), time.monotonic()
            path = path_of(number)
            extra = {"Range": "bytes=0-65535"} if path.startswith("/media/") else {}
            try:  # one deadline for the whole exchange (httpx's timeouts are per phase)
                response = await asyncio.wait_for(client.get(path, headers=extra), REQUEST_TIMEOUT_S)
            except (TimeoutError, httpx.TimeoutException):
                tally.timeouts += 1
                continue
            except httpx.TransportError:
                tally.connection_errors += 1
                continue
            took = time.monotonic() - started
            tally.latencies_s.append(took)
            tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
            if response.status_code == 503 and (took > 1.0 or "retry-after" not in response.headers):
                tally.slow_503 += 1
            if response.status_code == 503:
                await asyncio.sleep(float(response.headers.get("retry-after", 1)))  # as a polite client would

    async def watch_lag() -> None:
        while True:
            asked = time.monotonic()
            await asyncio.sleep(0.05)
            tally.client_lag_max_s = max(tally.client_lag_max_s, time.monotonic() - asked - 0.05)

    watcher = asyncio.create_task(watch_lag())
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    watcher.cancel()
    return tally


def _drive_in_process(base_url: str, seeded: Seeded, endpoints: tuple[str, ...], clients: int, seconds: float,
                      requests_per_client: int | None, first: int) -> Tally:
    return asyncio.run(_drive(base_url, path_for(seeded, endpoints), clients, seconds, requests_per_client, first))


def hammer(base_url: str, seeded: Seeded, endpoints: tuple[str, ...], clients: int, seconds: float,
           requests_per_client: int | None = None, processes: int | None = None) -> Tally:
    """``clients`` concurrent clients spread over ``processes`` (one per core by default): one
    Python event loop cannot drive 300 httpx clients fast enough to load the server, and the
    latencies it measured were its own queue. /healthz is probed meanwhile from another process."""
    assert httpx.URL(base_url).host == HOST, "load is only ever sent to 127.0.0.1"
    processes = max(1, min(processes or os.cpu_count() or 1, clients))
    shares = [clients // processes + (n < clients % processes) for n in range(processes)]
    spawn = multiprocessing.get_context("spawn")
    stop, worst = spawn.Event(), spawn.Value("d", 0.0)
    probe = spawn.Process(target=_probe_healthz, args=(base_url, stop, worst))
    probe.start()
    try:
        with ProcessPoolExecutor(processes, mp_context=spawn) as pool:
            parts = [pool.submit(_drive_in_process, base_url, seeded, endpoints, share, seconds,
                                 requests_per_client, n * 1_000_000) for n, share in enumerate(shares)]
            tallies = [part.result() for part in parts]
    finally:
        stop.set()
        probe.join(HEALTHZ_TIMEOUT_S + 5)
    total = Tally(healthz_max_s=worst.value)
    for tally in tallies:
        total.latencies_s += tally.latencies_s
        for status, count in tally.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
        total.timeouts += tally.timeouts
        total.connection_errors += tally.connection_errors
        total.slow_503 += tally.slow_503
        total.client_lag_max_s = max(total.client_lag_max_s, tally.client_lag_max_s)
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def serve(data_dir: Path, port: int, log: Path, listeners: int = 0, **settings: str) -> tuple[subprocess.Popen, Seeded]:
    """Seed the data directory (with a live room and ``listeners`` join tokens for it) and start
    `roomcast serve` on it; returns once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(ROOMCAST_DATA_DIR=str(data_dir), ROOMCAST_BASE_URL=f"http://{HOST}:{port}",
               ROOMCAST_EMBEDDED_WORKER="false", ROOMCAST_LIVE_TRANSCRIPTION="false", PYTHONUNBUFFERED="1")
    env.update({f"ROOMCAST_{name.upper()}": value for name, value in settings.items()})
    # Seeded in a process of its own: settings are read once per process, from these variables.
    script = ("import dataclasses, json; from bench._load_data import seed; "
              f"print(json.dumps(dataclasses.asdict(seed(listeners={int(listeners)}))))")
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    seeded = Seeded(**{k: tuple(v) if k in ("speakers", "queries") else v
                       for k, v in json.loads(out.splitlines()[-1]).items()})
    handle = open(log, "w")
    process = subprocess.Popen([sys.executable, "-m", "roomcast", "serve", "--host", HOST, "--port", str(port)],
                               env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"roomcast serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=2).status_code == 200:
                return process, seeded
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"roomcast serve did not answer:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="Per client count and endpoint.")
    parser.add_argument("--clients", default="100,300", help="Comma-separated client counts.")
    parser.add_argument("--endpoints", default="search,episode,feed,media")
    parser.add_argument("--joins", type=int, default=300, help="Listeners joining one room at once (0: none).")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="A server setting, e.g. http_threads=16 (ROOMCAST_HTTP_THREADS).")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    endpoints = args.endpoints.split(",")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="roomcast-load-") as tmp:
        settings = dict(item.split("=", 1) for item in args.set)
        process, seeded = serve(Path(tmp) / "data", port, Path(tmp) / "serve.log", args.joins, **settings)
        try:
            storm = join_storm(f"http://{HOST}:{port}", seeded.room_id, seeded.join_tokens, process.pid) \
                if args.joins else None
            if storm is not None:
                print(f"{args.joins:>4} joins           {json.dumps(storm.summary())}", file=sys.stderr)
            by_count: dict[str, dict] = {}
            for count in counts:
                runs = {}
                for endpoint in endpoints:
                    tally = hammer(f"http://{HOST}:{port}", seeded, (endpoint,), count, args.seconds)
                    runs[endpoint] = tally.summary(args.seconds)
                    print(f"{count:>4} clients {endpoint:<8} {json.dumps(runs[endpoint])}", file=sys.stderr)
                by_count[str(count)] = {
                    "errors_5xx": sum(r["errors_5xx"] for r in runs.values()),
                    "overload_503": sum(r["overload_503"] for r in runs.values()),
                    "timeouts": sum(r["timeouts"] for r in runs.values()),
                    "connection_errors": sum(r["connection_errors"] for r in runs.values()),
                    "healthz_max_s": max(r["healthz_max_s"] for r in runs.values()),
                    "slow_503": sum(r["slow_503"] for r in runs.values()),
                    "client_lag_max_s": max(r["client_lag_max_s"] for r in runs.values()),
                    "p99_ms": {name: r["p99_ms"] for name, r in runs.items()},
                    "rps": {name: r["rps"] for name, r in runs.items()},
                }
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # a server that deadlocked does not stop by itself
                process.kill()
                process.wait()
            errors = [line for line in (Path(tmp) / "serve.log").read_text().splitlines()
                      if "Error" in line or "Traceback" in line]
            for line in errors[-20:]:  # what the server said went wrong, before the directory goes
                print(f"server: {line}", file=sys.stderr)
    result = {
        "errors_5xx": sum(c["errors_5xx"] for c in by_count.values()),
        # of which fast overload answers (503 + Retry-After), the rest are failures
        "overload_503": sum(c["overload_503"] for c in by_count.values()),
        "slow_503": sum(c["slow_503"] for c in by_count.values()),
        "client_lag_max_s": max(c["client_lag_max_s"] for c in by_count.values()),
        "timeouts": sum(c["timeouts"] for c in by_count.values()),
        "connection_errors": sum(c["connection_errors"] for c in by_count.values()),
        "healthz_max_s": max(c["healthz_max_s"] for c in by_count.values()),
        "p99_ms": {e: max(c["p99_ms"][e] for c in by_count.values()) for e in endpoints},
        "join_signaling_mb": storm.summary()["join_signaling_mb"] if storm else None,
        "joins": storm.summary() if storm else None,
        "clients": by_count,
        "seconds": args.seconds,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
