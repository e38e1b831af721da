"""Band levels of a track every 10 ms: what the crosstalk decision compares across tracks.

A track's envelope is a (frames, BANDS) array of levels in dB, frame ``i`` covering the 20 ms
from ``i * FRAME_S`` of the track. It is small (an hour of one track: 360,000 frames, 11 MB in
float16) and grows with the track: live rooms extend it every round of live transcription,
so when a room ends only the last seconds of each track are left to read (decoding a whole
hour-long track again costs about 25 s of CPU at 16 kHz).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from roomcast.audio import ASR_RATE, UnreadableAudio, read_excerpt
from roomcast.storage import get_media_store

FRAME_S = 0.01
HOP = int(FRAME_S * ASR_RATE)  # 160 samples
WINDOW = 2 * HOP  # 20 ms, Hann: bands resolved without smearing a syllable over 30 ms
# Band edges in Hz: the speech range, finer where voices differ most (formants).
EDGES_HZ = (100, 250, 400, 600, 850, 1150, 1500, 2000, 2600, 3400, 4400, 5600, 8000)
BANDS = len(EDGES_HZ) - 1
FLOOR_DB = -120.0
READ_S = 600.0

_BINS = np.fft.rfftfreq(WINDOW, 1 / ASR_RATE)
_BAND_OF_BIN = np.digitize(_BINS, EDGES_HZ) - 1
_WINDOW = np.hanning(WINDOW).astype(np.float32)
_NORM = float(np.sum(_WINDOW**2)) * WINDOW / 2  # a full-scale sine reads about 0 dB


def band_levels(samples: np.ndarray) -> np.ndarray:
    """Levels (dB) per band of every whole 20 ms frame at 10 ms steps of 16 kHz ``samples``."""
    frames = (samples.size - WINDOW) // HOP + 1
    if frames <= 0:
        return np.zeros((0, BANDS), np.float16)
    strided = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP][:frames]
    power = np.abs(np.fft.rfft(strided * _WINDOW, axis=1)) ** 2 / _NORM
    bands = np.zeros((frames, BANDS), np.float64)
    for band in range(BANDS):
        bands[:, band] = power[:, _BAND_OF_BIN == band].sum(axis=1)
    return (10 * np.log10(bands + 10 ** (FLOOR_DB / 10))).astype(np.float16)


def envelope_key(room_id: int, track_id: int) -> str:
    return f"rooms/{room_id}/crosstalk/track-{track_id}.npy"


def load(key: str) -> np.ndarray:
    """The envelope as last written (read once per version: the room's captions read it every poll)."""
    path = get_media_store().path(key)
    try:
        version = path.stat().st_mtime_ns
    except FileNotFoundError:
        return np.zeros((0, BANDS), np.float16)
    return _read(path, version)


@functools.lru_cache(maxsize=32)  # an hour-long track: 11 MB
def _read(path: Path, version: int) -> np.ndarray:
    levels = np.load(path)
    levels.setflags(write=False)
    return levels


def extend(path: Path, key: str, final: bool) -> np.ndarray:
    """The track's envelope, extended over what was written since it was last extended.

    A live segment is read up to its current end; the frames whose 20 ms are not all there yet
    wait for the next round. ``final``: the track is closed, read it to its end.
    """
    store = get_media_store()
    levels = load(key)
    added: list[np.ndarray] = []
    while True:
        start_s = levels.shape[0] * FRAME_S + sum(a.shape[0] for a in added) * FRAME_S
        try:
            excerpt = read_excerpt(path, start_s, READ_S)
        except UnreadableAudio:
            if not final:
                break  # a segment just opened may not have a whole page yet
            raise
        chunk = band_levels(excerpt.samples)
        if excerpt.at_end and final and excerpt.samples.size > HOP * chunk.shape[0]:
            tail = np.zeros(WINDOW, np.float32)  # the last part-frame, padded with quiet
            rest = excerpt.samples[HOP * chunk.shape[0]:][:WINDOW]
            tail[: rest.size] = rest
            chunk = np.concatenate([chunk, band_levels(tail)])
        added.append(chunk)
        if excerpt.at_end or chunk.shape[0] == 0:
            break
    if added and sum(a.shape[0] for a in added):
        levels = np.concatenate([levels, *added])
        if load(key).shape[0] >= levels.shape[0]:
            return levels  # the captions' round and live transcription's both extend it: never shorten it
        with store.atomic_path(key) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, levels)
    return levels
