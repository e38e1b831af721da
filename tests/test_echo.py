"""transcripts.echo: another speaker's echo under a speaker's own voice is taken out; a track
that carries nobody else is left as it is. Real speech from the eval set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roomcast.audio import ASR_RATE, read_excerpt
from transcripts.echo import HISTORY, cancelled

CLIPS = Path(__file__).resolve().parents[1] / "bench" / "clips" / "asr-dev" / "audio"


def energy_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(samples.astype(np.float64) ** 2) + 1e-20))


def voices() -> tuple[np.ndarray, np.ndarray]:
    own = read_excerpt(CLIPS / "en-fleurs-000.ogg", 0.0, 60.0).samples
    other = read_excerpt(CLIPS / "en-fleurs-001.ogg", 0.0, 60.0).samples
    return own, other


def test_an_echo_under_the_speakers_own_voice_is_taken_out() -> None:
    own_voice, other_voice = voices()
    size = 20 * ASR_RATE
    own = np.zeros(size, np.float32)
    own[: own_voice.size] = own_voice  # speaks from 0 s to about 10 s
    other = np.zeros(size + HISTORY, np.float32)
    other[HISTORY + 3 * ASR_RATE : HISTORY + 3 * ASR_RATE + other_voice.size] = other_voice  # from 3 s: both at once
    delay = int(0.22 * ASR_RATE)  # a laptop plays the room back 220 ms late, 15 dB down
    echo = np.float32(10 ** (-15 / 20)) * other[HISTORY - delay : HISTORY - delay + size]
    heard = cancelled(own + echo, [other])
    assert energy_db(heard - own) < energy_db(echo) - 30
    assert energy_db(heard - own) < energy_db(own) - 30  # the speaker's own voice is untouched


def test_a_track_that_carries_nobody_else_is_left_alone() -> None:
    own_voice, other_voice = voices()
    size = 25 * ASR_RATE
    own = np.zeros(size, np.float32)
    own[: own_voice.size] = own_voice
    other = np.zeros(size + HISTORY, np.float32)  # the other speaks next, from 12 s, and never leaks in
    other[HISTORY + 12 * ASR_RATE : HISTORY + 12 * ASR_RATE + other_voice.size] = other_voice
    heard = cancelled(own, [other, np.zeros(size + HISTORY, np.float32)])
    assert np.array_equal(heard, own)
