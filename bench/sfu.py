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
packets), and listeners arrive in steps (20, 60, 100) then leave in the same steps (60, 20), each
step measured the same way (up and down, a change of the room's cost over time is not read as the
listeners'); the slope is the cost per listener with S on the stage (``cpu_ms_per_listener_s_S``), and
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
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._crowds import LISTENER_PROCESSES, crowd_files, measure_stage, measure_storm
from bench._sfu_rig import Bots, RelayServer, RoomcastServer, cpu_point, cpu_windows, free_port, heard_counts, slope_ms
from bench._sfu_rig import cpu_seconds, wait_for  # noqa: F401 - bench.stream and bench.capture take them from here


def speech_file(directory: Path) -> Path:
    wav, opus = directory / "speech.wav", directory / "speech.opus"
    subprocess.run(["espeak-ng", "-w", str(wav), "One speaker talks to a room full of listeners. " * 6], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", "-frame_duration", "20", "-vbr", "off", str(opus)], check=True)
    return opus


# --- one measurement -------------------------------------------------------------------------
def measure(server_class, listeners: int, seconds: float, opus: Path, directory: Path, repeats: int = 1) -> dict:  # noqa: ANN001
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
        sent0, heard0 = speaker.ask("count"), heard_counts(groups[:-1])
        windows = cpu_windows(server.process.pid, seconds, repeats)
        sent1, heard1 = speaker.ask("count"), heard_counts(groups[:-1])
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
            ours.append(measure(RoomcastServer, n, args.seconds, opus, directory, args.repeats))
            print(json.dumps({"roomcast": ours[-1]}), flush=True)
        for n in map(int, args.anchor_listeners.split(",") if "anchor" in parts else []):
            point = measure(RelayServer, n, args.seconds, opus, directory, args.repeats)
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
