"""The SFU's CPU cost per listener, beside aiortc's default MediaRelay path; crowded stages; a join storm.

    python -m bench.sfu [--listeners 1,10,50,100] [--anchor-listeners 1,5,10,20] [--seconds 10] [--repeats 3]
                        [--stages 12,50] [--stage-listeners 20,60,100] [--storm 500] [--storm-spread 60]
                        [--parts speaker,anchor,stages,storm] [--keep]

For each N, a room on a fresh ``roomcast serve`` gets one speaker and N listeners, all aiortc
bots in processes of their own (the speaker sends a looped Ogg/Opus file's packets, so it
encodes nothing; the listeners count packets without decoding). Once every listener hears
the speaker, the server's CPU time (user + system, from /proc) is taken over ``--repeats``
windows of ``--seconds`` each. The marginal cost per listener is the Theil-Sen slope through
every (N, CPU seconds per second) window: the median of the slopes between windows, which one
window disturbed by the rest of a shared machine hardly moves. Each point keeps its windows,
their median and the CPU seconds they took. Join to first audio is timed for five people who
arrive one by one after the windows, in the loaded room. The anchor runs the same bots against
bench._relay_sfu (MediaRelay, one encoder per listener) and stops at the N where it collapses
(delivery under 90 %).

Crowded stages (bench._stage_bots): for each stage size S, S bots on the stage take turns
as people do (one at a time, every fifth turn two at once; the others send a quiet room's
packets), and listeners are added in steps (20, 60, 100), each measured the same way; the
slope is the cost per listener with S on the stage (``cpu_ms_per_listener_s_S``), and
``cost_ratio_S`` its ratio to the one-speaker figure. Three probe listeners time what they
receive: from a bot's first packet of an utterance to its arrival (``speaker_switch_p95_ms``) and
the share of the packets that must be forwarded (audible, from the onset that claims a slot)
that arrived. The join storm: one speaker talking without pause (loud pink noise), three probes,
then ``--storm`` listeners arriving evenly over ``--storm-spread`` seconds; the longest pause at a
probe meanwhile is ``join_storm_max_gap_ms``. Each joiner is counted once by how its arrival
ended (``outcomes``: on WebRTC, on the HTTP stream, refused with a code, or failed at a phase).
The crowd runs at a lower priority (nice 10): it stands in for people on machines of their own,
and on two shared cores its bots would otherwise take the time of the server being measured.

Last line: JSON with cpu_ms_per_listener_s, anchor_cpu_ms_per_listener_s, delivery_min,
join_to_audio_p50_s, cpu_ms_per_listener_s_12, cpu_ms_per_listener_s_50, cost_ratio_12,
cost_ratio_50, speaker_switch_p95_ms, join_storm_max_gap_ms, storm_admitted, and the points
behind them.
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
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from scipy.stats import theilslopes

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LISTENER_PROCESSES = 4
LATE_JOINERS = 5  # after the window, people arrive one by one in the loaded room: join to first audio


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def speech_file(directory: Path) -> Path:
    wav, opus = directory / "speech.wav", directory / "speech.opus"
    subprocess.run(["espeak-ng", "-w", str(wav), "One speaker talks to a room full of listeners. " * 6], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", "-frame_duration", "20", "-vbr", "off", str(opus)], check=True)
    return opus


# --- bot processes ---------------------------------------------------------------------------
def bot_process(role: str, ws_url: str, tokens: list[str], opus: str, batch: int, pipe) -> None:  # noqa: ANN001
    """Runs bots until told to stop; answers "count" with packets sent or heard so far."""
    asyncio.run(_bots(role, ws_url, tokens, opus, pipe, batch))


async def _bots(role: str, ws_url: str, tokens: list[str], opus: str, pipe, batch: int) -> None:  # noqa: ANN001
    from live.bot import Bot, OpusFile

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


# --- one measurement -------------------------------------------------------------------------
def measure(server_class, listeners: int, seconds: float, repeats: int, opus: Path, directory: Path) -> dict:  # noqa: ANN001
    server = server_class(directory / f"{server_class.name}-{listeners}", free_port())
    groups: list[Bots] = []
    try:
        ws_url, speaker_tokens, listener_tokens, late_tokens = server.room(listeners)
        speaker = Bots("speaker", ws_url, speaker_tokens, opus)  # talking before the audience arrives
        speaker.wait_joined()
        processes = min(LISTENER_PROCESSES, listeners)
        groups = [Bots("listener", ws_url, listener_tokens[i::processes], opus) for i in range(processes)]
        for group in groups:
            group.wait_joined()
        groups.append(speaker)
        time.sleep(3)  # everyone connected and hearing; start of the windows
        sent0, heard0 = speaker.ask("count"), _heard(groups[:-1])
        windows = cpu_windows(server.process.pid, seconds, repeats)
        sent1, heard1 = speaker.ask("count"), _heard(groups[:-1])
        sent = max(sent1 - sent0, 1)
        delivery = [min((b - a) / sent, 1.0) for a, b in zip(heard0, heard1, strict=True)]
        late = Bots("listener", ws_url, late_tokens, opus, batch=1)
        groups.append(late)
        late.wait_joined()
        joins = late.ask("join_times")
        return {"listeners": listeners, **cpu_point(windows, seconds), "delivery_min": min(delivery),
                "join_to_audio_p50_s": statistics.median(joins) if joins else None, "packets_sent": sent}
    finally:
        for group in groups:
            try:
                group.stop()
            except Exception:  # a collapsed anchor may not answer; it is killed
                group.process.kill()
        server.stop()


# --- crowded stages and a join storm --------------------------------------------------------
class Group(Bots):
    """A process of bench._stage_bots bots: a stage taking turns, probes, or a storm."""

    def __init__(self, role: str, ws_url: str, tokens: list[str], files: dict, spread_s: float = 0.0) -> None:
        from bench._stage_bots import group_process

        self._spawn(group_process, role, ws_url, tokens, files, spread_s)


def crowd_files(directory: Path) -> dict:
    """Two sentences (no leading silence), a quiet room's packets, and a talker who never pauses."""
    files: dict = {"speech": []}
    for name, text in (("a", "We should talk about the river, and the bridge they want to build across it. "),
                       ("b", "I think the town needs it, but the cost is more than anyone has said so far. ")):
        wav, opus = directory / f"{name}.wav", directory / f"{name}.opus"
        subprocess.run(["espeak-ng", "-w", str(wav), text * 2], check=True)
        _opus(["-i", str(wav), "-af", "silenceremove=start_periods=1:start_threshold=-50dB"], opus)
        files["speech"].append(str(opus))
    for name, amplitude in (("quiet", 0.0003), ("loud", 0.05)):
        _opus(["-f", "lavfi", "-i", f"anoisesrc=a={amplitude}:c=pink:r=48000:s=7", "-t", "10"], directory / f"{name}.opus")
        files[name] = str(directory / f"{name}.opus")
    return files


def _opus(source: list[str], opus: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *source, "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", "-frame_duration", "20", str(opus)], check=True)


def measure_stage(size: int, steps: list[int], seconds: float, repeats: int, files: dict, directory: Path) -> dict:
    """S on a stage taking turns: CPU slope per listener between two audience sizes, switches, delivery."""
    from bench import _stage_figures as figures
    from live.bot_voices import opus_packets

    server = RoomcastServer(directory / f"stage-{size}", free_port())
    groups: list[Group] = []
    try:
        ws_url, *_ = server.room(0, max_stage=size)
        stage = Group("stage", ws_url, server.tokens("s", size, "speaker"), files)
        groups.append(stage)
        stage.wait_joined(600)
        probes = Group("probe", ws_url, server.tokens("probe", 3), files)
        groups.append(probes)
        probes.wait_joined()
        stage.ask("turns")
        points, added = [], 3
        for step in steps:
            tokens = server.tokens(f"l{step}-", step - added)
            for index in range(LISTENER_PROCESSES):
                groups.append(Group("listen", ws_url, tokens[index::LISTENER_PROCESSES], files))
                groups[-1].wait_joined(600)
            added = step
            time.sleep(3)
            points.append({"listeners": step, **cpu_point(cpu_windows(server.process.pid, seconds, repeats), seconds)})
        finished_by = time.monotonic() - figures.TAIL_S  # an utterance still going would count as lost
        utterances = [u for u in stage.ask("utterances") if u[2] + u[3] * 0.02 < finished_by]
        arrivals = probes.ask("arrivals")
        sentences = [opus_packets(path) for path in files["speech"]]
        maps = figures.index_maps(sentences)
        latencies = figures.switch_latencies_ms(utterances, arrivals, maps)
        delivered = figures.delivery(utterances, arrivals, sentences, maps)
        return {"stage": size, "points": points, "cpu_ms_per_listener_s": round(slope_ms(points), 3),
                "utterances": len(utterances), "speaker_switch_p50_ms": round(statistics.median(latencies), 1),
                "speaker_switch_p95_ms": round(figures.p95(latencies), 1), "delivery_min": round(min(delivered), 4)}
    finally:
        _stop_all(groups)
        server.stop()


def measure_storm(joiners: int, spread_s: float, files: dict, directory: Path) -> dict:
    """One talker, three probes, then ``joiners`` arriving over ``spread_s``: the longest pause at a probe."""
    from bench import _stage_figures as figures

    server = RoomcastServer(directory / "storm", free_port())
    groups: list[Bots | Group] = []
    try:
        ws_url, speaker_tokens, _, _ = server.room(0)
        speaker = Bots("speaker", ws_url, speaker_tokens, Path(files["loud"]))
        groups.append(speaker)
        speaker.wait_joined()
        probes = Group("probe", ws_url, server.tokens("probe", 3), files)
        groups.append(probes)
        probes.wait_joined()
        tokens = server.tokens("crowd", joiners)
        storm = [Group("storm", ws_url, tokens[i::LISTENER_PROCESSES], files, spread_s) for i in range(LISTENER_PROCESSES)]
        groups += storm
        for group in storm:
            if not group.pipe.poll(120) or group.pipe.recv() != "ready":
                raise TimeoutError("storm bots did not start")
        time.sleep(3)
        sent0, start, cpu0 = speaker.ask("count"), time.monotonic(), cpu_seconds(server.process.pid)
        for group in storm:
            group.pipe.send("go")
        for group in storm:
            group.wait_joined(spread_s + 300)
        end, cpu1 = time.monotonic(), cpu_seconds(server.process.pid)
        sent = speaker.ask("count") - sent0
        admitted = [group.ask("admitted") for group in storm]
        arrivals = probes.ask("arrivals")
        heard = [sum(1 for slot in probe.values() for at, _ in slot if start <= at < end) for probe in arrivals]
        outcomes = sum((Counter(a["outcomes"]) for a in admitted), Counter())
        welcome_s = sorted(s for a in admitted for s in a["welcome_s"])
        return {"joiners": joiners, "spread_s": spread_s, "join_s": round(end - start, 1),
                "admitted": sum(a["welcome"] for a in admitted), "webrtc": outcomes["webrtc"],
                "outcomes": dict(outcomes), "accounted": sum(outcomes.values()),  # every joiner once
                "welcome_p50_s": round(statistics.median(welcome_s), 3) if welcome_s else None,
                "welcome_max_s": round(welcome_s[-1], 3) if welcome_s else None,
                "server_cpu_s": round(cpu1 - cpu0, 1),
                "max_gap_ms": round(max(figures.longest_gap_ms(probe, start, end) for probe in arrivals), 1),
                "gaps_over_60ms": [sum(g > 60 for g in figures.gaps_ms(probe, start, end)) for probe in arrivals],
                "delivery_min": round(min(min(h / max(sent, 1), 1.0) for h in heard), 4)}
    finally:
        _stop_all(groups)
        server.stop()


def _stop_all(groups: list[Bots]) -> None:
    for group in groups:
        try:
            group.stop()
        except Exception:  # a group that stopped answering is killed
            group.process.kill()


def _heard(groups: list[Bots]) -> list[int]:
    return [count for group in groups for count in group.ask("count")]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", default="1,10,50,100")
    parser.add_argument("--anchor-listeners", default="1,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0, help="one CPU window")
    parser.add_argument("--repeats", type=int, default=3, help="CPU windows per audience size (their median)")
    parser.add_argument("--stages", default="12,50", help="stage sizes for the crowded-room figures")
    parser.add_argument("--stage-listeners", default="20,60,100", help="audience sizes of each crowded room (fitted)")
    parser.add_argument("--storm", type=int, default=500, help="listeners in the join storm (0: none)")
    parser.add_argument("--storm-spread", type=float, default=60.0, help="seconds over which they arrive")
    parser.add_argument("--keep", action="store_true", help="keep the servers' data and logs (printed at the end)")
    parser.add_argument("--parts", default="speaker,anchor,stages,storm",
                        help="which measurements to run (comma-separated; all by default)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    directory = Path(tempfile.mkdtemp(prefix="bench-sfu-"))
    try:
        opus = speech_file(directory)
        ours, anchor, stages, storm = [], [], {}, None
        for n in map(int, args.listeners.split(",") if "speaker" in parts else []):
            ours.append(measure(RoomcastServer, n, args.seconds, args.repeats, opus, directory))
            print(json.dumps({"roomcast": ours[-1]}), flush=True)
        for n in map(int, args.anchor_listeners.split(",") if "anchor" in parts else []):
            point = measure(RelayServer, n, args.seconds, args.repeats, opus, directory)
            print(json.dumps({"mediarelay": point}), flush=True)
            if point["delivery_min"] < 0.9:
                break  # collapsed: later points would only measure the collapse
            anchor.append(point)
        files = crowd_files(directory)
        for size in map(int, args.stages.split(",") if "stages" in parts else []):
            stages[size] = measure_stage(size, list(map(int, args.stage_listeners.split(","))), args.seconds,
                                         args.repeats, files, directory)
            print(json.dumps({"stage": stages[size]}), flush=True)
        if args.storm and "storm" in parts:
            storm = measure_storm(args.storm, args.storm_spread, files, directory)
            print(json.dumps({"storm": storm}), flush=True)
    finally:
        if args.keep:
            print(f"kept {directory}", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    joins = [p["join_to_audio_p50_s"] for p in ours if p["join_to_audio_p50_s"] is not None]  # per N, then the median
    crowded_delivery = [point["delivery_min"] for point in [*stages.values(), *([storm] if storm else [])]]
    print(json.dumps({
        **{f"cpu_ms_per_listener_s_{size}": point["cpu_ms_per_listener_s"] for size, point in stages.items()},
        **{f"cost_ratio_{size}": round(point["cpu_ms_per_listener_s"] / slope_ms(ours), 2)  # target <= 1.5
           for size, point in stages.items() if slope_ms(ours)},
        "speaker_switch_p95_ms": max((p["speaker_switch_p95_ms"] for p in stages.values()), default=None),
        "join_storm_max_gap_ms": storm["max_gap_ms"] if storm else None,
        "storm_admitted": storm["admitted"] if storm else None,
        "cpu_ms_per_listener_s": round(slope_ms(ours), 3) if slope_ms(ours) is not None else None,
        "anchor_cpu_ms_per_listener_s": round(slope_ms(anchor), 3) if slope_ms(anchor) is not None else None,
        "delivery_min": round(min([p["delivery_min"] for p in ours] + crowded_delivery, default=float("nan")), 4),
        "join_to_audio_p50_s": round(statistics.median(joins), 3) if joins else None,
        "points": ours, "anchor_points": anchor, "stages": stages, "storm": storm, "cpu_cores": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
