"""Waveform peaks for the episode page: one peak per bin, scaled 0-1 (JSON)."""

from __future__ import annotations

import json

import numpy as np

BINS = 1200


def peaks(samples: np.ndarray, bins: int = BINS) -> list[float]:
    if samples.size == 0:
        return []
    bins = min(bins, samples.size)
    usable = samples[: samples.size - samples.size % bins]
    per_bin = np.abs(usable).reshape(bins, -1).max(axis=1)
    top = float(per_bin.max()) or 1.0
    return [round(float(v) / top, 3) for v in per_bin]


def to_waveform_json(samples: np.ndarray, rate: int) -> str:
    return json.dumps({"version": 1, "duration": round(samples.size / rate, 3), "peaks": peaks(samples)})
