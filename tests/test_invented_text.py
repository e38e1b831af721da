"""Invented text is never published, and the show's own words are spelled right."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._room_scores import name_accuracy
from transcripts.transcription import Utterance, Word, has_loop, invented
from transcripts.windows import Piece, in_speech
from transcripts.vocabulary import echoes_prompt, respelled, vocabulary


def utterance(words: list[tuple[float, float, str]]) -> Utterance:
    return Utterance(words[0][0], words[-1][1], " ".join(w for _, _, w in words), [Word(a, b, w, 0.9) for a, b, w in words])


def test_a_loop_is_invented() -> None:
    # As published before: "Mr. Hill" x55 within 0.64 s (compression ratio 18.7) and "Sank" x37 (29).
    loop = utterance([(10 + i * 0.0116, 10 + i * 0.0116 + 0.01, w) for i, w in enumerate(["Mr.", "Hill"] * 55)])
    assert invented(loop, compression_ratio=18.7)
    sank = utterance([(3 + i * 0.3, 3 + i * 0.3 + 0.2, "Sank") for i in range(37)])
    assert invented(sank, compression_ratio=1.2)  # the loop alone gives it away
    assert has_loop("we went to the shop we went to the shop we went to the shop we went to the shop".split())


def test_an_impossible_rate_and_stacked_words_are_invented() -> None:
    hurried = utterance([(i * 0.05, i * 0.05 + 0.04, f"word{i}") for i in range(20)])  # 20 words a second
    assert invented(hurried, compression_ratio=1.0)
    stacked = utterance([(5.0, 5.0, f"w{i}") for i in range(6)])
    assert invented(stacked, compression_ratio=1.0)


def test_real_speech_is_not_invented() -> None:
    said = "however due to the slow communication channels styles in the west could lag behind".split()
    line = utterance([(i * 0.35, i * 0.35 + 0.3, w) for i, w in enumerate(said)])
    assert not invented(line, compression_ratio=1.3)
    assert not has_loop("no no no I said".split())  # three times is still speech


def test_words_in_the_quiet_around_a_turn_are_dropped() -> None:
    piece = Piece(at=0, source=16_000, length=16_000 * 8, speech=(16_000 * 3, 16_000 * 5))  # speech 2-4 s into the pack
    assert in_speech(Word(2.5, 2.8, "said", 0.9), piece)
    assert not in_speech(Word(6.5, 6.6, "invented", 0.9), piece)
    assert not in_speech(Word(0.5, 0.6, "invented", 0.9), piece)


def test_the_vocabulary_holds_each_name_once() -> None:
    assert vocabulary("Night Owls", "night owls", None, "Ann Host", "") == "Night Owls, Ann Host"
    assert vocabulary(None, "") is None


def test_the_show_and_its_people_are_spelled_right(tmp_path: Path) -> None:
    """tiny.en alone wrote "Night Owls" as "eye towels", "Ann Host" as "Ann Post" and "Bob Ferreira" as
    "my favorite" here (0 of 6). With the show's words it hears all but one: "Telescopes at Midnight"
    comes out as "telescope at midnight", tiny.en's own limit on espeak's plural."""
    assert name_accuracy(tmp_path) >= 0.8


def test_whisper_writing_out_its_prompt_is_dropped() -> None:
    words = vocabulary("Bench Rooms", "Speaker 1", "Speaker 2", "Speaker 3")
    assert echoes_prompt(utterance([(87.2, 87.4, "Speaker"), (87.4, 87.5, "1,"), (87.5, 87.6, "Speaker"),
                                    (87.6, 87.7, "2,"), (87.7, 87.8, "Speaker")]), words)
    assert echoes_prompt(utterance([(107.0, 107.3, "Speaker"), (107.3, 107.5, "3.")]), words)
    assert not echoes_prompt(utterance([(1.0, 1.3, "Thanks,"), (1.3, 1.6, "Speaker"), (1.6, 1.7, "2.")]), words)


def test_a_name_heard_with_its_letters_cut_differently_takes_the_show_s_spelling() -> None:
    # tiny.en, with and without the hint, on espeak saying the topic marked in the room.
    heard = utterance([(1.0, 1.2, "Our"), (1.2, 1.5, "first"), (1.5, 1.9, "topic"), (1.9, 2.3, "tonight"),
                       (2.3, 2.5, "is"), (2.5, 3.1, "telescope"), (3.1, 3.3, "set"), (3.3, 3.9, "mid-night.")])
    fixed = respelled(heard, "Telescopes at Midnight")
    assert fixed.text == "Our first topic tonight is Telescopes at Midnight."
    names = fixed.words[-3:]
    assert [w.word for w in names] == ["Telescopes", "at", "Midnight."]
    assert names[0].start == 2.5 and names[-1].end == 3.9  # the run's time, shared out
    assert all(a.end == b.start for a, b in zip(names, names[1:]))
    # Sounding alike is not spelling alike: "eye towels" stays for the hinted decoding to settle.
    towels = utterance([(0.0, 0.3, "Welcome"), (0.3, 0.5, "to"), (0.5, 0.7, "eye"), (0.7, 1.1, "towels.")])
    assert respelled(towels, "Night Owls") == towels
