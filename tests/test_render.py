"""The streaming renderer on synthetic rooms, measured by FFmpeg's meter (not roomcast's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench._speech import write_opus
from roomcast.limiter import TruePeakLimiter, true_peak_envelope
from postprod.render import M4A, MP3, RATE, RenderOptions, TrackInput, decode, render
from roomcast.timemap import TimeMap
from tests.conftest import measure_loudness


def speechlike(seconds: float, seed: int, level_db: float, active: list[tuple[float, float]] | None = None) -> np.ndarray:
    """Noise shaped into syllables (a crest factor like speech), only inside ``active`` spans."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 2
    if active is not None:
        envelope *= np.any([(t >= a) & (t < b) for a, b in active], axis=0)
    return (rng.standard_normal(t.size) * envelope * 10 ** (level_db / 20)).astype(np.float32)


def opus(path: Path, samples: np.ndarray) -> Path:
    write_opus(path, samples)
    return path


def dbtp(samples: np.ndarray) -> float:
    return 20 * np.log10(true_peak_envelope(samples).max())


def test_limiter_holds_the_ceiling_without_clipping() -> None:
    # A sine at fs/4 with a 45° phase: every sample is 0.707 of the true peak (inter-sample peaks).
    n = np.arange(RATE)
    signal = (1.2 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)
    assert dbtp(signal) > 1.0
    limited = TruePeakLimiter(RATE, -1.0).apply(signal)
    assert dbtp(limited) <= -1.4
    ratio = limited[2000:-2000] / signal[2000:-2000]
    assert np.ptp(ratio) < 0.05  # a slowly moving gain, not clipping


def test_speakers_are_levelled_and_the_master_hits_the_target(tmp_path: Path) -> None:
    loud = opus(tmp_path / "host.ogg", speechlike(40, 1, -4, [(0, 20)]))
    quiet = opus(tmp_path / "guest.ogg", speechlike(40, 2, -32, [(20, 40)]))
    result = render([TrackInput("host", loud), TrackInput("guest", quiet)], tmp_path / "episode", RenderOptions())
    host, guest = result.speakers
    assert guest.gain_db - host.gain_db == pytest.approx(28, abs=1.5)
    [mp3] = result.files
    integrated, peak = measure_loudness(mp3.path)
    assert integrated == pytest.approx(-16, abs=0.5) and peak <= -1.0
    assert mp3.loudness_lufs == pytest.approx(integrated, abs=0.3)
    assert result.duration_s == pytest.approx(40, abs=0.1)
    assert result.warnings == []


def test_off_the_record_span_is_cut_and_the_time_map_follows(tmp_path: Path) -> None:
    track = opus(tmp_path / "a.ogg", speechlike(30, 3, -12))
    result = render([TrackInput("a", track)], tmp_path / "episode", RenderOptions(cuts=[(10.0, 18.0)]))
    assert result.duration_s == pytest.approx(22, abs=0.05)
    assert result.time_map.to_episode(5) == pytest.approx(5, abs=0.01)
    assert result.time_map.to_episode(20) == pytest.approx(12, abs=0.05)
    assert not result.time_map.is_kept(12) and result.time_map.is_kept(19)


def test_dead_air_is_shortened_to_the_limit(tmp_path: Path) -> None:
    track = opus(tmp_path / "a.ogg", speechlike(20, 4, -12, [(0, 4), (14, 20)]))
    result = render([TrackInput("a", track)], tmp_path / "episode", RenderOptions(max_silence_s=2.0))
    assert result.duration_s == pytest.approx(4 + 2 + 6, abs=0.3)
    assert result.time_map.to_episode(15) == pytest.approx(7, abs=0.3)


def test_joins_are_crossfaded_without_clicks(tmp_path: Path) -> None:
    n = np.arange(30 * RATE)
    tone = (0.3 * np.sin(2 * np.pi * 220 * n / RATE)).astype(np.float32)
    result = render([TrackInput("a", opus(tmp_path / "a.ogg", tone))], tmp_path / "e", RenderOptions(cuts=[(10.0, 10.013)]))
    decoded = decode(result.files[0].path, tmp_path / "e.raw")
    audio = decoded.read(0, decoded.samples)
    steps = np.abs(np.diff(audio[int(9 * RATE) : int(11 * RATE)]))
    assert steps.max() < 4 * np.abs(np.diff(audio[int(2 * RATE) : int(4 * RATE)])).max()


def test_intro_and_outro_wrap_the_room(tmp_path: Path) -> None:
    room = opus(tmp_path / "room.ogg", speechlike(20, 5, -12))
    intro = opus(tmp_path / "intro.ogg", speechlike(3, 6, -10))
    outro = opus(tmp_path / "outro.ogg", speechlike(2, 7, -10))
    result = render([TrackInput("a", room)], tmp_path / "e", RenderOptions(intro=intro, outro=outro))
    assert result.duration_s == pytest.approx(3 + 20 + 2 - 0.04, abs=0.05)
    assert result.time_map.to_episode(0) == pytest.approx(3 - 0.02, abs=0.01)


def test_a_damaged_track_and_a_silent_one_still_make_an_episode(tmp_path: Path) -> None:
    good = opus(tmp_path / "good.ogg", speechlike(30, 8, -12))
    damaged = tmp_path / "damaged.ogg"
    data = opus(tmp_path / "whole.ogg", speechlike(30, 9, -12)).read_bytes()
    damaged.write_bytes(data[: len(data) // 2])  # the archive broke off half way
    silent = opus(tmp_path / "silent.ogg", np.zeros(30 * RATE, np.float32))
    tracks = [TrackInput("good", good), TrackInput("damaged", damaged), TrackInput("silent", silent)]
    result = render(tracks, tmp_path / "e", RenderOptions())
    assert result.duration_s == pytest.approx(30, abs=0.1)
    assert any("silent" in w for w in result.warnings)
    integrated, _ = measure_loudness(result.files[0].path)
    assert integrated == pytest.approx(-16, abs=0.5)


def test_aac_is_mastered_too(tmp_path: Path) -> None:
    track = opus(tmp_path / "a.ogg", speechlike(30, 10, -20))
    result = render([TrackInput("a", track)], tmp_path / "e", RenderOptions(formats=(MP3, M4A)))
    assert [f.path.suffix for f in result.files] == [".mp3", ".m4a"]
    for file in result.files:
        integrated, peak = measure_loudness(file.path)
        assert integrated == pytest.approx(-16, abs=0.5), file.path
        assert peak <= -1.0, file.path


def test_an_episode_opens_on_its_first_sound_and_closes_just_after_its_last(tmp_path: Path) -> None:
    # 5 s of setting up, 8 s of talk, 6 s of leaving: the 3 s silence limit used to keep 3 s of each.
    track = opus(tmp_path / "a.ogg", speechlike(19, 11, -12, [(5, 13)]))
    result = render([TrackInput("a", track)], tmp_path / "e", RenderOptions(max_silence_s=3.0))
    first_sound = result.time_map.to_episode(5.0)
    assert 0.0 <= first_sound <= 0.5
    assert result.duration_s - result.time_map.to_episode(13.0) <= 1.0
    assert result.duration_s == pytest.approx(0.3 + 8 + 0.6, abs=0.2)  # a breath either side of the talk
    # trimmed is not cut: a word Whisper places early, or a marker set before anyone spoke, lands at the start
    assert result.time_map.is_kept(2.0) and result.time_map.to_episode(2.0) == 0.0
    assert TimeMap.from_json(result.time_map.to_json()).is_kept(2.0)
