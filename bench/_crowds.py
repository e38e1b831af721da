"""bench.sfu's crowded rooms: stages of S taking turns with listeners arriving and leaving in steps, and a join storm.

The bots are bench._stage_bots (a process per group); the figures come from bench._stage_figures.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench._sfu_rig import Bots, RoomcastServer, cpu_point, cpu_seconds, cpu_windows, free_port, slope_ms, stop_all

LISTENER_PROCESSES = 4


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
    """S on a stage taking turns: CPU slope per listener through audience sizes up and back down, switches, delivery."""
    from bench import _stage_figures as figures
    from contrib.bot_voices import opus_packets

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
        points, added, arrived = [], 3, []  # arrived: the listener groups of each step, in order
        for step in steps:
            tokens = server.tokens(f"l{step}-", step - added)
            arrived.append([Group("listen", ws_url, tokens[i::LISTENER_PROCESSES], files)
                            for i in range(LISTENER_PROCESSES)])
            groups += arrived[-1]
            for group in arrived[-1]:
                group.wait_joined(600)
            added = step
            time.sleep(3)
            points.append({"listeners": step, **cpu_point(cpu_windows(server.process.pid, seconds, repeats), seconds)})
        # Then they leave in the same steps. A room's CPU also moves with time (the rest of the
        # machine's load; the stage's own cost, 0.3 of a core with 50 on it, moved 0.30 -> 0.40
        # in three minutes with no listener added): going up only, any such change was read as
        # the listeners' cost. Up and down, the slopes between windows it inflates on the way up
        # it deflates on the way down, and their median stays with the listeners.
        for step in reversed(steps[:-1]):
            leaving = arrived.pop()
            stop_all(leaving)
            groups = [group for group in groups if group not in leaving]
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
        stop_all(groups)
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
        stop_all(groups)
        server.stop()
