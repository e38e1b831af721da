"""What archiving costs the SFU, beside what receiving the same speakers costs.

    python -m bench.capture [--speakers 8] [--window 8] [--rounds 12]

A room on one server gets S aiortc speakers on its stage (each sends a looped Ogg/Opus file's
packets and listens to nobody, so nothing is forwarded). The server then alternates: a window
with the archive as the SFU's packet sink (roomcast as it runs), a window receiving alone
(the sink switched off by a signal), in ABBA order so a slow drift of the machine falls on
both. The server's CPU time (user + system, /proc) per speaker-second is taken over each
window; a second of settling after each switch is not counted. Each speaker's segment carries
on across the windows switched off (see bench/_capture_app.py), so the figure is the steady
cost: a segment's opening and closing (about 1.5 ms, every five minutes) is not in it.

One process measuring both, window after window: between separate server processes the
machine's noise was larger than the difference being measured.

Last line: JSON with archive_overhead_ratio (extra CPU of archiving / CPU of receiving, from
the medians of the windows), paired_ratio_median (each archive window against the receiving
window beside it), receive_cpu_ms_per_speaker_s, archive_cpu_ms_per_speaker_s, archived_bytes,
segments (one per speaker when no window cost a segment).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.sfu import cpu_seconds, free_port, speech_file, wait_for


def speakers_process(ws_url: str, tokens: list[str], opus: str, pipe) -> None:  # noqa: ANN001
    asyncio.run(_speakers(ws_url, tokens, opus, pipe))


async def _speakers(ws_url: str, tokens: list[str], opus: str, pipe) -> None:  # noqa: ANN001
    from contrib.bot import Bot, OpusFile

    loop = asyncio.get_running_loop()
    bots = []
    for token in tokens:
        voice = OpusFile(opus, loop=True)
        bot = Bot(ws_url, token, voice=lambda voice=voice: voice, listen=False)
        await bot.join()
        await bot.negotiate()
        await bot.send("take_stage", consent=True)
        bots.append(bot)
    await asyncio.sleep(2)
    pipe.send("on stage")
    await loop.run_in_executor(None, pipe.recv)
    for bot in bots:
        await bot.close()
    pipe.send("done")


def window_order(rounds: int) -> list[bool]:
    """True: archiving. ABBA ABBA ...: each mode comes first as often as second."""
    pattern = [True, False, False, True]
    return [pattern[i % 4] for i in range(2 * rounds)]


def measure(directory: Path, opus: Path, speakers: int, window_s: float, rounds: int) -> dict:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")},
           "ROOMCAST_DATA_DIR": str(directory / "data"), "ROOMCAST_BASE_URL": f"http://127.0.0.1:{port}",
           "ROOMCAST_EMBEDDED_WORKER": "false", "ROOMCAST_MAX_STAGE": str(speakers)}
    cli = [sys.executable, "-m", "roomcast"]
    subprocess.run([*cli, "show", "create", "bench", "--title", "Bench"], env=env, check=True, capture_output=True)
    creator = subprocess.run([*cli, "token", "creator", "bench"], env=env, check=True, capture_output=True,
                             text=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "bench._capture_app", str(port)], env=env)
    context = mp.get_context("spawn")
    pipe, child = context.Pipe()
    bots = None
    windows: dict[bool, list[float]] = {True: [], False: []}
    paired: list[float] = []
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {creator}"}
        room = httpx.post(f"{base}/api/shows/bench/rooms", json={"title": "Bench"}, headers=headers).json()
        tokens = [httpx.post(f"{base}/api/rooms/{room['id']}/tokens", headers=headers,
                             json={"identity": f"s{i}", "name": f"S{i}", "role": "speaker"}).json()["token"]
                  for i in range(speakers)]
        bots = context.Process(target=speakers_process, args=(f"ws://127.0.0.1:{port}/rooms/{room['id']}/ws",
                                                              tokens, str(opus), child), daemon=True)
        bots.start()
        if not pipe.poll(120) or pipe.recv() != "on stage":
            raise TimeoutError("speakers did not get on stage")
        for index, archiving in enumerate(window_order(rounds)):
            server.send_signal(signal.SIGUSR1 if archiving else signal.SIGUSR2)
            time.sleep(1.0)  # settle: the last batch of the other mode is written
            cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
            time.sleep(window_s)
            cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
            cost = (cpu1 - cpu0) / (t1 - t0) / speakers * 1000
            windows[archiving].append(cost)
            print(json.dumps({"window": index, "archiving": archiving, "cpu_ms_per_speaker_s": round(cost, 3)}),
                  flush=True)
            if index % 2 == 1:  # the pair just finished: archive against receive, side by side
                archive_ms, receive_ms = (windows[True][-1], windows[False][-1])
                paired.append(archive_ms / receive_ms - 1)
        pipe.send("stop")
        pipe.poll(30)
        segments = list((directory / "data" / "media").rglob("*.opus"))
        return {"windows": windows, "paired": paired, "segments": len(segments),
                "archived_bytes": sum(path.stat().st_size for path in segments)}
    finally:
        if bots is not None:
            bots.join(10)
            if bots.is_alive():
                bots.kill()
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", type=int, default=8)
    parser.add_argument("--window", type=float, default=8.0, help="seconds per measured window")
    parser.add_argument("--rounds", type=int, default=12, help="pairs of windows (one archiving, one not)")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    try:
        result = measure(directory, speech_file(directory), args.speakers, args.window, args.rounds)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    receive_ms = statistics.median(result["windows"][False])
    archive_ms = statistics.median(result["windows"][True])
    print(json.dumps({
        "archive_overhead_ratio": round((archive_ms - receive_ms) / receive_ms, 4),
        "paired_ratio_median": round(statistics.median(result["paired"]), 4),
        "receive_cpu_ms_per_speaker_s": round(receive_ms, 3), "archive_cpu_ms_per_speaker_s": round(archive_ms, 3),
        "speakers": args.speakers, "window_s": args.window, "rounds": args.rounds,
        "archived_bytes": result["archived_bytes"], "segments": result["segments"],
    }))


if __name__ == "__main__":
    main()
