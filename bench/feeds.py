"""Feed revalidation under load, against a static file of the same size from the same app.

    python -m bench.feeds [--episodes 500] [--clients 200] [--seconds 30] [--rounds 1]

A show with N published episodes is generated; wrk (Debian package `wrk`) keeps C
connections revalidating the feed (If-None-Match, answered 304) for the given time, then
does the same to a static copy of the feed served by the same app's StaticFiles. Rounds
alternate feed and static; medians are reported, with the server's CPU time per request.
Last line: JSON with rps, static_rps, ratio, p99_ms (and more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx


def generate_show(episodes: int) -> None:
    from roomcast.db import migrate, session_scope
    from roomcast.models import Episode, EpisodeStatus, Participant, Role, Room, RoomStatus, Show, utcnow

    migrate()
    now = utcnow()
    with session_scope() as session:
        show = Show(slug="bench", title="Benchmark show", author="Bench Host", description="A show with many episodes.",
                    owner_name="Bench Host", owner_email="host@example.org", feed_version=1)
        session.add(show)
        for number in range(episodes):
            room = Room(show=show, title=f"Room {number}", status=RoomStatus.ended, ended_at=now)
            room.participants = [Participant(identity="h", display_name="Bench Host", role=Role.host),
                                 Participant(identity="g", display_name=f"Guest {number}", role=Role.speaker)]
            session.add(Episode(
                show=show, room=room, title=f"Episode {number}: a conversation about things",
                description="Show notes " * 20, status=EpisodeStatus.published,
                published_at=now - timedelta(days=episodes - number), audio_key=f"episodes/{number + 1}/audio.mp3",
                audio_mime="audio/mpeg", audio_bytes=40_000_000 + number, duration_s=3600.0 + number,
                transcript_keys={ext: f"episodes/{number + 1}/transcript.{ext}" for ext in ("vtt", "srt", "json", "txt")},
                chapters_key=f"episodes/{number + 1}/chapters.json",
            ))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_for_feed(url: str, server: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(url, timeout=30).raise_for_status()
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("the benchmark's server did not start")


def wrk(url: str, etag: str, clients: int, seconds: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "-H", f"If-None-Match: {etag}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "requests": requests, "p99_ms": float(p99.group(1)) * scale,
            "bad_responses": int(non_2xx.group(1)) if non_2xx else 0, "socket_errors": errors.group(1) if errors else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench.feeds needs wrk: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="roomcast-bench-feeds-"))
    env = {**os.environ, "ROOMCAST_DATA_DIR": str(work / "data"), "ROOMCAST_EMBEDDED_WORKER": "false",
           "BENCH_STATIC_DIR": str(work / "static")}
    os.environ.update(env)
    generate_show(args.episodes)
    (work / "static").mkdir()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench._feeds_app", str(port)], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        feed = wait_for_feed(f"{base}/shows/bench/feed.xml", server)
        (work / "static" / "feed-copy.xml").write_bytes(feed.content)  # same size, same bytes
        static = httpx.get(f"{base}/bench-static/feed-copy.xml")
        assert httpx.get(f"{base}/shows/bench/feed.xml", headers={"If-None-Match": feed.headers["etag"]}).status_code == 304
        assert httpx.get(f"{base}/bench-static/feed-copy.xml", headers={"If-None-Match": static.headers["etag"]}).status_code == 304

        runs: dict[str, list[dict]] = {"feed": [], "static": []}
        targets = {"feed": (f"{base}/shows/bench/feed.xml", feed.headers["etag"]),
                   "static": (f"{base}/bench-static/feed-copy.xml", static.headers["etag"])}
        for _ in range(args.rounds):
            for name, (url, etag) in targets.items():
                before = cpu_seconds(server.pid)
                result = wrk(url, etag, args.clients, args.seconds)
                result["server_cpu_us_per_request"] = 1e6 * (cpu_seconds(server.pid) - before) / max(1, result["requests"])
                runs[name].append(result)
                print(f"{name:6s} {json.dumps(result)}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)

    def median(name: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[name]), 3)

    figures = {
        "episodes": args.episodes, "clients": args.clients, "seconds": args.seconds, "rounds": args.rounds,
        "feed_bytes": len(feed.content),
        "rps": median("feed", "rps"), "static_rps": median("static", "rps"),
        "ratio": round(median("feed", "rps") / median("static", "rps"), 3),
        "p99_ms": median("feed", "p99_ms"), "static_p99_ms": median("static", "p99_ms"),
        "cpu_us_per_request": median("feed", "server_cpu_us_per_request"),
        "static_cpu_us_per_request": median("static", "server_cpu_us_per_request"),
        "bad_responses": sum(r["bad_responses"] for rs in runs.values() for r in rs),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
