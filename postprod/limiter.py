"""A look-ahead true-peak limiter.

Gain reduction is computed from the 4x oversampled envelope, so inter-sample peaks are caught
as well as sample peaks. The gain curve is the running minimum of the needed gain over a
window, smoothed by a moving average of the same length: the average over a window whose
every value is at or below the need at the peak cannot exceed it, so the ceiling holds, and
the gain moves smoothly (no clipping, no clicks).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from postprod.loudness import db_to_gain, true_peak_envelope


def limit_true_peak(samples: np.ndarray, rate: int, ceiling_dbtp: float, window_ms: float = 10.0) -> np.ndarray:
    ceiling = db_to_gain(ceiling_dbtp)
    envelope = true_peak_envelope(samples)
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-9))
    if needed.min() >= 1.0:
        return samples
    width = max(3, int(rate * window_ms / 1000) | 1)
    held = minimum_filter1d(needed, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(held, size=width, mode="nearest")
    return (samples * gain).astype(np.float32)
