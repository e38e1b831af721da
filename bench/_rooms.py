"""Rooms of real speech with known turns, with and without bleed and echo (seeded, deterministic).

Four speakers take turns reading the eval set's English clips (FLEURS and JFK: a different
voice per clip), each at a level of its own, over a -70 dBFS noise floor, as capture would
store them (Ogg/Opus per track). The layout is the same in every room: mostly short pauses,
three overlaps of about a second, two long silences. The rooms differ only in what each track
also carries of the others:

- ``clean``: nothing;
- ``bleed-20`` ... ``bleed-50``: every other speaker at that level (dB under their own track),
  10-40 ms late (a shared studio, a leaky headset);
- ``echo``: every other speaker at -15 dB, 150-300 ms late (a laptop without echo cancellation
  playing the room back into its microphone).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench._speech import RATE, write_opus

SPEAKERS = 4
LEVELS_DB = (-3.0, -12.0, -7.0, -18.0)
NOISE_DBFS = -70.0
CASES = {  # name: (level in dB, delay range in ms), None for a clean room
    "clean": None,
    "bleed-20": (-20.0, (10, 40)),
    "bleed-30": (-30.0, (10, 40)),
    "bleed-40": (-40.0, (10, 40)),
    "bleed-50": (-50.0, (10, 40)),
    "echo": (-15.0, (150, 300)),
}
OVERLAP_TURNS = (3, 6, 9)  # these turns start about a second before the previous one ends
LONG_SILENCE_TURNS = (5, 8)  # and these after 12-20 s of quiet


@dataclass(frozen=True)
class Turn:
    speaker: int
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Room:
    name: str
    paths: list[Path]
    turns: list[Turn]


def load_clips(eval_dir: Path, manifest: list[dict]) -> list[tuple[np.ndarray, str]]:
    from roomcast.audio import read_excerpt

    clips = [c for c in manifest if c["language"] == "en"]
    return [(read_excerpt(eval_dir / c["file"], 0.0, 60.0, rate=RATE).samples, c["reference"]) for c in clips]


def layout(clips: list[tuple[np.ndarray, str]], seed: int = 5) -> tuple[list[np.ndarray], list[Turn], int]:
    """Each speaker's own voice on the room clock, and the turns."""
    rng = random.Random(seed)
    placed: list[tuple[int, int, np.ndarray, str]] = []
    cursor = int(1.0 * RATE)
    for number, (samples, text) in enumerate(clips):
        speaker = number % SPEAKERS
        if number in OVERLAP_TURNS:
            cursor -= int(rng.uniform(0.8, 1.2) * RATE)
        elif number in LONG_SILENCE_TURNS:
            cursor += int(rng.uniform(12, 20) * RATE)
        else:
            cursor += int(rng.uniform(0.3, 1.0) * RATE)
        gain = np.float32(10 ** (LEVELS_DB[speaker] / 20) / max(1e-6, float(np.max(np.abs(samples)))) * 0.9)
        placed.append((speaker, cursor, samples * gain, text))
        cursor += samples.size
    length = cursor + 2 * RATE
    voices = [np.zeros(length, np.float32) for _ in range(SPEAKERS)]
    turns = []
    for speaker, start, samples, text in placed:
        voices[speaker][start : start + samples.size] += samples
        turns.append(Turn(speaker, start / RATE, (start + samples.size) / RATE, text))
    return voices, turns, length


def build(directory: Path, clips: list[tuple[np.ndarray, str]], case: str, seed: int = 5) -> Room:
    voices, turns, length = layout(clips, seed)
    rng = np.random.default_rng(seed)
    spec = CASES[case]
    paths = []
    folder = directory / case
    folder.mkdir(parents=True, exist_ok=True)
    for victim in range(SPEAKERS):
        track = voices[victim].copy()
        if spec is not None:
            level_db, (low_ms, high_ms) = spec
            for source in range(SPEAKERS):
                if source != victim:
                    delay = int(rng.uniform(low_ms, high_ms) / 1000 * RATE)
                    track[delay:] += voices[source][: length - delay] * np.float32(10 ** (level_db / 20))
        track += rng.standard_normal(length).astype(np.float32) * np.float32(10 ** (NOISE_DBFS / 20))
        path = folder / f"speaker-{victim + 1}.ogg"
        write_opus(path, track)
        paths.append(path)
    return Room(case, paths, turns)
