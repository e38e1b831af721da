"""Levelling, limiting and mastering, measured by pyloudnorm and by FFmpeg's own meter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from postprod.limiter import limit_true_peak
from postprod.loudness import integrated_lufs, true_peak_dbtp
from postprod.mastering import master_to_mp3
from postprod.mixing import PlacedTrack, level, mix
from tests.conftest import measure_loudness

RATE = 48_000


def speechlike(seconds: float, seed: int, level_db: float) -> np.ndarray:
    """Noise shaped into syllables: a high crest factor like speech, unlike a sine."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 2 * (rng.random(t.size) > 0.0005)
    return (rng.standard_normal(t.size) * envelope * 10 ** (level_db / 20)).astype(np.float32)


def test_limiter_holds_the_true_peak_ceiling_without_clipping() -> None:
    # A sine at fs/4 with a 45° phase: every sample is 0.707 of the true peak (inter-sample peaks).
    n = np.arange(RATE)
    signal = (1.2 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)
    assert true_peak_dbtp(signal) > 1.0
    limited = limit_true_peak(signal, RATE, -1.5)
    assert true_peak_dbtp(limited) <= -1.45
    # A limiter scales, it does not clip: the waveform keeps its shape.
    ratio = limited[1000:-1000] / signal[1000:-1000]
    assert np.ptp(ratio) < 0.05


def test_quiet_speaker_is_brought_up_to_the_loud_one() -> None:
    loud = PlacedTrack("host", speechlike(20, 1, -6), 0.0)
    quiet = PlacedTrack("guest", speechlike(20, 2, -30), 0.0)
    for track in (loud, quiet):
        level(track, RATE)
    assert integrated_lufs(loud.samples, RATE) == pytest.approx(integrated_lufs(quiet.samples, RATE), abs=0.5)


def test_silent_track_is_left_alone() -> None:
    silent = PlacedTrack("mute", np.zeros(RATE * 5, np.float32), 0.0)
    result = level(silent, RATE)
    assert result.gain_db == 0.0 and not np.any(silent.samples)


def test_mix_places_tracks_at_their_offsets() -> None:
    a = PlacedTrack("a", np.ones(RATE, np.float32), 0.0)
    b = PlacedTrack("b", np.ones(RATE, np.float32), 2.0)
    bus = mix([a, b], RATE)
    assert bus.size == 3 * RATE
    assert bus[RATE : 2 * RATE].max() == 0.0 and bus[2 * RATE :].min() == 1.0


@pytest.mark.parametrize("level_db", [-40, -3])
def test_master_reaches_the_target_on_the_encoded_file(tmp_path: Path, level_db: float) -> None:
    destination = tmp_path / "master.mp3"
    result = master_to_mp3(speechlike(30, 3, level_db), RATE, destination, target_lufs=-16, ceiling_dbtp=-1, bit_rate=96_000)
    integrated, peak = measure_loudness(destination)  # FFmpeg's meter, not ours
    assert integrated == pytest.approx(-16, abs=0.5)
    assert peak <= -1.0
    assert result.loudness_lufs == pytest.approx(integrated, abs=0.3)
