"""How far one track's transcription has got, and taking it further as the track grows.

A live segment is transcribed while capture still writes it: every few seconds the audio after
``done_s`` is decoded, cut into turns, and the turns already over (a second of quiet after them,
or a full 28 s) are transcribed. The turn still being spoken waits for the next round, so when
the room ends only each speaker's last turn is left. The same code, with ``final``, finishes a
track, and transcribes a whole track after the fact: reading at most ten minutes at a time,
so a two-hour import holds ten minutes of 16 kHz samples (38 MB), not two hours.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from roomcast.audio import ASR_RATE, Excerpt, UnreadableAudio, read_excerpt
from roomcast.own_speech import Spans, closed_within, gate
from roomcast.storage import get_media_store
from transcripts.echo import cancelled
from transcripts.transcription import TURN_GAP_S, Utterance, transcribe_turns, turns
from transcripts.whisper_models import knows_language

# The room's other tracks from a track time, for so many samples (see transcripts.echo.cancelled).
Others = Callable[[float, int], list[np.ndarray]]
WINDOW_S = 600.0
# A turn is over once this much quiet follows its (VAD-padded) end: then nothing said next joins it.
SETTLED_S = TURN_GAP_S
MIN_STEP_S = 0.5
REREAD_BEFORE_S = 0.3  # a turn still being spoken is read again from a little before its start
WORD_TAIL_S = 0.4  # a word's sound goes on a little past its aligned end (as VAD pads speech)
# Turns that are over wait to be packed into one Whisper window (see transcription.packs) until
# they hold this much speech, or the oldest has waited this long: live captions lag by at most that.
PACK_SPEECH_S, PACK_WAIT_S = 20.0, 15.0
QUIET_PEAK = 10 ** (-50 / 20)  # -50 dBFS: no speech under it
SEAM_S = 0.2
# Where a track carries only others, Whisper hears it 60 dB down, not as digital silence: zeros
# around a turn changed how tiny.en decoded the turn itself (an echo room lost words a clean one kept).
GATE_FLOOR_DB = -60.0


@dataclass
class TrackProgress:
    done_s: float = 0.0  # the audio before this is cut into turns (times from the track's start)
    utterances: list[Utterance] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    final: bool = False  # the whole track is transcribed
    pending: list[tuple[float, float]] = field(default_factory=list)  # turns over, not transcribed yet
    live_closed: Spans = field(default_factory=list)  # what live rounds' gates closed (transcripts.revisit)

    @property
    def read_from(self) -> float:
        return self.pending[0][0] if self.pending else self.done_s

    def to_json(self) -> str:
        return json.dumps({"done_s": self.done_s, "final": self.final, "warnings": self.warnings,
                           "pending": self.pending, "live_closed": self.live_closed,
                           "utterances": [u.to_dict() for u in self.utterances]},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> TrackProgress:
        data = json.loads(text)
        return cls(data["done_s"], [Utterance.from_dict(u) for u in data["utterances"]], data["warnings"],
                   data["final"], [tuple(p) for p in data.get("pending", [])],
                   [tuple(c) for c in data.get("live_closed", [])])

    def record_gate(self, start_s: float, end_s: float, own: Spans | None) -> None:
        """Remember what a round's gate closed over [start_s, end_s): a later round's replaces an earlier one's."""
        kept = [(a, b) for a, b in self.live_closed if b <= start_s or a >= end_s]
        kept += [(a, start_s) for a, b in self.live_closed if a < start_s < b]
        kept += [(end_s, b) for a, b in self.live_closed if a < end_s < b]
        self.live_closed = sorted(kept + closed_within(own, start_s, end_s))


def progress_key(room_id: int, track_id: int) -> str:
    return f"rooms/{room_id}/transcripts/track-{track_id}.progress.json"


def load_progress(room_id: int, track_id: int) -> TrackProgress:
    store, key = get_media_store(), progress_key(room_id, track_id)
    return TrackProgress.from_json(store.read_text(key)) if store.exists(key) else TrackProgress()


class Tails:
    """Each live segment's audio decoded past its ``done_s``, kept from one round to the next.

    The turn still being spoken is read again every round; without this, its audio was decoded
    again each time, which cost more than transcribing it. Bounded: the least recently used
    tails go first (a worker may see segments that another worker finishes).
    """

    def __init__(self, capacity: int = 64) -> None:
        self._lock = threading.Lock()
        self._tails: OrderedDict[Path, Excerpt] = OrderedDict()
        self._capacity = capacity

    def read(self, path: Path, start_s: float, max_s: float) -> Excerpt:
        with self._lock:
            cached = self._tails.pop(path, None)
        if cached is None or not cached.at_end or cached.damage or not cached.start_s <= start_s <= cached.end_s:
            return read_excerpt(path, start_s, max_s)
        # The last moments of the kept audio went through the resampler's flush at the old end of
        # the file: they are decoded again, so the seam is where both decodings are steady.
        first = round((start_s - cached.start_s) * cached.rate)
        seam = max(first, cached.samples.size - round(SEAM_S * cached.rate))
        kept = cached.samples[first:seam]
        fresh = read_excerpt(path, cached.start_s + seam / cached.rate, max(0.0, max_s - kept.size / cached.rate))
        return Excerpt(np.concatenate([kept, fresh.samples]), start_s, cached.rate, fresh.at_end, fresh.damage)

    def keep(self, path: Path, excerpt: Excerpt, done_s: float) -> None:
        """Keep what lies past ``done_s``: the next round starts there."""
        skip = min(excerpt.samples.size, max(0, round((done_s - excerpt.start_s) * excerpt.rate)))
        tail = Excerpt(excerpt.samples[skip:].copy(), excerpt.start_s + skip / excerpt.rate, excerpt.rate,
                       excerpt.at_end, excerpt.damage)
        with self._lock:
            self._tails[path] = tail
            while len(self._tails) > self._capacity:
                self._tails.popitem(last=False)

    def forget(self, path: Path) -> None:
        with self._lock:
            self._tails.pop(path, None)


live_tails = Tails()  # this worker process's: follow_room's rounds share it


def advance(path: Path, progress: TrackProgress, language: str | None, final: bool,
            on_progress: Callable[[float], None] | None = None, tails: Tails | None = None,
            own: list[tuple[float, float]] | None = None, hotwords: str | None = None,
            others: Others | None = None) -> TrackProgress:
    """Transcribe the turns that are over since ``progress.done_s`` (with ``final``: all of them).

    ``own``: the spans (track seconds) where the track carries its own speaker (transcripts.crosstalk);
    the rest is silenced before the VAD and Whisper hear it. None: the whole track is its own.
    ``others``: the room's other tracks over a stretch of this one, whose echo is taken out first
    (transcripts.echo).
    ``hotwords``: the show's own words, spelled as the show spells them (transcription.vocabulary).
    """
    read = tails.read if tails else read_excerpt
    if not knows_language(language):
        if f"language {language!r}" not in " ".join(progress.warnings):
            progress.warnings.append(f"Whisper does not know the show's language {language!r}: "
                                     "each turn's language is detected instead")
        language = None
    while not progress.final:
        try:
            excerpt = read(path, progress.read_from, WINDOW_S)
        except UnreadableAudio as error:
            if not final:
                return progress  # a segment just opened may not have a whole page yet
            progress.warnings.append(f"could not be decoded for transcription ({error})")
            progress.final = True
            break
        finishing = final and (excerpt.at_end or excerpt.damage is not None)
        samples = own_sound(excerpt, own, others)
        floor = _index(progress.done_s, excerpt)  # turns before it are known: pending, or transcribed
        spans = [(s + floor, e + floor) for s, e in speech_turns(samples[floor:])]
        newly = spans if finishing else settled(spans, excerpt.samples.size)
        ready = [(_index(a, excerpt), _index(b, excerpt)) for a, b in progress.pending] + newly
        if finishing or worth_a_window(ready, excerpt.samples.size):
            quiet_from, quiet_until = _quiet_bounds(progress, excerpt, spans[len(newly):])
            # Skipped speech is decoded again only in the final pass: live rounds must keep up with the room.
            progress.utterances += transcribe_turns(samples, ready, excerpt.start_s, language,
                                                    quiet_from, quiet_until, hotwords, fill_holes=finishing)
            progress.pending = []
        else:
            progress.pending = [(_seconds(a, excerpt), _seconds(b, excerpt)) for a, b in ready]
        # Every round, decoding or not: a gate that closed speech found no turn there to decode.
        progress.record_gate(excerpt.start_s, excerpt.end_s, own)
        done_s = next_start(excerpt, spans, newly, floor, finishing)
        if excerpt.damage and final:
            progress.warnings.append(excerpt.damage)
        moved = done_s > progress.done_s
        progress.done_s, progress.final = done_s, finishing
        if on_progress:
            on_progress(done_s)
        if excerpt.at_end or not moved:
            break
    if tails:
        if progress.final:
            tails.forget(path)
        elif excerpt.at_end:
            tails.keep(path, excerpt, progress.read_from)
    return progress


def own_sound(excerpt: Excerpt, own: Spans | None, others: Others | None) -> np.ndarray:
    """What Whisper is given of an excerpt: the others' echo taken out, then the track gated to ``own``."""
    samples = excerpt.samples if others is None else cancelled(excerpt.samples, others(excerpt.start_s, excerpt.samples.size))
    return samples if own is None else gate(samples, excerpt.start_s, ASR_RATE, own, GATE_FLOOR_DB)


def speech_turns(samples: np.ndarray) -> list[tuple[int, int]]:
    """Turns, but audio that stays under QUIET_PEAK (a speaker listening, muted by the room's
    noise suppression) is not given to the VAD at all: most of a live room's tracks are that."""
    if samples.size == 0 or float(np.max(np.abs(samples))) < QUIET_PEAK:
        return []
    return turns(samples)


def _quiet_bounds(progress: TrackProgress, excerpt: Excerpt, waiting: list[tuple[int, int]]) -> tuple[int, int]:
    """Where context for the turns now transcribed must stop: the words already transcribed
    (a little after the last one) and the turn still being spoken."""
    last_word = max((u.end for u in progress.utterances), default=None)
    quiet_from = _index(last_word + WORD_TAIL_S, excerpt) if last_word is not None else 0
    return quiet_from, waiting[0][0] if waiting else excerpt.samples.size


def _index(seconds: float, excerpt: Excerpt) -> int:
    return min(excerpt.samples.size, max(0, round((seconds - excerpt.start_s) * ASR_RATE)))


def _seconds(index: int, excerpt: Excerpt) -> float:
    return round(excerpt.start_s + index / ASR_RATE, 3)


def worth_a_window(ready: list[tuple[int, int]], size: int) -> bool:
    """Enough speech to fill a window, or turns that have waited long enough."""
    if not ready:
        return False
    speech = sum(e - s for s, e in ready)
    return speech >= PACK_SPEECH_S * ASR_RATE or size - ready[0][1] >= PACK_WAIT_S * ASR_RATE


def settled(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """The leading turns that are over: followed by a next turn or by SETTLED_S of quiet."""
    quiet = int(SETTLED_S * ASR_RATE)
    over = [span for number, span in enumerate(spans)
            if number + 1 < len(spans) or span[1] + quiet <= size]
    return over


def next_start(excerpt: Excerpt, spans: list[tuple[int, int]], newly: list[tuple[int, int]], floor: int,
               finishing: bool) -> float:
    """Where the next round cuts turns from: after the last turn that is over, before any turn not yet."""
    if finishing:
        return round(excerpt.end_s, 3)
    waiting = spans[len(newly):]
    if waiting:  # read again from a little before the turn still being spoken
        edge = waiting[0][0] - int(REREAD_BEFORE_S * ASR_RATE)
    else:  # only quiet after the last turn: keep a tail of it, speech may begin there
        edge = excerpt.samples.size - int(SETTLED_S * ASR_RATE)
    if edge - floor < int(MIN_STEP_S * ASR_RATE):
        edge = floor  # not worth a move: a turn that just began is read again from where it was
    edge = max(edge, newly[-1][1] if newly else floor)
    return _seconds(edge, excerpt)


def transcribe_file(path: Path, language: str | None, hotwords: str | None = None) -> list[Utterance]:
    """A whole file at once (tests, benchmarks, imports): the final round from the start."""
    return advance(path, TrackProgress(), language, final=True, hotwords=hotwords).utterances
