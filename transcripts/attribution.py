"""Words kept on the track whose speaker said them.

Two rules, after the crosstalk decision (transcripts.crosstalk) has said when each track carries
its own speaker:

1. A word stands on a track only where most of it lies in that track's own speech, or 0.15 s
   of it across the edge of that speech (a word too short to say, by its middle, with
   ``TOLERANCE_S``: the decision works on 10 ms frames, Whisper's word times are good to about
   0.1 s). Live transcription decodes tracks before the room's decision exists; this is where
   its words of others are dropped.
2. The same word at the same time on two tracks is one utterance heard twice (what the gate
   let through in a turn's first or last moments, or a copy louder than the decision
   expected): it stays on the track that carries it loudest. Two people really saying one
   word at once lose one copy of it, which is rarer than bleed by far.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace

import numpy as np

from roomcast.own_speech import load_own_speech
from transcripts import envelopes
from transcripts.envelopes import FRAME_S
from transcripts.transcription import Utterance

TOLERANCE_S = 0.15
OWN_SHARE = 0.5  # a word stays where at least this share of it is the track's own
# ... or, across the edge of the speaker's own speech, this much of it: Whisper stretches a
# turn's first or last word into the gated quiet next to it ('To' at 32.59-33.07 s, the
# speaker's own sound from 32.88 s; 'fly.' 0.16 s into its 0.38 s). A word of someone else's
# reaching this far into the speaker's own speech is a copy at the same time: rule 2 drops it.
EDGE_S = 0.15
SAME_TIME_S = 0.5  # bleed is 0-50 ms late, echo up to 400 ms
_WORD = re.compile(r"[^\w']+")


def own_words(utterances: list[Utterance], own: list[tuple[float, float]] | None) -> list[Utterance]:
    """The utterances with only the words that lie mostly in ``own`` (track seconds); None: all.

    Mostly, not at their middle: a track carrying another speaker is closed only where the bleed
    is loud, and left open in the gaps between its syllables, so a word that live transcription
    decoded from the bleed (before the room's decision existed) has open moments in it, and a
    middle within 0.15 s of one kept the word.
    """
    if own is None:
        return utterances
    starts = np.array([a for a, _ in own])
    ends = np.array([b for _, b in own])

    def mostly_inside(start: float, end: float) -> bool:
        if end - start < 2 * TOLERANCE_S:  # a word without a length: its middle decides, give or take
            middle = (start + end) / 2
            index = int(np.searchsorted(starts, middle + TOLERANCE_S, side="right")) - 1
            return index >= 0 and middle - TOLERANCE_S <= ends[index]
        first = max(0, int(np.searchsorted(ends, start, side="right")))
        last = int(np.searchsorted(starts, end, side="left"))
        covered = float(np.sum(np.clip(np.minimum(ends[first:last], end) - np.maximum(starts[first:last], start), 0, None)))
        if covered >= OWN_SHARE * (end - start):
            return True
        # Across the edge of the speaker's own speech: one span holds its start or its end, and EDGE_S of it.
        return any((a <= start < b or a < end <= b) and min(b, end) - max(a, start) >= EDGE_S
                   for a, b in zip(starts[first:last], ends[first:last], strict=True))

    kept = []
    for utterance in utterances:
        if not utterance.words:
            if mostly_inside(utterance.start, utterance.end):
                kept.append(utterance)
            continue
        words = [w for w in utterance.words if mostly_inside(w.start, w.end)]
        if len(words) == len(utterance.words):
            kept.append(utterance)
        elif words:
            kept.append(replace(utterance, start=words[0].start, end=words[-1].end,
                                text=" ".join(w.word for w in words), words=words))
    return kept


def normalised(word: str) -> str:
    return _WORD.sub("", word.lower())


def loudest_copy(per_track: list[tuple[float, list[Utterance], np.ndarray | None]]) -> list[list[Utterance]]:
    """Each track's utterances without the words another track carries louder at the same time.

    ``per_track``: (offset on the room clock, utterances in track seconds, the track's band
    levels in dB per frame, or None where unknown).
    """
    heard: dict[str, list[tuple[float, int, float]]] = {}
    per_track = [(offset, utterances, _frame_levels(levels)) for offset, utterances, levels in per_track]
    for number, (offset, utterances, levels) in enumerate(per_track):
        for utterance in utterances:
            for word in utterance.words:
                key = normalised(word.word)
                if key:
                    level = _level(levels, word.start, word.end)
                    heard.setdefault(key, []).append((word.start + offset, number, level))
    for entries in heard.values():
        entries.sort()
    times = {key: [at for at, _, _ in entries] for key, entries in heard.items()}
    result = []
    for number, (offset, utterances, levels) in enumerate(per_track):
        kept = []
        for utterance in utterances:
            words = [w for w in utterance.words
                     if not _louder_elsewhere(heard, times, w, number, offset, _level(levels, w.start, w.end))]
            if len(words) == len(utterance.words):
                kept.append(utterance)
            elif words:
                kept.append(replace(utterance, start=words[0].start, end=words[-1].end,
                                    text=" ".join(w.word for w in words), words=words))
        result.append(kept)
    return result


def _louder_elsewhere(heard: dict, times: dict, word, number: int, offset: float, level: float) -> bool:  # type: ignore[no-untyped-def]
    """Whether another track has this word within SAME_TIME_S, louder (ties: the earlier track keeps it).
    Entries are sorted by time: a common word ("the") is said thousands of times in an hour."""
    key, at = normalised(word.word), word.start + offset
    entries = heard.get(key, ())
    first = bisect.bisect_left(times.get(key, ()), at - SAME_TIME_S)
    for other_at, other, other_level in entries[first:]:
        if other_at > at + SAME_TIME_S:
            break
        if other != number and (other_level, -other) > (level, -number):
            return True
    return False


def _frame_levels(levels: np.ndarray | None) -> np.ndarray | None:
    """Each frame's level over all bands (dB), once per track rather than once per word."""
    if levels is None or levels.shape[0] == 0:
        return None
    return 10 * np.log10((10 ** (levels.astype(np.float64) / 10)).sum(axis=1) + 1e-15)


def _level(levels: np.ndarray | None, start: float, end: float) -> float:
    """The track's loudest frame (dB, from _frame_levels) between two of its times."""
    if levels is None:
        return -np.inf
    a = max(0, int(start / FRAME_S))
    b = min(levels.shape[0], max(a + 1, int(np.ceil(end / FRAME_S))))
    return float(levels[a:b].max()) if a < b else -np.inf


def attributed(room_id: int, tracks: list[tuple[int, float, list[Utterance]]]) -> list[list[Utterance]]:
    """Both rules over a room's tracks (track id, offset, utterances). While the room is live there
    is no decision yet, and only the second rule applies: on the levels live transcription keeps."""
    own = load_own_speech(room_id)
    heard = [(offset, own_words(utterances, own.get(track_id)), envelopes.load(envelopes.envelope_key(room_id, track_id)))
             for track_id, offset, utterances in tracks]
    return loudest_copy(heard)
