"""Silence and what is not a number: the renderer and the waveform stay quiet about them (issue 15,
item 12). A RuntimeWarning here ("invalid value encountered in cast") meant a NaN had reached the
mix, the limiter, the encoder and the waveform: every warning is an error in this file."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from bench._speech import write_opus
from postprod.render import M4A, MP3, RATE, RenderOptions, TrackInput, render
from postprod.waveform import BACKGROUND, write_png
from tests.conftest import measure_loudness

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def float_wav(path: Path, samples: np.ndarray) -> Path:
    """32-bit float WAV: the one common format that carries a NaN as it is."""
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts = RATE, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def png_pixels(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def render_both(tmp_path: Path, track: Path, **options: object):  # type: ignore[no-untyped-def]
    result = render([TrackInput("host", track)], tmp_path / "episode", RenderOptions(formats=(MP3, M4A), **options))
    write_png(result.peaks, tmp_path / "waveform.png")
    return result


@pytest.mark.parametrize("max_silence_s", [None, 2.0])
def test_an_all_zero_track_is_a_silent_episode_with_a_flat_waveform(tmp_path: Path, max_silence_s: float | None) -> None:
    track = tmp_path / "zero.ogg"
    write_opus(track, np.zeros(3 * RATE, np.float32))
    result = render_both(tmp_path, track, max_silence_s=max_silence_s)
    assert "the episode is silent" in result.warnings
    assert set(result.peaks) == {0.0}
    assert (png_pixels(tmp_path / "waveform.png")[:40] == BACKGROUND).all()  # nothing above the centre line
    for file in result.files:
        assert measure_loudness(file.path)[0] <= -70  # FFmpeg says -70.0 for nothing at all


def test_a_near_silent_track_renders_without_warnings(tmp_path: Path) -> None:
    hiss = (np.random.default_rng(12).standard_normal(4 * RATE) * 10 ** (-90 / 20)).astype(np.float32)
    track = tmp_path / "hiss.ogg"
    write_opus(track, hiss)
    result = render_both(tmp_path, track, max_silence_s=2.0)
    assert "the episode is silent" in result.warnings
    assert all(0.0 <= peak <= 1.0 for peak in result.peaks)


def test_samples_that_are_not_numbers_become_silence_and_the_rest_is_heard(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    talk = (rng.standard_normal(6 * RATE) * 0.1).astype(np.float32)
    talk[2 * RATE : 2 * RATE + 4800] = np.nan  # 100 ms of a decoder gone wrong
    talk[3 * RATE] = np.inf
    result = render_both(tmp_path, float_wav(tmp_path / "broken.wav", talk))
    assert any("4801 samples were not numbers" in warning for warning in result.warnings), result.warnings
    assert "the episode is silent" not in result.warnings
    assert all(np.isfinite(result.peaks)) and max(result.peaks) == 1.0
    for file in result.files:
        integrated, peak = measure_loudness(file.path)
        assert integrated == pytest.approx(-16, abs=0.5) and peak <= -1.0
