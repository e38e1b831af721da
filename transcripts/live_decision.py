"""The crosstalk decision while a room is live: which track carries its own speaker just now.

The room's decision (transcripts.crosstalk) is made once, when the room ends, from every
second of every track. Captions cannot wait for it: a track that carries another speaker's
sound (a leaking headset, a laptop playing the room back) would be captioned with that
speaker's words under its own name. So each round decides again over the last ``WINDOW_S`` of
the room, with the same rule, from the levels every round extends (transcripts.envelopes).
Couplings need a source to have spoken for half a second in the window; until then its bleed
is not recognised, which is why the window reaches two minutes back. Deciding four tracks over
two minutes takes a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roomcast.own_speech import Spans
from transcripts.crosstalk import TrackLevels, decide
from transcripts.envelopes import FRAME_S

WINDOW_S = 120.0
SOUNDED_DB = 20.0  # a track whose loudest moment is this far above its quiet carried sound
FOREVER_S = 1e9


@dataclass(frozen=True)
class LiveTrack:
    track_id: int
    person: int | None
    offset_s: float  # on the room's clock
    levels: np.ndarray  # the track's envelope so far


def live_own_speech(tracks: list[LiveTrack], window_s: float = WINDOW_S) -> dict[int, Spans]:
    """Each track's own-speech spans (track seconds) over the room's last ``window_s``.

    Outside the window nothing is known, so those times count as the track's own: before it,
    the earlier rounds decided; after the levels' end, nothing is written yet.
    """
    ends = [t.offset_s + t.levels.shape[0] * FRAME_S for t in tracks]
    if not tracks or max(ends) <= 0:
        return {}
    window_start = max(ends) - window_s
    heads = {t.track_id: max(0, int((window_start - t.offset_s) / FRAME_S)) for t in tracks}
    recent = [TrackLevels(t.track_id, t.person, t.offset_s + heads[t.track_id] * FRAME_S, t.levels[heads[t.track_id]:])
              for t in tracks if t.levels.shape[0] > heads[t.track_id]]
    # Only tracks that carried sound in the window are compared (each pair costs a lag search):
    # on a stage of fifty, most are quiet, carry nobody, and have nothing to caption.
    decided = decide([t for t in recent if _sounded(t.levels)])
    result: dict[int, Spans] = {}
    # A quiet track was not decided: it is its own everywhere (there is nothing on it to caption).
    for track in tracks:
        head_s = heads[track.track_id] * FRAME_S
        if track.track_id not in decided:
            result[track.track_id] = [(0.0, FOREVER_S)]
            continue
        spans = [(round(a + head_s, 3), round(b + head_s, 3)) for a, b in decided[track.track_id]]
        before = [(0.0, head_s)] if head_s > 0 else []
        result[track.track_id] = before + spans + [(round(track.levels.shape[0] * FRAME_S, 3), FOREVER_S)]
    return result


def _sounded(levels: np.ndarray) -> bool:
    """Whether any moment of the window is well above the track's quiet (speech or someone's bleed)."""
    if levels.shape[0] == 0:
        return False
    total = 10 * np.log10((10 ** (levels.astype(np.float32) / 10)).sum(axis=1) + 1e-12)
    return bool(np.max(total) - np.percentile(total, 10) >= SOUNDED_DB)
