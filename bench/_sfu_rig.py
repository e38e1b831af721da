"""bench.sfu's rig: servers to measure, aiortc bots in processes of their own, and the CPU they cost.

``RoomcastServer`` is ``roomcast serve`` on a data directory of its own, with a show and its
creator token; ``RelayServer`` the anchor (bench._relay_sfu, aiortc's MediaRelay). ``Bots`` run
in a process each and answer commands on a pipe. The server's CPU (user + system, from /proc)
is taken over back-to-back windows; the cost per listener is the Theil-Sen slope through them.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from scipy.stats import theilslopes

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LATE_JOINERS = 5  # after the windows, people arrive one by one in the loaded room: join to first audio


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_windows(pid: int, seconds: float, repeats: int) -> list[float]:
    """The server's CPU (user + system) per wall second over ``repeats`` back-to-back windows."""
    windows = []
    for _ in range(repeats):
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        windows.append((cpu_seconds(pid) - cpu0) / (time.monotonic() - t0))
    return windows


def cpu_point(windows: list[float], seconds: float) -> dict:
    """One audience size: its windows, their median, and the CPU seconds they took."""
    return {"cpu_s_per_s": statistics.median(windows), "windows": [round(w, 4) for w in windows],
            "cpu_s": round(sum(windows) * seconds, 2)}


def slope_ms(points: list[dict]) -> float | None:
    """CPU milliseconds per listener-second: the Theil-Sen slope (the median of the slopes between
    every two windows at different audience sizes), so one window disturbed by the rest of the
    machine moves it little, where a least-squares line through two or three points followed it."""
    pairs = [(p["listeners"], w) for p in points for w in p.get("windows", [p["cpu_s_per_s"]])]
    if len({x for x, _ in pairs}) < 2:
        return None
    xs, ys = np.array([x for x, _ in pairs], dtype=float), np.array([y for _, y in pairs])
    return float(theilslopes(ys, xs)[0] * 1000)


# --- bot processes ---------------------------------------------------------------------------
def bot_process(role: str, ws_url: str, tokens: list[str], opus: str, batch: int, pipe) -> None:  # noqa: ANN001
    """Runs bots until told to stop; answers "count" with packets sent or heard so far."""
    asyncio.run(_bots(role, ws_url, tokens, opus, pipe, batch))


async def _bots(role: str, ws_url: str, tokens: list[str], opus: str, pipe, batch: int) -> None:  # noqa: ANN001
    from contrib.bot import Bot, OpusFile

    loop = asyncio.get_running_loop()
    voice = OpusFile(opus, loop=True)
    bots = [Bot(ws_url, token, voice=lambda: voice) for token in tokens]
    joined_at: dict[int, float] = {}

    async def start(index: int, bot: Bot) -> None:
        joined_at[index] = time.monotonic()
        await bot.join()
        await bot.negotiate(publish=role == "speaker")
        if role == "speaker":
            await bot.send("take_stage", consent=True)

    for first in range(0, len(bots), batch):  # a few at a time, as people arrive
        await asyncio.gather(*(start(i, bot) for i, bot in enumerate(bots) if first <= i < first + batch))
        if batch == 1:
            await asyncio.sleep(1.0)  # one by one: each hears the room before the next arrives
    pipe.send("joined")
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "count":
            pipe.send(len(voice.packets) if role == "speaker" else [bot.packets_heard for bot in bots])
        elif command == "join_times":
            pipe.send([bot.first_packet_at - joined_at[i] for i, bot in enumerate(bots) if bot.first_packet_at])
        elif command == "stop":
            for bot in bots:
                await bot.close()
            pipe.send("stopped")
            return


class Bots:
    def __init__(self, role: str, ws_url: str, tokens: list[str], opus: Path, batch: int = 10) -> None:
        self._spawn(bot_process, role, ws_url, tokens, str(opus), batch)

    def _spawn(self, target, *args) -> None:  # noqa: ANN001, ANN002
        """``target(*args, pipe)`` in a process of its own, answering on ``self.pipe``."""
        context = mp.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=target, args=(*args, child), daemon=True)
        self.process.start()

    def ask(self, command: str, timeout: float = 120):  # noqa: ANN201
        self.pipe.send(command)
        if not self.pipe.poll(timeout):
            raise TimeoutError(f"bots did not answer {command!r}")
        return self.pipe.recv()

    def wait_joined(self, timeout: float = 300) -> None:
        if not self.pipe.poll(timeout) or self.pipe.recv() != "joined":
            raise TimeoutError("bots did not join")

    def stop(self) -> None:
        try:
            self.ask("stop", timeout=30)
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()


# --- servers ---------------------------------------------------------------------------------
class RoomcastServer:
    name = "roomcast"

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")},
                    "ROOMCAST_DATA_DIR": str(directory / "data"), "ROOMCAST_BASE_URL": f"http://127.0.0.1:{port}",
                    "ROOMCAST_EMBEDDED_WORKER": "false", "ROOMCAST_MAX_STAGE": "1",
                    "ROOMCAST_MAX_STREAMS_PER_ADDRESS": "100000"}  # bench.stream: thousands from loopback
        cli = [sys.executable, "-m", "roomcast"]
        self._run([*cli, "show", "create", "bench", "--title", "Bench"])
        self.creator = self._run([*cli, "token", "creator", "bench"]).strip()
        with open(directory / "server.log", "wb") as log:  # beside its data: read it when a figure is off
            self.process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{port}/healthz")

    def _run(self, command: list[str]) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command[2:])} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def room(self, listeners: int, **fields) -> tuple[str, list[str], list[str], list[str]]:  # noqa: ANN003
        headers = {"Authorization": f"Bearer {self.creator}"}
        base = f"http://127.0.0.1:{self.port}"
        room = httpx.post(f"{base}/api/shows/bench/rooms", json={"title": "Bench", **fields}, headers=headers).json()
        self.room_id = room["id"]
        mint = lambda identity, role: httpx.post(  # noqa: E731
            f"{base}/api/rooms/{room['id']}/tokens", json={"identity": identity, "name": identity, "role": role},
            headers=headers).json()["token"]
        speaker = [mint("speaker", "speaker")]
        late = [mint(f"late{i}", "listener") for i in range(LATE_JOINERS)]
        return (f"ws://127.0.0.1:{self.port}/rooms/{room['id']}/ws", speaker,
                [mint(f"l{i}", "listener") for i in range(listeners)], late)

    def tokens(self, prefix: str, count: int, role: str = "listener") -> list[str]:
        headers = {"Authorization": f"Bearer {self.creator}"}
        url = f"http://127.0.0.1:{self.port}/api/rooms/{self.room_id}/tokens"
        with httpx.Client(headers=headers, timeout=30) as client:
            return [client.post(url, json={"identity": f"{prefix}{i}", "name": f"{prefix}{i}", "role": role,
                                           "hours": 2}).json()["token"] for i in range(count)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class RelayServer(RoomcastServer):
    name = "mediarelay"

    def __init__(self, directory: Path, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen([sys.executable, "-m", "bench._relay_sfu", str(port)])
        wait_for(f"http://127.0.0.1:{port}/docs")

    def room(self, listeners: int) -> tuple[str, list[str], list[str], list[str]]:
        return f"ws://127.0.0.1:{self.port}/rooms/1/ws", ["-"], ["-"] * listeners, ["-"] * LATE_JOINERS


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_all(groups: list[Bots]) -> None:
    for group in groups:
        try:
            group.stop()
        except Exception:  # a group that stopped answering is killed
            group.process.kill()


def heard_counts(groups: list[Bots]) -> list[int]:
    return [count for group in groups for count in group.ask("count")]
