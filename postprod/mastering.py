"""Master the mix to the podcast target: integrated loudness, then a true-peak ceiling.

Limiting takes loudness away, so the gain that lands on the target is found by a few secant
steps on the unencoded master (cheap: no encode). The encoder then moves both figures (MP3
measured about 0.5 LU quieter here), so the encoded file is measured and, if it is off, the
master is aimed at the target shifted by the encoder's measured offset and encoded once more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from roomcast.audio import decode_mono, encode_mp3
from postprod.limiter import limit_true_peak
from postprod.loudness import db_to_gain, integrated_lufs, true_peak_dbtp

LIMITER_MARGIN_DB = 0.5  # headroom for the encoder's own peak overshoot
TOLERANCE_LU = 0.2
MAX_GAIN_STEPS = 6


@dataclass
class MasterResult:
    loudness_lufs: float
    true_peak_dbtp: float
    duration_s: float
    decoded: np.ndarray  # the encoded file as listeners hear it (for the waveform)


def apply_master(samples: np.ndarray, rate: int, gain_db: float, ceiling_dbtp: float) -> np.ndarray:
    return limit_true_peak(samples * np.float32(db_to_gain(gain_db)), rate, ceiling_dbtp - LIMITER_MARGIN_DB)


def gain_for_target(samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float) -> float:
    """The gain whose limited result measures ``target_lufs`` (0 dB for silence)."""
    loudness = integrated_lufs(samples, rate)
    if not math.isfinite(loudness):
        return 0.0
    gain, slope = target_lufs - loudness, 1.0
    previous: tuple[float, float] | None = None
    for _ in range(MAX_GAIN_STEPS):
        measured = integrated_lufs(apply_master(samples, rate, gain, ceiling_dbtp), rate)
        error = target_lufs - measured
        if abs(error) <= TOLERANCE_LU / 2:
            break
        if previous is not None and gain != previous[0]:
            # The limiter flattens the curve: each dB of gain buys less than a dB of loudness.
            slope = min(1.0, max(0.15, (measured - previous[1]) / (gain - previous[0])))
        previous = (gain, measured)
        gain += error / slope
    return gain


def master_to_mp3(
    mix: np.ndarray, rate: int, destination: Path, *, target_lufs: float, ceiling_dbtp: float, bit_rate: int
) -> MasterResult:
    aim, ceiling = target_lufs, ceiling_dbtp
    for _attempt in range(3):
        gain = gain_for_target(mix, rate, aim, ceiling)
        mastered = apply_master(mix, rate, gain, ceiling)
        encode_mp3(mastered, rate, destination, bit_rate)
        decoded = decode_mono(destination, rate)
        loudness, peak = integrated_lufs(decoded, rate), true_peak_dbtp(decoded)
        loud_ok = not math.isfinite(loudness) or abs(loudness - target_lufs) <= TOLERANCE_LU
        if loud_ok and peak <= ceiling_dbtp:
            break
        if math.isfinite(loudness):
            aim += target_lufs - loudness
        if peak > ceiling_dbtp:
            ceiling -= peak - ceiling_dbtp + 0.1
    return MasterResult(loudness, peak, decoded.size / rate, decoded)
