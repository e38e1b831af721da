"""Levelling, mixing and mastering a four-speaker room, against FFmpeg's usual recipe.

    python -m bench.mix [--minutes 20] [--speakers 4] [--formats mp3] [--rounds 1]

Generates speakers taking turns (espeak-ng, Ogg/Opus as capture stores them, each at its
own level), then, in the same run, renders the episode with roomcast and with the anchor:
ffmpeg's adelay + amix + two-pass loudnorm + libmp3lame. Each runs as its own process;
CPU (user + system, children included) and peak RSS come from wait4. Loudness and true
peak of every output file are measured by FFmpeg's ebur128 filter, a meter roomcast does
not use. Last line: JSON with cpu_s_per_min, anchor_cpu_s_per_min, ratio, lufs,
true_peak_dbtp, peak_rss_mb_per_min (and more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench._speech import generate_room


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """CPU seconds (wait4: user + system) and peak RSS in MB (VmHWM, polled) of a command.

    ru_maxrss is not used: it keeps the RSS the child had before exec, that is this
    benchmark's own, which holds the generated audio.
    """
    with tempfile.TemporaryFile("w+") as output_file:
        process = subprocess.Popen(command, stdout=output_file, stderr=subprocess.STDOUT, text=True)
        peak_kb = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak_kb[0] = max(peak_kb[0], _hwm_kb(process.pid))
                done.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        done.set()
        watcher.join()
        output_file.seek(0)
        output = output_file.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed:\n{output[-3000:]}")
    return usage.ru_utime + usage.ru_stime, peak_kb[0] / 1024, output


def _hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def ebur128(path: Path) -> tuple[float, float]:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
                            capture_output=True, text=True, check=True).stderr
    summary = result[result.rindex("Summary:"):]
    return float(summary.split("I:")[1].split("LUFS")[0]), float(summary.split("Peak:")[1].split("dBFS")[0])


def anchor(tracks: list[Path], out: Path) -> tuple[float, float]:
    """FFmpeg's recipe: two loudnorm passes, the second with the first's measurements."""
    inputs = [arg for t in tracks for arg in ("-i", str(t))]
    mix = "".join(f"[{n}]adelay=0:all=1[a{n}];" for n in range(len(tracks)))
    mix += "".join(f"[a{n}]" for n in range(len(tracks))) + f"amix=inputs={len(tracks)}"
    first = "loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json"
    cpu1, rss1, output = run_measured(["ffmpeg", "-hide_banner", "-nostats", *inputs, "-filter_complex", f"{mix},{first}", "-f", "null", "-"])
    measured = json.loads(output[output.rindex("{") : output.rindex("}") + 1])
    second = ("loudnorm=I=-16:TP=-1.5:LRA=11:linear=true:"
              f"measured_I={measured['input_i']}:measured_TP={measured['input_tp']}:"
              f"measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}:"
              f"offset={measured['target_offset']},aresample=48000")
    cpu2, rss2, _ = run_measured(["ffmpeg", "-hide_banner", "-nostats", "-y", *inputs, "-filter_complex", f"{mix},{second}",
                                  "-ac", "1", "-c:a", "libmp3lame", "-b:a", "96k", str(out)])
    return cpu1 + cpu2, max(rss1, rss2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--speakers", type=int, default=4)
    parser.add_argument("--formats", default="mp3", help="comma-separated: mp3,m4a")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        sys.exit("bench.mix needs ffmpeg and espeak-ng (apt-get install ffmpeg espeak-ng)")

    work = Path(tempfile.mkdtemp(prefix="roomcast-bench-mix-"))
    try:
        tracks = generate_room(work, args.minutes, args.speakers)
        ours, theirs = [], []
        for round_number in range(args.rounds):
            stem = work / f"roomcast-{round_number}"
            cpu, rss, output = run_measured([sys.executable, "-m", "bench._render", str(stem), args.formats, *map(str, tracks)])
            files = [Path(f) for f in json.loads(output.strip().splitlines()[-1])["files"]]
            ours.append({"cpu": cpu, "rss": rss, "files": files})
            anchor_cpu, anchor_rss = anchor(tracks, work / f"anchor-{round_number}.mp3")
            theirs.append({"cpu": anchor_cpu, "rss": anchor_rss})
            print(f"round {round_number + 1}: roomcast {cpu:.1f} CPU s, {rss:.0f} MB; anchor {anchor_cpu:.1f} CPU s", file=sys.stderr)
        measured = [ebur128(f) for f in ours[-1]["files"]]
        anchor_lufs, anchor_tp = ebur128(work / f"anchor-{args.rounds - 1}.mp3")
        minutes = args.minutes
        cpu_per_min = statistics.median(r["cpu"] for r in ours) / minutes
        anchor_per_min = statistics.median(r["cpu"] for r in theirs) / minutes
        figures = {
            "minutes": minutes, "speakers": args.speakers, "rounds": args.rounds,
            "cpu_s_per_min": round(cpu_per_min, 3),
            "anchor_cpu_s_per_min": round(anchor_per_min, 3),
            "ratio": round(cpu_per_min / anchor_per_min, 3),
            "lufs": [round(m[0], 2) for m in measured],
            "true_peak_dbtp": [round(m[1], 2) for m in measured],
            "files": [f.suffix.lstrip(".") for f in ours[-1]["files"]],
            "peak_rss_mb": round(max(r["rss"] for r in ours), 1),
            "peak_rss_mb_per_min": round(max(r["rss"] for r in ours) / minutes, 2),
            "anchor_lufs": anchor_lufs, "anchor_true_peak_dbtp": anchor_tp,
            "anchor_peak_rss_mb": round(max(r["rss"] for r in theirs), 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
