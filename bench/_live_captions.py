"""Caption delay in a live room: from the end of a spoken word to its caption on the room's
transcript API (``GET /api/rooms/{id}/transcript``, what the room page polls).

A fresh ``roomcast serve`` (embedded worker, live transcription and captions on their
defaults) and two aiortc speakers on its stage taking turns with the eval set's English clips
(real speech, a second and a half between turns, quiet packets while the other speaks, as a
browser sends). Each speaker's words and the moment each ends are known beforehand: the same
audio transcribed whole (transcripts.track_progress.transcribe_file), on the bot's own clock
from the moment it sent the file's first packet. While the room runs the API is read five
times a second; a word is captioned at the first reading in which the speaker's captions,
aligned with those words in order, hold it. Words never captioned as the whole transcription
spells them are left out of the delays and counted (``caption_words_matched``).
"""

from __future__ import annotations

import asyncio
import difflib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

GAP_S, LEAD_S, TAIL_S = 1.5, 2.0, 6.0
POLL_S = 0.2
_WORD = re.compile(r"[^\w']+")


def words_of(text: str) -> list[str]:
    return [w for w in (_WORD.sub("", t.lower()) for t in text.split()) if w]


def speaker_files(clips: list[Path], directory: Path) -> tuple[list[Path], float]:
    """Two speakers taking turns through ``clips``: one Ogg/Opus file each, quiet while the other speaks."""
    from roomcast.audio import read_excerpt

    rate = 48_000
    audio = [read_excerpt(clip, 0.0, 120.0, rate).samples for clip in clips]
    total = int((LEAD_S + sum(a.size / rate + GAP_S for a in audio) + TAIL_S) * rate)
    tracks = [np.zeros(total, np.float32), np.zeros(total, np.float32)]
    at = int(LEAD_S * rate)
    for number, samples in enumerate(audio):
        tracks[number % 2][at : at + samples.size] = samples
        at += samples.size + int(GAP_S * rate)
    paths = []
    for number, track in enumerate(tracks):
        raw, path = directory / f"speaker{number}.f32", directory / f"speaker{number}.opus"
        raw.write_bytes(track.tobytes())
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", str(raw),
                        "-c:a", "libopus", "-b:a", "32k", str(path)], check=True)
        raw.unlink()
        paths.append(path)
    return paths, total / rate


class Server:
    """``roomcast serve`` on a data directory of its own, with one show and its creator token."""

    def __init__(self, directory: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")},
                    "ROOMCAST_DATA_DIR": str(directory / "data"), "ROOMCAST_BASE_URL": self.base}
        cli = [sys.executable, "-m", "roomcast"]
        subprocess.run([*cli, "show", "create", "captions", "--title", "Captions"], env=self.env, check=True,
                       capture_output=True)
        self.creator = subprocess.run([*cli, "token", "creator", "captions"], env=self.env, check=True,
                                      capture_output=True, text=True).stdout.strip()
        with open(directory / "server.log", "wb") as log:
            self.process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise TimeoutError("roomcast serve did not answer")

    def room(self, speakers: int) -> tuple[int, list[str]]:
        headers = {"Authorization": f"Bearer {self.creator}"}
        room = httpx.post(f"{self.base}/api/shows/captions/rooms", json={"title": "Captions"}, headers=headers).json()
        tokens = [httpx.post(f"{self.base}/api/rooms/{room['id']}/tokens", headers=headers,
                             json={"identity": f"s{n}", "name": f"Speaker {n + 1}", "role": "speaker"}).json()["token"]
                  for n in range(speakers)]
        return room["id"], tokens

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def _poll(url: str, stop: threading.Event, readings: list) -> None:
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            try:
                lines = client.get(url).json()["lines"]
                readings.append((time.monotonic(), lines))
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            stop.wait(POLL_S)


async def _speak(ws_url: str, tokens: list[str], files: list[Path], seconds: float) -> list[float]:
    """Both speakers on the stage, speaking their files; returns when each file's first packet went."""
    from contrib.bot import Bot, OpusFile

    voices = [OpusFile(str(path)) for path in files]
    bots = [Bot(ws_url, token, voice=lambda v=voice: v) for token, voice in zip(tokens, voices)]
    for bot in bots:
        await bot.join()
        await bot.send("take_stage", consent=True)
        await bot.negotiate(publish=True)
    await asyncio.gather(*(bot.connected(30) for bot in bots))
    await asyncio.sleep(seconds + 1.0)
    for bot in bots:
        await bot.close()
    return [voice._started for voice in voices]


def delays(expected: list[tuple[str, float]], readings: list[tuple[float, list[str]]]) -> list[float]:
    """Per expected word (text, when its sound ended): seconds until a reading first holds it."""
    spoken = [word for word, _ in expected]
    first_seen: dict[int, float] = {}
    for at, heard in readings:
        matcher = difflib.SequenceMatcher(a=spoken, b=heard, autojunk=False)
        for block in matcher.get_matching_blocks():
            for index in range(block.a, block.a + block.size):
                first_seen.setdefault(index, at)
    return [max(0.0, first_seen[i] - ended) for i, (_, ended) in enumerate(expected) if i in first_seen]


def caption_delays(clips: list[Path], work: Path) -> dict[str, float]:
    """The figures: caption_delay_p50_s, caption_delay_p95_s, caption_words_matched."""
    from bench.sfu import free_port
    from transcripts.track_progress import transcribe_file

    directory = work / "live-captions"
    directory.mkdir(parents=True, exist_ok=True)
    files, seconds = speaker_files(clips, directory)
    truth = [[(w.word, w.end) for u in transcribe_file(path, "en") for w in u.words] for path in files]
    server = Server(directory, free_port())
    try:
        room_id, tokens = server.room(len(files))
        readings: list = []
        stop = threading.Event()
        poller = threading.Thread(target=_poll, args=(f"{server.base}/api/rooms/{room_id}/transcript", stop, readings))
        poller.start()
        starts = asyncio.run(_speak(f"ws://{server.base[7:]}/rooms/{room_id}/ws", tokens, files, seconds))
        stop.set()
        poller.join()
    finally:
        server.stop()
    all_delays, expected_words = [], 0
    for number, (start, words) in enumerate(zip(starts, truth)):
        name = f"Speaker {number + 1}"
        expected = [(token, start + end) for word, end in words for token in words_of(word)]
        heard = [(at, [t for line in lines if line["speaker"] == name for t in words_of(line["text"])])
                 for at, lines in readings]
        all_delays += delays(expected, heard)
        expected_words += len(expected)
    p50, p95 = np.percentile(all_delays, [50, 95]) if all_delays else (float("nan"), float("nan"))
    return {"caption_delay_p50_s": round(float(p50), 2), "caption_delay_p95_s": round(float(p95), 2),
            "caption_words_matched": round(len(all_delays) / max(1, expected_words), 3)}


if __name__ == "__main__":  # python -m bench._live_captions [EVAL_DIR]: this figure alone
    import json
    import tempfile

    from bench._eval_set import DEFAULT_EVAL_DIR, load_manifest

    eval_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_EVAL_DIR
    english = [eval_dir / c["file"] for c in load_manifest(eval_dir) if c["language"] == "en"]
    print(json.dumps(caption_delays(english, Path(tempfile.mkdtemp(prefix="roomcast-captions-")))))
