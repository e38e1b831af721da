"""Which track carries its own speaker when: the crosstalk decision as a product.

transcripts/ decides it (transcripts.crosstalk) and writes it once per room; the transcript
keeps only the words said inside a track's own speech, and the mix (postprod.render) gates
the bleed out of each track with the same spans. Both read it here, so neither imports the
other: the decision is a file, like every product handed downstream.
"""

from __future__ import annotations

import bisect
import json

import numpy as np

from roomcast.storage import get_media_store

Spans = list[tuple[float, float]]  # (start, end) in track seconds, sorted and disjoint


def own_speech_key(room_id: int) -> str:
    return f"rooms/{room_id}/crosstalk/own-speech.json"


def save_own_speech(room_id: int, decided: dict[int, Spans]) -> None:
    get_media_store().write_text(own_speech_key(room_id), json.dumps(decided))


def load_own_speech(room_id: int) -> dict[int, Spans]:
    """Each track's own-speech spans (track seconds); {} for a room decided before there was a decision."""
    store, key = get_media_store(), own_speech_key(room_id)
    if not store.exists(key):
        return {}
    return {int(track): [tuple(span) for span in value] for track, value in json.loads(store.read_text(key)).items()}


def gate(samples: np.ndarray, start_s: float, rate: int, own: Spans,
         floor_db: float = -120.0, fade_s: float = 0.01) -> np.ndarray:
    """``samples`` (from ``start_s``) kept where ``own`` says, faded to ``floor_db`` elsewhere."""
    return samples * gate_gain(start_s, samples.size, rate, own, floor_db, fade_s)


def gate_gain(start_s: float, count: int, rate: int, own: Spans,
              floor_db: float = -120.0, fade_s: float = 0.01) -> np.ndarray:
    """Gain per sample: 1 inside ``own`` spans, ``floor_db`` outside, with linear fades of ``fade_s``."""
    floor = np.float32(10 ** (floor_db / 20)) if floor_db > -120 else np.float32(0)
    gain = np.full(count, floor, np.float32)
    fade = max(1, int(fade_s * rate))
    end_s = start_s + count / rate
    ends = [b for _, b in own]  # spans are sorted and disjoint: only those near this block matter
    for a, b in own[bisect.bisect_left(ends, start_s - fade_s):]:
        if a >= end_s + fade_s:
            break
        first, last = round((a - start_s) * rate), round((b - start_s) * rate)
        lo, hi = max(0, first - fade), min(count, last + fade)
        index = np.arange(lo, hi)
        ramp = np.minimum(np.clip((index - (first - fade)) / fade, 0, 1), np.clip(((last + fade) - index) / fade, 0, 1))
        gain[lo:hi] = np.maximum(gain[lo:hi], floor + (1 - floor) * ramp.astype(np.float32))
    return gain


def closed_within(own: Spans | None, start_s: float, end_s: float) -> Spans:
    """Where a gate of ``own`` spans closes the stretch [start_s, end_s); None closes nothing."""
    if own is None:
        return []
    closed, cursor = [], start_s
    for a, b in own:
        if b <= cursor:
            continue
        if a >= end_s:
            break
        if a > cursor:
            closed.append((round(cursor, 3), round(a, 3)))
        cursor = max(cursor, b)
    if cursor < end_s:
        closed.append((round(cursor, 3), round(end_s, 3)))
    return closed
