"""What archiving costs the SFU, beside what receiving the same speakers costs.

    python -m bench.capture [--speakers 8] [--seconds 20] [--rounds 3]

A room on a fresh server gets S aiortc speakers on its stage (each sends a looped Ogg/Opus
file's packets and listens to nobody, so nothing is forwarded). The server's CPU time (user +
system, /proc) over the window, per speaker-second, is taken twice in each round: with the
archive as the SFU's packet sink (roomcast as it runs) and with no sink (receiving alone).
Rounds alternate the two; medians are reported.

The difference is small against the machine's noise between server runs: the paired ratios
of each round are reported beside the ratio of the medians.

Last line: JSON with archive_overhead_ratio (extra CPU of archiving / CPU of receiving, from
the medians), paired_ratio_median and paired_ratio_mean,
receive_cpu_ms_per_speaker_s, archive_cpu_ms_per_speaker_s, archived_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
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
    from live.bot import Bot, OpusFile

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


def measure(directory: Path, opus: Path, speakers: int, seconds: float, receive_only: bool) -> dict:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")},
           "ROOMCAST_DATA_DIR": str(directory / "data"), "ROOMCAST_BASE_URL": f"http://127.0.0.1:{port}",
           "ROOMCAST_EMBEDDED_WORKER": "false", "ROOMCAST_MAX_STAGE": str(speakers)}
    cli = [sys.executable, "-m", "roomcast"]
    subprocess.run([*cli, "show", "create", "bench", "--title", "Bench"], env=env, check=True, capture_output=True)
    creator = subprocess.run([*cli, "token", "creator", "bench"], env=env, check=True, capture_output=True,
                             text=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "bench._capture_app", str(port),
                               *(["--receive-only"] if receive_only else [])], env=env)
    context = mp.get_context("spawn")
    pipe, child = context.Pipe()
    bots = None
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
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
        pipe.send("stop")
        pipe.poll(30)
        archived = sum(path.stat().st_size for path in (directory / "data" / "media").rglob("*.opus"))
        return {"cpu_ms_per_speaker_s": (cpu1 - cpu0) / (t1 - t0) / speakers * 1000, "archived_bytes": archived}
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
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    receive, archive, archived = [], [], []
    try:
        opus = speech_file(directory)
        for round_number in range(args.rounds):
            for receive_only in ((True, False) if round_number % 2 == 0 else (False, True)):
                run_dir = directory / f"r{round_number}-{'receive' if receive_only else 'archive'}"
                point = measure(run_dir, opus, args.speakers, args.seconds, receive_only)
                (receive if receive_only else archive).append(point["cpu_ms_per_speaker_s"])
                if not receive_only:
                    archived.append(point["archived_bytes"])
                print(json.dumps({"receive_only": receive_only, **point}), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    receive_ms, archive_ms = statistics.median(receive), statistics.median(archive)
    paired = [a / r - 1 for a, r in zip(archive, receive, strict=True)]  # each round's two runs, side by side
    print(json.dumps({
        "archive_overhead_ratio": round((archive_ms - receive_ms) / receive_ms, 4),
        "paired_ratio_median": round(statistics.median(paired), 4), "paired_ratio_mean": round(statistics.fmean(paired), 4),
        "receive_cpu_ms_per_speaker_s": round(receive_ms, 3), "archive_cpu_ms_per_speaker_s": round(archive_ms, 3),
        "speakers": args.speakers, "seconds": args.seconds, "rounds": args.rounds,
        "archived_bytes_median": statistics.median(archived),
    }))


if __name__ == "__main__":
    main()
