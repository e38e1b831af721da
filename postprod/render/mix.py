"""Mixing: the levelled tracks summed (each turned down where it only carries the others), the
kept spans played in turn and joined by equal-power crossfades, band-limited as the codecs will."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi

from postprod.render.decode import BLOCK, RATE, DecodedAudio
from postprod.render.plan import CROSSFADE_S
from roomcast.own_speech import gate_gain

BLEED_GATE_DB, GATE_FADE_S = -30.0, 0.02  # a track only carrying others: turned down, not cut
CODEC_CUTOFF_HZ = 15_000  # about LAME's own low-pass at 96 kb/s; nothing of speech is lost

Reader = Callable[[int, int], np.ndarray]


def crossfaded(pieces: list[tuple[Reader, int, int]]) -> Iterator[np.ndarray]:
    """Blocks of the pieces (reader, first sample, end sample) played in turn, each join
    overlapped by an equal-power crossfade."""
    fade = int(CROSSFADE_S * RATE)
    ramp = np.linspace(0, np.pi / 2, fade, dtype=np.float32)
    fade_in, fade_out = np.sin(ramp), np.cos(ramp)
    tail: np.ndarray | None = None
    for number, (read, start, end) in enumerate(pieces):
        last_piece = number == len(pieces) - 1
        position = start
        while position < end:
            count = min(BLOCK, end - position)
            if 0 < end - position - count < fade:
                count = end - position  # never leave less than a crossfade for the last block
            block = read(position, count)
            if position == start and tail is not None:
                block[:fade] = tail * fade_out + block[:fade] * fade_in
                tail = None
            position += count
            if position >= end and not last_piece:
                block, tail = block[:-fade], block[-fade:].copy()
            if block.size:
                yield block
    if tail is not None:
        yield tail


def mix_reader(tracks: list[tuple[DecodedAudio, float, float]],
               own: list[list[tuple[float, float]] | None] | None = None) -> Reader:
    """The levelled tracks summed; a track is turned down (BLEED_GATE_DB, 20 ms fades) where it
    carries only the others: their bleed mixed back in sounds like a comb filter and an echo."""
    own = own or [None] * len(tracks)

    def read(start: int, count: int) -> np.ndarray:
        out = np.zeros(count, dtype=np.float32)
        for (audio, offset_s, gain), spans in zip(tracks, own):
            first = start - round(offset_s * RATE)
            samples = audio.read(first, count) * np.float32(gain)
            if spans is not None:
                samples *= gate_gain(first / RATE, count, RATE, spans, BLEED_GATE_DB, GATE_FADE_S)
            out += samples
        return out

    return read


def band_limited(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Low-pass at the codecs' own cut-off, so that what is metered here is what the encoder
    keeps (an MP3 at 96 kb/s drops the top octave and, with it, measured loudness)."""
    sections = butter(8, CODEC_CUTOFF_HZ, fs=RATE, output="sos")
    state = sosfilt_zi(sections) * 0.0
    for block in blocks:
        filtered, state = sosfilt(sections, block, zi=state)
        yield filtered.astype(np.float32, copy=False)
