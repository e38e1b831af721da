"""Turns that live transcription heard through a different crosstalk decision than the room's.

While a room runs, each round gates a track with the decision over the last two minutes
(transcripts.live_decision) before decoding it, and remembers what that gate closed
(``TrackProgress.live_closed``, see TrackProgress.record_gate). The room's decision at the end (transcripts.crosstalk) sees
every second of every track and may differ: a source that had not spoken long enough for its
bleed path to be known, a round that ran before the levels had caught up. Where the two differ
by more than ``MIN_CHANGE_S``, the turns around it are decoded again through the room's gate.

Measured in a live room of four aiortc speakers at -20 dB bleed (tests/test_live_crosstalk.py):
without the live gate and this, a speaker's own turn decoded with the next speaker's bleed after
it wrote "But the easy reach is a romantic impact" under the wrong name, the bleed words' times
squeezed into her own last second, where the room's decision kept them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roomcast.audio import UnreadableAudio, read_excerpt
from roomcast.own_speech import Spans, closed_within
from transcripts.crosstalk import frame_runs
from transcripts.track_progress import Others, TrackProgress, own_sound, speech_turns
from transcripts.transcription import transcribe_turns
from transcripts.utterances import Utterance
from transcripts.whisper_models import knows_language

STEP_S = 0.01
MIN_CHANGE_S = 0.3  # a difference shorter than this is a gate's edge, not a word
JOIN_S = 2.0  # differences this close are one stretch to decode again
MARGIN_S = 0.3
SEAM_S = 0.1  # a replaced utterance's audio is read this far past its words' times


def stretches(live_closed: Spans, final_own: Spans, until_s: float) -> list[tuple[float, float]]:
    """Stretches before ``until_s`` where the room's decision and the live one gated differently:
    runs of difference of MIN_CHANGE_S or more (shorter ones are two gates' edges a few frames
    apart, which every turn has), joined where they lie within JOIN_S of each other."""
    frames = int(until_s / STEP_S)
    if frames <= 0:
        return []
    live, final = np.zeros(frames, bool), np.zeros(frames, bool)
    for mask, spans in ((live, live_closed), (final, closed_within(final_own, 0.0, until_s))):
        for a, b in spans:
            mask[int(a / STEP_S) : int(b / STEP_S)] = True
    runs = [(a, b) for a, b in frame_runs(live != final) if (b - a) * STEP_S >= MIN_CHANGE_S]
    joined: list[list[int]] = []
    for a, b in runs:
        if joined and a - joined[-1][1] <= JOIN_S / STEP_S:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [(a * STEP_S, b * STEP_S) for a, b in joined]


def revisit(path: Path, progress: TrackProgress, language: str | None, own: Spans, hotwords: str | None = None,
            others: Others | None = None) -> TrackProgress:
    """Decode again, through the room's gate ``own``, the turns the live gate heard differently;
    turns found but not yet decoded are found again through it (the final pass decodes them)."""
    language = language if knows_language(language) else None  # as advance: detected per turn
    until_s = progress.read_from
    for first, last in stretches(progress.live_closed, own, until_s):
        start, end, touched = _replaced(progress.utterances, first - MARGIN_S, last + MARGIN_S, until_s)
        try:
            excerpt = read_excerpt(path, start, end - start)
        except UnreadableAudio:
            continue
        samples = own_sound(excerpt, own, others)
        again = transcribe_turns(samples, speech_turns(samples), excerpt.start_s, language, hotwords=hotwords)
        gone = {id(u) for u in touched}
        progress.utterances = sorted([u for u in progress.utterances if id(u) not in gone] + again,
                                     key=lambda u: u.start)
    progress.done_s, progress.pending = until_s, []
    progress.live_closed = closed_within(own, 0.0, until_s)  # done: what was heard is what the room decided
    return progress


def _replaced(utterances: list[Utterance], start: float, end: float, until_s: float) -> tuple[float, float, list[Utterance]]:
    """The stretch to decode again, widened until no utterance kept overlaps it, and those it replaces."""
    start, end = max(0.0, start), min(until_s, end)
    while True:
        touched = [u for u in utterances if u.end > start and u.start < end]
        wider = (max(0.0, min([start, *(u.start - SEAM_S for u in touched)])),
                 min(until_s, max([end, *(u.end + SEAM_S for u in touched)])))
        if wider == (start, end):
            return start, end, touched
        start, end = wider
