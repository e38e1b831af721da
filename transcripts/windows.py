"""Whisper's windows: a track's turns packed into 30 s windows, and the words heard put back.

Whisper's encoder always reads 30 s, so short turns transcribed one by one each paid for a
whole window; packed, with JOIN_S of quiet between them, they share one. Each word heard in a
pack is placed back on its own turn, and a word in the quiet given around a turn (where Whisper
invents) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from roomcast.audio import ASR_RATE
from transcripts.utterances import Utterance, Word

MAX_TURN_S = 28.0  # under Whisper's 30 s window, so a turn is decoded in one piece
# The quiet around a turn that its window includes, up to the speaker's previous and next speech:
# a short recording is then heard whole, as the bare model hears it (on the FLEURS clips: the
# same words as the model given each whole clip; with 0.5 s before and 1 s after, French lost a
# word and English two). Whisper's word alignment starts the first word where the window
# starts, so no word is placed before its turn's own (VAD) start.
CONTEXT_BEFORE_S, CONTEXT_AFTER_S = 3.0, 3.0
JOIN_S = 0.5  # quiet between two turns packed into one window
SPEECH_TOLERANCE_S = 0.3  # a word's middle may lie this far outside its turn's VAD speech
GRID_S = 0.5  # a whole number of Whisper's 10 ms frames (and of its encoder's 20 ms ones)
_GRID = int(GRID_S * ASR_RATE)


@dataclass(frozen=True)
class Piece:
    """One turn inside a pack: where it sits in the pack's audio and in the track's."""

    at: int  # first sample in the pack
    source: int  # the same sample in the track excerpt
    length: int
    speech: tuple[int, int]  # the turn itself (VAD), in the track excerpt


def packs(spans: list[tuple[int, int]], size: int, floor: int = 0, origin: int = 0) -> list[list[Piece]]:
    """Consecutive turns packed into windows of at most MAX_TURN_S of audio.

    Whisper's encoder always reads 30 s, so short turns transcribed one by one each paid for a
    whole window; packed, with JOIN_S of quiet between them, they share one. The first turn of
    a pack gets some quiet before it and the last some after, where there is some: never
    before ``floor`` or from ``size`` on, where other speech of the track is.

    A piece's edges in the quiet, and its place in the pack, lie on a GRID_S grid, so a track's
    sound lands at the same place in Whisper's frames whatever the exact edges of its turns: the
    VAD's edges move by tens of milliseconds with what else a track carries, and tiny.en,
    given the same turn 30-70 ms earlier or later in its window, wrote "as light pollution" as
    "as my pollution" (a bleed room's turn, in which nobody else spoke, beside the clean room's).
    ``origin``: a sample on the track's grid (the grid is the track's, whatever excerpt is read).
    """
    grid = _Grid(origin)
    limit = int(MAX_TURN_S * ASR_RATE)
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and grid.laid_out(groups[-1] + [span], groups[-1][0][0])[-1][0] + span[1] - span[0] <= limit:
            groups[-1].append(span)
        else:
            groups.append([span])
    result = []
    for number, group in enumerate(groups):
        before = groups[number - 1][-1][1] if number else floor
        ceiling = groups[number + 1][0][0] if number + 1 < len(groups) else size
        # Context only: a bound inside a turn (a misplaced last word) never cuts the turn itself,
        # and the quiet before it never pushes the turn's end past the 30 s Whisper reads (a grid
        # step is kept spare; the pieces after the first keep their places whatever the start).
        speech = _reach(grid.laid_out(group, group[0][0]), group)
        room_before = min(int(CONTEXT_BEFORE_S * ASR_RATE), max(0, 30 * ASR_RATE - speech - _GRID))
        start = min(group[0][0], grid.up(max(before, group[0][0] - room_before)))
        laid = grid.laid_out(group, start)
        used = _reach(laid, group)
        # The quiet after: to the grid, unless it runs out first (a recording's end is heard whole:
        # cut to the grid, two French clips lost words that the bare model, given all of it, kept).
        room_after = min(int(CONTEXT_AFTER_S * ASR_RATE), 30 * ASR_RATE - used)
        end = ceiling if ceiling <= group[-1][1] + room_after else grid.down(group[-1][1] + room_after)
        end = max(group[-1][1], end)
        ends = [edge for _, _, edge in laid[:-1]] + [end]
        result.append([Piece(at, first, last - first, span) for (at, first, _), last, span in zip(laid, ends, group)])
    return result


def _reach(laid: list[tuple[int, int, int]], group: list[tuple[int, int]]) -> int:
    """Samples from a laid-out pack's start to the end of its last turn's speech."""
    at, first, _ = laid[-1]
    return at + group[-1][1] - first


def grid_origin(offset_s: float) -> int:
    """The first sample on the track's grid of an excerpt that starts ``offset_s`` into the track."""
    return -round(offset_s * ASR_RATE) % _GRID


@dataclass(frozen=True)
class _Grid:
    """Steps of GRID_S through ``origin``, in a track excerpt's samples and in a pack's."""

    origin: int

    def down(self, sample: int) -> int:
        return (sample - self.origin) // _GRID * _GRID + self.origin

    def up(self, sample: int) -> int:
        return -(-(sample - self.origin) // _GRID) * _GRID + self.origin

    def laid_out(self, group: list[tuple[int, int]], start: int) -> list[tuple[int, int, int]]:
        """Each turn's (place in the pack, first sample in the track, end in the track but for the
        last turn's): edges between turns on the grid, never into the next or previous turn, and
        each turn JOIN_S or a little more after the one before, where the pack and the track agree
        on the grid (the pack starts at ``start``)."""
        join = int(JOIN_S * ASR_RATE)
        laid, at, first = [], 0, start
        for index, (_, span_end) in enumerate(group):
            following = group[index + 1][0] if index + 1 < len(group) else None
            last = span_end if following is None else min(self.up(span_end), following)
            laid.append((at, first, last))
            if following is not None:
                first = max(self.down(following), last)
                # the next piece where its first sample falls in step with the pack's start
                at += last - laid[-1][1] + join
                at += (first - start - at) % _GRID
        return laid


def pack_audio(samples: np.ndarray, pieces: list[Piece]) -> np.ndarray:
    audio = np.zeros(pieces[-1].at + pieces[-1].length, np.float32)
    for piece in pieces:
        audio[piece.at : piece.at + piece.length] = samples[piece.source : piece.source + piece.length]
    return audio


def unpack(utterances: list[Utterance], pieces: list[Piece], offset_s: float) -> list[Utterance]:
    """Pack times back to track times; a segment that spans two turns becomes one utterance each."""
    unpacked = []
    for utterance in utterances:
        by_piece: dict[int, list[Word]] = {}
        for word in utterance.words:
            number = max((i for i, p in enumerate(pieces) if p.at <= word.start * ASR_RATE + 1), default=0)
            if in_speech(word, pieces[number]):
                by_piece.setdefault(number, []).append(_to_track(word, pieces[number], offset_s))
        for words in by_piece.values():
            text = utterance.text if len(by_piece) == 1 else " ".join(w.word for w in words)
            unpacked.append(replace(utterance, start=words[0].start, end=words[-1].end, text=text, words=words))
    return unpacked


def in_speech(word: Word, piece: Piece) -> bool:
    """Whether the word's middle lies in its turn's speech: words in the quiet around it were invented."""
    middle = piece.source + ((word.start + word.end) / 2) * ASR_RATE - piece.at
    tolerance = SPEECH_TOLERANCE_S * ASR_RATE
    return piece.speech[0] - tolerance <= middle <= piece.speech[1] + tolerance


def _to_track(word: Word, piece: Piece, offset_s: float) -> Word:
    """A word in the pack, placed on the track: never before its turn's (VAD) start, nor past its piece."""
    floor, ceiling = piece.speech[0], piece.source + piece.length

    def place(seconds: float) -> float:
        sample = min(max(piece.source + seconds * ASR_RATE - piece.at, floor), ceiling)
        return rounded_s(offset_s + sample / ASR_RATE)

    start = place(word.start)
    return Word(start, max(start, place(word.end)), word.word, word.probability)


def rounded_s(value: float) -> float:
    """Times as transcripts store them: to the millisecond."""
    return round(float(value), 3)
