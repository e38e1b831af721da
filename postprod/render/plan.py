"""Planning: a gain per speaker (every voice to the same loudness), and the room time to keep
(off-the-record spans cut, the quiet before the first sound and after the last trimmed, silences
longer than a limit shortened)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from postprod.render.decode import ACTIVITY_FRAME, RATE, DecodedAudio

CROSSFADE_S = 0.02  # each join; a kept span shorter than two of them is dropped
SILENCE_DBFS = -45.0
LEAD_IN_S, TAIL_OUT_S = 0.3, 0.6  # kept before the first sound and after the last (with shortened silences)
SPEAKER_TARGET_LUFS = -23.0
MAX_SPEAKER_GAIN_DB = 24.0


@dataclass
class SpeakerLevel:
    name: str
    loudness_lufs: float  # before levelling; -inf when silent
    gain_db: float


def speaker_gain(name: str, loudness: float) -> SpeakerLevel:
    if not math.isfinite(loudness):
        return SpeakerLevel(name, loudness, 0.0)
    return SpeakerLevel(name, loudness, min(MAX_SPEAKER_GAIN_DB, SPEAKER_TARGET_LUFS - loudness))


def room_activity(tracks: list[tuple[DecodedAudio, float, float]], frames: int) -> np.ndarray:
    """Loudest levelled speaker per 50 ms frame of room time (tracks: audio, offset_s, gain)."""
    combined = np.zeros(frames, dtype=np.float32)
    for audio, offset_s, gain in tracks:
        first = round(offset_s * RATE / ACTIVITY_FRAME)
        values = audio.activity[: max(0, frames - first)] * gain
        np.maximum(combined[first : first + values.size], values, out=combined[first : first + values.size])
    return combined


def edges(silent: np.ndarray, duration: float) -> list[tuple[float, float]]:
    """The quiet before the first sound and after the last, less a breath: an episode opens on
    its first word and closes just after its last, not on a room's setting-up and leaving."""
    sound = np.flatnonzero(~silent)
    if sound.size == 0:
        return []
    frame_s = ACTIVITY_FRAME / RATE
    first, last = sound[0] * frame_s - LEAD_IN_S, (sound[-1] + 1) * frame_s + TAIL_OUT_S
    return [span for span in ((0.0, first), (last, duration)) if span[1] - span[0] > 0]


def kept_spans(duration: float, cuts: list[tuple[float, float]], activity: np.ndarray, max_silence_s: float | None) -> list[tuple[float, float]]:
    removed = [(max(0.0, a), min(duration, b)) for a, b in cuts if b > a]
    if max_silence_s is not None:
        silent = activity < 10 ** (SILENCE_DBFS / 20)
        removed += edges(silent, duration)
        frame_s = ACTIVITY_FRAME / RATE
        run_start = None
        for index, quiet in enumerate(np.append(silent, False)):
            if quiet and run_start is None:
                run_start = index
            elif not quiet and run_start is not None:
                start, end = run_start * frame_s, index * frame_s
                if end - start > max_silence_s:
                    removed.append((start + max_silence_s / 2, end - max_silence_s / 2))
                run_start = None
    kept, cursor = [], 0.0
    for start, end in sorted(removed):
        if start > cursor:
            kept.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < duration:
        kept.append((cursor, duration))
    return [(a, b) for a, b in kept if b - a > 2 * CROSSFADE_S]
