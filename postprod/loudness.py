"""Loudness (ITU-R BS.1770 via pyloudnorm) and true peak (4x oversampled, as BS.1770 annex 2)."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

SILENCE_LUFS = -70.0  # BS.1770's absolute gate: below it there is nothing to measure


def integrated_lufs(samples: np.ndarray, rate: int) -> float:
    """Gated integrated loudness; ``-inf`` for silence or audio shorter than one 400 ms block."""
    if samples.size < int(0.4 * rate):
        return -math.inf
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64, copy=False)))


def true_peak_envelope(samples: np.ndarray) -> np.ndarray:
    """Per input sample, the largest magnitude of the 4x oversampled signal around it."""
    upsampled = resample_poly(samples, 4, 1)
    return np.abs(upsampled[: samples.size * 4]).reshape(-1, 4).max(axis=1)


def true_peak_dbtp(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -math.inf
    peak = float(true_peak_envelope(samples).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def db_to_gain(db: float) -> float:
    return 10 ** (db / 20)
