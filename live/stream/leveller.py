"""Each speaker brought to one speech level, slowly, so a quiet guest and a loud host sit together.

The level is the RMS of the blocks in which the speaker is heard (above ``SPEECH_FLOOR_DB``),
followed with a time constant of about two seconds; the gain moves toward what brings it to
``TARGET_DB``, within ``[-MAX_CUT_DB, +MAX_BOOST_DB]``, ramped across each block so it never
clicks. It is the live stream's levelling only: the episode is mastered again from the
archive (postprod), to a measured loudness.
"""

from __future__ import annotations

import math

import numpy as np

TARGET_DB = -23.0  # RMS of speech; with several voices and the limiter the stream sits near -16 LUFS
SPEECH_FLOOR_DB = -50.0
MAX_BOOST_DB = 15.0
MAX_CUT_DB = 10.0
SETTLE_S = 2.0  # time constant of the level followed: about two seconds to settle on a new voice
RATE = 48_000


class Leveller:
    def __init__(self) -> None:
        self.level_db: float | None = None
        self.gain = 1.0

    def apply(self, samples: np.ndarray) -> None:
        """Level ``samples`` in place."""
        rms_db = 10 * math.log10(float(np.dot(samples, samples)) / max(samples.size, 1) + 1e-12)
        if rms_db > SPEECH_FLOOR_DB:
            follow = 1 - math.exp(-samples.size / RATE / SETTLE_S)  # the same settling, whatever the block
            self.level_db = rms_db if self.level_db is None else self.level_db + follow * (rms_db - self.level_db)
        target = 1.0 if self.level_db is None else 10 ** (
            min(max(TARGET_DB - self.level_db, -MAX_CUT_DB), MAX_BOOST_DB) / 20)
        if abs(target - self.gain) < 1e-3:
            samples *= target
        else:
            samples *= np.linspace(self.gain, target, samples.size, dtype=np.float32)
        self.gain = target
