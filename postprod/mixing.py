"""Align the speakers' tracks on the room's clock, level each speaker, and sum them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from postprod.loudness import db_to_gain, integrated_lufs

# Every speaker is brought to this loudness before the mix, so that a quiet guest is not
# buried under a loud host; the master stage then sets the episode's loudness.
SPEAKER_TARGET_LUFS = -23.0
MAX_SPEAKER_GAIN_DB = 24.0


@dataclass
class PlacedTrack:
    name: str
    samples: np.ndarray
    offset_s: float


@dataclass
class LevelledTrack:
    name: str
    loudness_lufs: float  # before levelling; -inf for silence
    gain_db: float


def level(track: PlacedTrack, rate: int) -> LevelledTrack:
    loudness = integrated_lufs(track.samples, rate)
    if not math.isfinite(loudness):
        return LevelledTrack(track.name, loudness, 0.0)
    gain_db = min(MAX_SPEAKER_GAIN_DB, SPEAKER_TARGET_LUFS - loudness)
    track.samples *= np.float32(db_to_gain(gain_db))
    return LevelledTrack(track.name, loudness, gain_db)


def mix(tracks: list[PlacedTrack], rate: int) -> np.ndarray:
    starts = [round(t.offset_s * rate) for t in tracks]
    length = max((s + t.samples.size for s, t in zip(starts, tracks)), default=0)
    bus = np.zeros(length, dtype=np.float32)
    for start, track in zip(starts, tracks):
        bus[start : start + track.samples.size] += track.samples
    return bus
