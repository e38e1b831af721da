"""The room's other people's tracks over a stretch of one track: what transcripts.echo takes out.

Each other track is read over the same moments of the room (track offsets placed on the room's
clock) with HISTORY before them, and kept only where it carries its own speaker (the room's
crosstalk decision): its echo of this track is not a reference for it.
"""

from __future__ import annotations

import numpy as np

from roomcast.audio import ASR_RATE, UnreadableAudio, read_excerpt
from roomcast.own_speech import gate, load_own_speech
from roomcast.track_sources import TrackSource, track_sources
from transcripts.echo import HISTORY
from transcripts.track_progress import Others


def others_of(room_id: int, track_id: int) -> Others | None:
    """A reader of the other people's tracks for this track; None where it has nobody to hear."""
    sources = track_sources(room_id)
    me = next(s for s in sources if s.track_id == track_id)
    others = [s for s in sources if s.participant_id != me.participant_id]
    if not others:
        return None
    own = load_own_speech(room_id)

    def read(start_s: float, count: int) -> list[np.ndarray]:
        room_s = me.offset_s + start_s - HISTORY / ASR_RATE
        return [_aligned(other, room_s, count + HISTORY, own.get(other.track_id)) for other in others]

    return read


def _aligned(source: TrackSource, room_s: float, count: int, own: list | None) -> np.ndarray:
    """``count`` samples of the source from the room's moment ``room_s`` (zeros where it has none)."""
    out = np.zeros(count, np.float32)
    track_s = room_s - source.offset_s
    first = max(0, round(-track_s * ASR_RATE))
    if first >= count:
        return out
    try:
        excerpt = read_excerpt(source.path, max(0.0, track_s), (count - first) / ASR_RATE)
    except UnreadableAudio:
        return out
    samples = excerpt.samples if own is None else gate(excerpt.samples, excerpt.start_s, ASR_RATE, own)
    samples = samples[: count - first]
    out[first : first + samples.size] = samples
    return out
