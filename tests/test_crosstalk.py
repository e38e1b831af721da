"""Crosstalk: a word lands on a track only if that track's speaker said it.

Rooms of real speech (the eval set's English clips, bench._rooms) whose tracks carry each
other at a known level and delay: the decision alone (fast), then whole rooms through the real
import pipeline (a real worker, the real Whisper model), and the mix.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bench._eval_set import DEFAULT_EVAL_DIR, load_manifest, normalise
from bench._rooms import SPEAKERS, build, load_clips
from roomcast.own_speech import gate_gain
from transcripts.crosstalk import TrackLevels, decide
from transcripts.envelopes import FRAME_S, band_levels
from postprod.render import BLEED_GATE_DB, RATE, DecodedAudio, mix_reader
from roomcast.audio import read_excerpt
from roomcast.timemap import TimeMap
from tests.conftest import Roomcast

pytestmark = pytest.mark.skipif(not (DEFAULT_EVAL_DIR / "manifest.tsv").is_file(),
                                reason=f"the eval set of real speech is not at {DEFAULT_EVAL_DIR}")


@pytest.fixture(scope="module")
def clips() -> list[tuple[np.ndarray, str]]:
    return load_clips(DEFAULT_EVAL_DIR, load_manifest(DEFAULT_EVAL_DIR))[:7]  # three overlaps, one long silence


def own_frames(room, speaker: int, frames: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    truth = np.zeros(frames, bool)
    for turn in room.turns:
        if turn.speaker == speaker:
            truth[int(turn.start_s / FRAME_S) : int(turn.end_s / FRAME_S)] = True
    return truth


@pytest.mark.parametrize("case", ["clean", "bleed-20", "bleed-40", "echo"])
def test_each_track_is_open_for_its_own_speech_and_closed_for_the_others(tmp_path: Path, clips, case: str) -> None:
    room = build(tmp_path, clips, case)
    levels = [band_levels(read_excerpt(path, 0.0, 600.0).samples) for path in room.paths]
    decided = decide([TrackLevels(n, n, 0.0, lv) for n, lv in enumerate(levels)])
    for speaker in range(SPEAKERS):
        frames = levels[speaker].shape[0]
        truth = own_frames(room, speaker, frames)
        mask = np.zeros(frames, bool)
        for a, b in decided[speaker]:
            mask[round(a / FRAME_S) : round(b / FRAME_S)] = True
        power = (10 ** (levels[speaker].astype(np.float64) / 10)).sum(axis=1)
        loud = 10 * np.log10(power) > np.percentile(10 * np.log10(power), 10) + 15
        # Nearly all of the speaker's own speech is kept, overlaps included...
        assert (mask & truth & loud).sum() >= 0.9 * (truth & loud).sum(), f"speaker {speaker + 1} lost own speech"
        # ... and what the track carries of the others is not, but for a tenth of a second at most.
        assert (mask & ~truth & loud).sum() * FRAME_S <= 0.1, f"speaker {speaker + 1} kept the others' speech"


def test_a_quiet_speaker_starting_under_a_louder_ones_bleed_keeps_their_first_word(tmp_path: Path, clips) -> None:
    """Turn 4 (the quietest speaker, -18 dB) starts a second before turn 3 (-7 dB) ends: on its
    track, the other's bleed outweighs "to the" overall, but the consonants stand out above it.
    The track opens where the speaker's own sound first rises out of the quiet for 30 ms, give or take 30 ms."""
    clean, bleed = build(tmp_path, clips, "clean"), build(tmp_path, clips, "bleed-20")
    levels = [band_levels(read_excerpt(path, 0.0, 600.0).samples) for path in bleed.paths]
    decided = decide([TrackLevels(n, n, 0.0, lv) for n, lv in enumerate(levels)])
    turn = bleed.turns[3]
    assert turn.speaker == 3 and turn.start_s < bleed.turns[2].end_s  # an overlap
    own = band_levels(read_excerpt(clean.paths[3], 0.0, 600.0).samples)
    level = 10 * np.log10((10 ** (own.astype(np.float64) / 10)).sum(axis=1))
    first = int(turn.start_s / FRAME_S)
    sounding = np.convolve(level[first:] > np.percentile(level, 10) + 15, np.ones(3), "valid") == 3  # 30 ms, not a click
    onset = (first + int(np.argmax(sounding))) * FRAME_S
    opened = next(a for a, b in decided[3] if b > onset)
    assert opened <= onset + 0.03, f"the track opened at {opened:.2f} s; the speaker starts at {onset:.2f} s"


def test_the_mix_turns_a_track_down_where_it_only_carries_the_others(tmp_path: Path) -> None:
    """An echo of A on B's track (-15 dB, 200 ms late) is 30 dB quieter still in the mix."""
    rng = np.random.default_rng(3)
    voice_a = (rng.standard_normal(RATE * 4) * 0.1).astype(np.float32)
    voice_a[RATE * 2 :] = 0  # A speaks for two seconds, then B (below) does
    delay = int(0.2 * RATE)
    echo = np.zeros_like(voice_a)
    echo[delay:] = voice_a[:-delay] * np.float32(10 ** (-15 / 20))
    voice_b = np.zeros_like(voice_a)
    voice_b[int(RATE * 2.5) : RATE * 4] = (rng.standard_normal(int(RATE * 1.5)) * 0.1).astype(np.float32)
    tracks = []
    for number, samples in enumerate([voice_a, voice_b + echo]):
        raw = tmp_path / f"{number}.raw"
        samples.astype(np.float32).tofile(raw)
        tracks.append((DecodedAudio(raw, samples.size, -20.0, np.zeros(0)), 0.0, 1.0))
    own = [[(0.0, 2.0)], [(2.5, 4.0)]]
    mixed = mix_reader(tracks, own)(0, voice_a.size)
    reference = np.zeros_like(voice_a)
    reference[delay:] = voice_a[:-delay]
    window = slice(delay, RATE * 2 - int(0.05 * RATE))  # the echo, where A itself passes whole
    residual = mixed[window] - voice_a[window]  # B's track as the mix has it
    coefficient = float(np.dot(residual, reference[window]) / np.dot(reference[window], reference[window]))
    assert 20 * np.log10(abs(coefficient) + 1e-12) <= -15 + BLEED_GATE_DB + 1
    # B's own speech passes untouched.
    inside = slice(int(RATE * 2.6), RATE * 4 - int(0.05 * RATE))
    np.testing.assert_allclose(mixed[inside], voice_b[inside], atol=1e-6)
    assert gate_gain(0.0, 10, RATE, [(0.0, 1.0)], BLEED_GATE_DB).min() == pytest.approx(1.0)


def published_words(roomcast: Roomcast, episode_id: int) -> tuple[TimeMap, list[tuple[int, dict]]]:
    with sqlite3.connect(roomcast.data_dir / "roomcast.sqlite3") as db:
        (time_map,) = db.execute("SELECT time_map FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        rows = db.execute("SELECT speaker, words FROM transcript_segments WHERE episode_id = ?", (episode_id,)).fetchall()
    mapping = TimeMap.from_json(json.loads(time_map) if isinstance(time_map, str) else time_map)
    return mapping, [(int(speaker.split()[-1]) - 1, w) for speaker, payload in rows for w in json.loads(payload)]


@pytest.mark.parametrize("case", ["bleed-30", "echo"])
def test_a_room_with_bleed_publishes_no_word_on_the_wrong_speaker(tmp_path: Path, embedded: Roomcast, clips,
                                                                  case: str) -> None:
    room = build(tmp_path, clips, case)
    embedded.run("show", "create", "crosstalk", "--title", "Crosstalk", "--author", "A. Host", check=True)
    tracks = [arg for n, path in enumerate(room.paths) for arg in ("--track", f"Speaker {n + 1}={path}")]
    episode = embedded.run_json("import", "crosstalk", "--title", case, *tracks, "--wait", timeout=900)
    assert episode["status"] == "published"
    mapping, words = published_words(embedded, episode["id"])
    turns = [(t.speaker, mapping.to_episode(t.start_s) - 0.5, mapping.to_episode(t.end_s) + 0.5, t.text) for t in room.turns]
    wrong = [(speaker, w["word"], w["start"]) for speaker, w in words
             if not any(t[0] == speaker and t[1] <= w["start"] <= t[2] for t in turns)]
    assert wrong == []
    # Each speaker's own words are all there (tiny.en's own errors aside), overlaps included.
    for speaker in range(SPEAKERS):
        said = normalise(" ".join(t[3] for t in turns if t[0] == speaker)).split()
        heard = set(normalise(" ".join(w["word"] for s, w in words if s == speaker)).split())
        assert sum(word in heard for word in said) >= 0.8 * len(said), f"speaker {speaker + 1} lost words"


def test_the_same_words_at_the_same_time_stay_on_the_louder_track() -> None:
    from transcripts.attribution import loudest_copy, own_words
    from transcripts.transcription import Utterance, Word

    said = [Utterance(1.0, 1.6, "the cat", [Word(1.0, 1.2, "the", 0.9), Word(1.3, 1.6, "cat", 0.9)])]
    copy = [Utterance(1.03, 1.6, "The cat.", [Word(1.03, 1.2, "The", 0.9), Word(1.33, 1.6, "cat.", 0.9)]),
            Utterance(5.0, 5.5, "dog", [Word(5.0, 5.5, "dog", 0.9)])]
    loud, quiet = np.full((1000, 12), -20, np.float16), np.full((1000, 12), -45, np.float16)
    kept = loudest_copy([(0.0, said, loud), (0.0, copy, quiet)])
    assert [[u.text for u in t] for t in kept] == [["the cat"], ["dog"]]
    # Said twice, two seconds apart, is said twice.
    later = [Utterance(3.0, 3.6, "the cat", [Word(3.0, 3.2, "the", 0.9), Word(3.3, 3.6, "cat", 0.9)])]
    assert [[u.text for u in t] for t in loudest_copy([(0.0, said, loud), (0.0, later, quiet)])] == [["the cat"], ["the cat"]]
    # Outside the track's own speech, a word does not stand.
    assert [u.text for u in own_words(copy, [(4.8, 6.0)])] == ["dog"]
    # A first word that Whisper stretched into the gated quiet before it stays; a word that
    # only grazes the speaker's own speech does not.
    onset = [Utterance(32.59, 33.45, "To the north", [Word(32.59, 33.07, "To", 0.3), Word(33.07, 33.25, "the", 0.9),
                                                       Word(33.25, 33.45, "north", 0.9)])]
    assert [u.text for u in own_words(onset, [(32.88, 44.75)])] == ["To the north"]
    assert [u.text for u in own_words(onset, [(33.0, 44.75)])] == ["the north"]
