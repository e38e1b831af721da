"""Taking the others' sound out of a track where it lies under its own speaker's speech.

The crosstalk decision (transcripts.crosstalk) silences a track where it carries only others;
it cannot help where a speaker talks over the echo of someone else (a laptop playing the room
back into its microphone while its owner answers), and there Whisper hears both. But roomcast
has what an echo canceller needs: every other speaker's own track. For each other track, the
path by which it reaches this one is estimated from the recording itself (the lag of the
strongest correlation within ``MAX_LAG_S``, then a short filter around it by least squares
over the whole excerpt, the speaker's own speech being uncorrelated with it) and the
predicted echo is subtracted. Only linear paths are removed: a device's distortion stays.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.signal import fftconvolve

from roomcast.audio import ASR_RATE

MAX_LAG_S = 0.45  # bleed is 0-50 ms late, a device's echo 80-400 ms
HISTORY = int(MAX_LAG_S * ASR_RATE)  # samples of each other track before the excerpt
BEFORE, AFTER = 16, 80  # the filter's taps around the lag: 1 ms before, 5 ms after (a room's early reflections)
EARLY = int(0.03 * ASR_RATE)  # two tracks' clocks may be some milliseconds apart: a path may seem early
MIN_CORRELATION = 0.03  # weaker is no path: 0.000-0.004 between the clean bench room's tracks, 0.04-0.68 in its echo room


def cancelled(victim: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """``victim`` without what each of ``others`` puts into it.

    Each of ``others`` holds the same stretch of the room as ``victim`` preceded by HISTORY
    samples (zeros where that track has no audio).
    """
    out = victim.astype(np.float64)
    for other in others:
        if other.size != victim.size + HISTORY or not np.any(other):
            continue
        out -= _echo(out, other.astype(np.float64))
    return out.astype(np.float32)


def _echo(victim: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The part of ``victim`` predicted from ``source`` through the strongest short path.

    ``source[t + HISTORY]`` is the room's moment of ``victim[t]``; a path delayed by ``d``
    samples puts ``source[t + HISTORY - d]`` into ``victim[t]``.
    """
    size = 1 << int(np.ceil(np.log2(source.size + victim.size)))
    spectrum = np.fft.rfft(source, size)
    cross = np.fft.irfft(np.conj(np.fft.rfft(victim, size)) * spectrum, size)  # cross[k] = sum v[n] s[n + k]
    auto = np.fft.irfft(np.abs(spectrum) ** 2, size)
    delays = np.arange(-EARLY, HISTORY - AFTER)
    strength = np.abs(cross[HISTORY - delays])
    best = int(delays[np.argmax(strength)])
    if strength.max() / (np.sqrt(np.dot(victim, victim) * auto[0]) + 1e-12) < MIN_CORRELATION:
        return np.zeros_like(victim)
    taps = np.arange(max(-EARLY, best - BEFORE), best + AFTER)
    # Least squares: sum_j h_j R(d_i - d_j) = cross[HISTORY - d_i], R the source's autocorrelation (Toeplitz).
    weights = solve_toeplitz(auto[: taps.size], cross[HISTORY - taps])
    kernel = np.zeros(taps.size)
    kernel[taps - taps[0]] = weights
    start = HISTORY - taps[0]
    echo = fftconvolve(source, kernel)[start : start + victim.size]
    return np.pad(echo, (0, victim.size - echo.size))  # an early path runs past the source's end
