"""Synthetic multi-speaker rooms for benchmarks: espeak-ng voices taking turns, one Ogg/Opus
file per speaker (as capture stores them), each at its own level."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import av
import numpy as np

RATE = 48_000
VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb+m3"]
LEVELS_DB = [0.0, -14.0, -6.0, -20.0]  # a loud host, a quiet guest, and two in between
WORDS = ("the a of to and in is it that for on with as was at by this we you they be are from have not but "
         "what all were when can there use an each which she do how their if will up other about out many then "
         "them these so some her would make like him into time has look two more write go see number no way "
         "could people my than first water been call who oil its now find long down day did get come made may "
         "part telescope volcano river music history science planet ocean forest city language story").split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."


def speak(text: str, voice: str) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "--stdout", text], check=True, capture_output=True).stdout
    samples = np.frombuffer(wav[44:], dtype="<i2").astype(np.float32) / 32768
    # espeak speaks at 22.05 kHz; the room runs at 48 kHz
    return np.interp(np.arange(int(samples.size * RATE / 22050)) * 22050 / RATE, np.arange(samples.size), samples).astype(np.float32)


def write_opus(path: Path, samples: np.ndarray, bit_rate: int = 32_000, complexity: int = 10) -> None:
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = bit_rate
        stream.codec_context.options = {"compression_level": str(complexity)}
        block = RATE
        for start in range(0, samples.size, block):
            chunk = np.ascontiguousarray(samples[start : start + block])
            frame = av.AudioFrame.from_ndarray(chunk[np.newaxis, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def generate_room(directory: Path, minutes: float, speakers: int = 4, seed: int = 7) -> list[Path]:
    """``speakers`` tracks of ``minutes`` each; turns of 1-3 sentences with short pauses."""
    return generate_room_with_turns(directory, minutes, speakers, seed)[0]


def generate_room_with_turns(
    directory: Path, minutes: float, speakers: int = 4, seed: int = 7
) -> tuple[list[Path], list[tuple[int, int, int]]]:
    """As generate_room, and the turns: (speaker index, first sample, end sample)."""
    rng = random.Random(seed)
    length = int(minutes * 60 * RATE)
    tracks = [np.zeros(length, dtype=np.float32) for _ in range(speakers)]
    cursor, turn = int(0.5 * RATE), 0
    spoken: list[tuple[int, int, int]] = []
    cache: dict[tuple[int, int], np.ndarray] = {}
    while True:
        speaker = turn % speakers if rng.random() < 0.7 else rng.randrange(speakers)
        key = (speaker, rng.randrange(12))  # a pool of 12 utterances per voice keeps synthesis quick
        if key not in cache:
            cache[key] = speak(" ".join(sentence(rng) for _ in range(rng.randint(1, 3))), VOICES[speaker % len(VOICES)])
        clip = cache[key] * np.float32(10 ** (LEVELS_DB[speaker % len(LEVELS_DB)] / 20))
        if cursor + clip.size >= length:
            break
        tracks[speaker][cursor : cursor + clip.size] += clip
        spoken.append((speaker, cursor, cursor + clip.size))
        cursor += clip.size + int(rng.uniform(0.2, 1.2) * RATE)
        turn += 1
    paths = []
    for number, track in enumerate(tracks):
        path = directory / f"speaker-{number + 1}.ogg"
        write_opus(path, track)
        paths.append(path)
    return paths, spoken
