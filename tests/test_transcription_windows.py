"""transcripts.transcription's windows, without a model: turns packed into Whisper's 30 s windows
with the quiet around them, words placed back on their own turn, and the holes decoded again."""

from __future__ import annotations

import random

import numpy as np
import pytest

from roomcast.audio import ASR_RATE
from transcripts.transcription import HOLE_S, Utterance, Word, _holes, _words_after, _words_before
from transcripts.windows import (
    CONTEXT_AFTER_S,
    CONTEXT_BEFORE_S,
    GRID_S,
    JOIN_S,
    MAX_TURN_S,
    Piece,
    pack_audio,
    packs,
    unpack,
)


def s(seconds: float) -> int:
    return round(seconds * ASR_RATE)


def seconds(pieces: list[Piece]) -> list[tuple[float, float, float]]:
    """(place in the pack, place in the track, length) of each piece, in seconds."""
    return [(p.at / ASR_RATE, p.source / ASR_RATE, p.length / ASR_RATE) for p in pieces]


def test_short_turns_share_one_window_with_quiet_between_and_around_them() -> None:
    spans = [(s(1), s(3)), (s(5), s(7)), (s(10), s(12))]
    [pack] = packs(spans, size=s(20))
    # 1 s of quiet before the first turn (all there is), JOIN_S between turns, CONTEXT_AFTER_S after the last
    assert JOIN_S == 0.5 and CONTEXT_AFTER_S == 3.0
    assert seconds(pack) == [(0.0, 0.0, 3.0), (3.5, 5.0, 2.0), (6.0, 10.0, 5.0)]
    assert [p.speech for p in pack] == spans


def test_a_window_never_takes_context_from_another_turns_speech() -> None:
    spans = [(s(0), s(20)), (s(22), s(42))]  # too long to share a window
    first, second = packs(spans, size=s(60), floor=0)
    assert seconds(first) == [(0.0, 0.0, 22.0)]  # up to the next turn, not the 3 s it would get
    assert seconds(second) == [(0.0, 20.0, 25.0)]  # from the previous turn's end, then 3 s after
    [alone] = packs([(s(5), s(6))], size=s(7), floor=s(4))  # other speech before 4 s and from 7 s
    assert seconds(alone) == [(0.0, 4.0, 3.0)]


def test_a_bound_inside_a_turn_never_cuts_the_turn_itself() -> None:
    [pack] = packs([(s(5), s(8))], size=s(7), floor=s(6))
    assert seconds(pack) == [(0.0, 5.0, 3.0)]


def test_windows_fit_whisper_and_keep_every_turn_whole_in_order() -> None:
    generator = random.Random(19)
    for _ in range(200):
        spans, cursor = [], generator.uniform(0, 5)
        for _ in range(generator.randint(1, 12)):
            length = generator.uniform(0.3, MAX_TURN_S)
            spans.append((s(cursor), s(cursor + length)))
            cursor += length + generator.uniform(0.2, 8)
        size = s(cursor + generator.uniform(0, 5))
        windows = packs(spans, size)
        pieces = [piece for window in windows for piece in window]
        assert [p.speech for p in pieces] == spans  # each turn once, in order
        for window in windows:
            last = window[-1]
            # the quiet after the last turn never takes a window past the 30 s the encoder reads
            assert last.at + last.length <= 30 * ASR_RATE or last.source + last.length == last.speech[1]
            for piece, following in zip(window, window[1:]):
                assert s(JOIN_S) <= following.at - (piece.at + piece.length) < s(JOIN_S + GRID_S)
        for piece in pieces:
            assert piece.source <= piece.speech[0] and piece.speech[1] <= piece.source + piece.length
            assert piece.source >= max(0, piece.speech[0] - s(CONTEXT_BEFORE_S))
        for earlier, later in zip(pieces, pieces[1:]):
            assert earlier.source + earlier.length <= later.speech[0]  # no other turn's speech in it
            assert later.source >= earlier.speech[1]


def test_turns_whose_edges_move_a_little_are_given_to_whisper_the_same_way() -> None:
    # The same turns as a VAD finds them on a clean track and on one carrying others' bleed
    # (edges 10-70 ms apart, none across a GRID_S step): the same audio at the same place in the window.
    clean = [(s(1.23), s(3.41)), (s(5.61), s(6.98)), (s(10.12), s(12.3))]
    bleed = [(s(1.19), s(3.47)), (s(5.66), s(6.95)), (s(10.05), s(12.33))]
    placed = [[(p.at, p.source, p.length) for p in pack] for pack in packs(clean, size=s(20))]
    assert placed == [[(p.at, p.source, p.length) for p in pack] for pack in packs(bleed, size=s(20))]
    # and each piece's sound keeps its place in Whisper's frames: track and pack agree on the grid
    assert {(at - source) % s(GRID_S) for pack in placed for at, source, _ in pack} == {0}
    # the grid is the track's: an excerpt read from 0.3 s into it is laid out on the same one
    track = [(a + s(3), b + s(3)) for a, b in clean]
    whole = [[(p.at, p.source, p.length) for p in pack] for pack in packs(track, size=s(23))]
    excerpt = [(a - s(0.3), b - s(0.3)) for a, b in track]
    shifted = [[(p.at, p.source + s(0.3), p.length) for p in pack] for pack in packs(excerpt, s(22.7), origin=s(0.2))]
    assert shifted == whole


def test_a_recording_is_heard_to_its_end_not_to_the_grid() -> None:
    [pack] = packs([(s(0.69), s(8.21))], size=s(8.4))  # a clip: all of its quiet after the speech
    assert seconds(pack) == [(0.0, 0.0, 8.4)]
    [pack] = packs([(s(0.69), s(8.21))], size=s(20))  # a track going on: 3 s of quiet, to the grid
    assert seconds(pack) == [(0.0, 0.0, 11.0)]


def test_the_quiet_before_a_long_turn_keeps_its_window_within_30_s() -> None:
    [pack] = packs([(s(10), s(10 + MAX_TURN_S))], size=s(60))
    assert pack[-1].at + pack[-1].length <= 30 * ASR_RATE


def test_pack_audio_is_the_pieces_with_silence_between() -> None:
    track = np.arange(s(14), dtype=np.float32) + 1
    pack = packs([(s(1), s(3)), (s(10), s(12))], size=s(14))[0]
    audio = pack_audio(track, pack)
    assert audio.size == pack[-1].at + pack[-1].length
    second = pack[1]
    assert np.array_equal(audio[second.at : second.at + second.length], track[second.source : second.source + second.length])
    assert not audio[pack[0].length : second.at].any()  # JOIN_S of quiet


def utterance(*words: tuple[float, float, str], text: str | None = None) -> Utterance:
    said = [Word(a, b, w, 0.9) for a, b, w in words]
    return Utterance(said[0].start, said[-1].end, text or " ".join(w.word for w in said), said)


def test_words_go_back_to_their_own_turn_and_a_segment_across_two_turns_is_split() -> None:
    pack = packs([(s(1), s(3)), (s(5), s(7))], size=s(9))[0]  # the second turn starts at 3.5 s in the pack
    across = utterance((1.2, 1.6, "rivers"), (3.6, 4.0, "and"), (4.1, 4.5, "mountains"), text="Rivers, and mountains.")
    [first, second] = unpack([across], pack, offset_s=100.0)
    assert (first.start, first.end, first.text) == (101.2, 101.6, "rivers")
    assert [(w.start, w.word) for w in second.words] == [(105.1, "and"), (105.6, "mountains")]
    assert second.text == "and mountains"
    [whole] = unpack([utterance((3.6, 4.0, "and"), text="And.")], pack, offset_s=0.0)
    assert whole.text == "And."  # one turn: Whisper's own text, punctuation and all


def test_words_in_the_quiet_around_a_turn_are_dropped_and_none_lands_before_its_turn() -> None:
    pack = packs([(s(4), s(6))], size=s(12))[0]  # 3 s of quiet before, 3 s after
    assert seconds(pack) == [(0.0, 1.0, 8.0)]  # the turn is 3-5 s in the pack
    heard = utterance((0.5, 0.8, "invented"), (2.8, 3.3, "early"), (3.4, 4.0, "word"), (6.0, 6.3, "after"))
    [kept] = unpack([heard], pack, offset_s=0.0)
    assert [w.word for w in kept.words] == ["early", "word"]
    assert kept.words[0].start == 4.0  # Whisper started it before the turn: it starts with the turn


def test_a_stretch_of_a_turn_without_words_is_a_hole_to_decode_again() -> None:
    heard = [utterance((1.0, 1.3, "one"), (1.4, 1.7, "two"), (5.0, 5.3, "five"))]
    holes = _holes(heard, [(s(0.5), s(6.0))], offset_s=0.0)
    assert holes == [((s(1.4), s(5.3)), (pytest.approx(1.65), pytest.approx(4.95)))]
    assert _holes(heard, [(s(0.5), s(5.3 + HOLE_S - 0.01))], 0.0)[1:] == []  # a short tail is no hole
    long_word = [utterance((1.0, 4.5, "stretched"))]  # a "word" over speech it skipped counts for a second
    assert [times for _, times in _holes(long_word, [(s(0.5), s(4.6))], 0.0)] == [(pytest.approx(1.95), pytest.approx(4.55))]


def test_a_retry_keeps_only_what_it_heard_beyond_the_words_already_kept() -> None:
    heard = [utterance((1.0, 1.2, "old")), utterance((2.0, 2.3, "kept"), (3.0, 3.4, "new"), text="Kept new.")]
    assert [(u.start, u.text) for u in _words_after(heard, after=2.5)] == [(3.0, "new")]
    assert _words_after(heard, after=0.0) == heard
    cut = _words_before(heard[1], until=2.5)
    assert (cut.text, cut.end, [w.word for w in cut.words]) == ("kept", 2.3, ["kept"])
    assert _words_before(heard[1], until=9.0).text == "Kept new."
