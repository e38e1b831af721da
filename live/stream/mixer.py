"""A room's live mix: every speaker played out, levelled, summed and limited, block by block.

Blocks are whatever a step asks for (200 ms, ``room_stream.TICK_S``). The mix is float, mono, 48 kHz; the
limiter holds it under -1 dBTP with the same look-ahead limiter the episode master uses,
which delays the mix by its reach (about 20 ms).
"""

from __future__ import annotations

import numpy as np

from live.stream.jitter import RATE, SpeakerInput
from live.stream.leveller import Leveller
from roomcast.limiter import TruePeakLimiter, true_peak_envelope

CEILING_DBTP = -1.0
UNDER_ANY_TRUE_PEAK = 10 ** ((CEILING_DBTP - 1.0 - 3.5) / 20)  # limiter margin and inter-sample overshoot


class LiveMixer:
    def __init__(self) -> None:
        self.speakers: dict[str, tuple[SpeakerInput, Leveller]] = {}
        self.cursor = 0  # the mix position rendered so far
        self.limiter = TruePeakLimiter(RATE, CEILING_DBTP)
        self._tail = np.zeros(2 * self.limiter.reach, np.float32)  # unlimited samples held for look-ahead

    def add(self, identity: str, ssrc: int, timestamp: int, payload: bytes, arrival: int) -> None:
        if identity not in self.speakers:
            self.speakers[identity] = (SpeakerInput(), Leveller())
        self.speakers[identity][0].add(ssrc, timestamp, payload, arrival, self.cursor)

    def pause(self, identity: str) -> None:
        """Their stream stopped (muted, off the stage, gone): what is queued still plays, and
        their next packet is placed where it arrives. Someone silent for a while is forgotten."""
        if identity in self.speakers:
            self.speakers[identity][0].ssrc = None
        for gone in [i for i, (s, _) in self.speakers.items() if s.idle(self.cursor)]:
            del self.speakers[gone]

    def render(self, until: int) -> np.ndarray:
        """The limited mix from the last position rendered up to ``until`` (less the look-ahead)."""
        size = until - self.cursor
        if size <= 0:
            return np.zeros(0, np.float32)
        block = np.zeros(size, np.float32)
        voice = np.empty(size, np.float32)
        for speaker, leveller in self.speakers.values():
            voice.fill(0.0)
            if speaker.render(self.cursor, voice):
                leveller.apply(voice)
                block += voice
        self.cursor = until
        return self._limit(block)

    def _limit(self, block: np.ndarray) -> np.ndarray:
        """Limit with ``reach`` samples of context on each side: the output lags by one reach."""
        reach = self.limiter.reach
        signal = np.concatenate([self._tail, block])
        # A true peak is at most about 3 dB above the sample peak: below that, nothing to limit.
        gain = None if np.abs(signal).max() < UNDER_ANY_TRUE_PEAK else self.limiter.gain(true_peak_envelope(signal))
        limited = signal if gain is None else signal * gain
        out = limited[reach:signal.size - reach]
        self._tail = signal[-2 * reach:]
        return np.clip(out, -1.0, 1.0).astype(np.float32, copy=False)
