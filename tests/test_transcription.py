"""Transcription with the real bundled models: the right model per language, turns, no invented words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ESPEAK_RATE, speak, write_wav


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    from roomcast.settings import get_settings

    # One data directory for the module's tests: the base model is assembled there once.
    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path_factory.getbasetemp() / "asr-data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_model_follows_the_language() -> None:
    from transcripts.whisper_models import model_for_language, whisper_language

    assert model_for_language("en") == model_for_language("en-GB") == "tiny.en"
    assert model_for_language("fr") == model_for_language("nl") == model_for_language(None) == "base"
    assert whisper_language("pt-BR") == "pt" and whisper_language(None) is None


def test_french_is_transcribed_in_french(tmp_path: Path) -> None:
    from transcripts.track_progress import transcribe_file

    clip = write_wav(tmp_path / "fr.wav", speak("Bonjour à tous. Nous parlons de la mer et de la montagne.", "fr"))
    utterances = transcribe_file(clip, "fr")
    assert utterances and {u.language for u in utterances} == {"fr"}
    words = {w.strip(".,!?").lower() for u in utterances for w in u.text.split()}
    assert len(words & {"bonjour", "nous", "de", "la", "et", "les", "le", "à"}) >= 2, words


def test_noise_and_silence_invent_no_words(tmp_path: Path) -> None:
    from transcripts.track_progress import transcribe_file

    rng = np.random.default_rng(0)
    noise = write_wav(tmp_path / "noise.wav", (0.05 * rng.standard_normal(12 * ESPEAK_RATE)).astype(np.float32))
    silence = write_wav(tmp_path / "silence.wav", np.zeros(12 * ESPEAK_RATE, np.float32))
    assert transcribe_file(noise, "en") == []
    assert transcribe_file(silence, "fr") == []


def test_scattered_speech_is_cut_into_turns_at_the_right_times(tmp_path: Path) -> None:
    from transcripts.track_progress import transcribe_file

    first, second = speak("Welcome to the show tonight.", "en-us"), speak("The river runs into the ocean.", "en-us")
    track = np.zeros(40 * ESPEAK_RATE, np.float32)
    track[2 * ESPEAK_RATE : 2 * ESPEAK_RATE + first.size] = first
    track[30 * ESPEAK_RATE : 30 * ESPEAK_RATE + second.size] = second
    utterances = transcribe_file(write_wav(tmp_path / "scattered.wav", track), "en")
    assert [round(u.start) for u in utterances] == [2, 30]
    assert "ocean" in utterances[1].text.lower()


def opus_track(directory: Path, sentences: list[str], pause_s: float = 2.5) -> Path:
    """Sentences with quiet between them, as capture stores a speaker: Ogg/Opus."""
    quiet = np.zeros(int(pause_s * ESPEAK_RATE), np.float32)
    track = np.concatenate([part for text in sentences for part in (quiet, speak(text, "en-us"))] + [quiet])
    wav, opus = write_wav(directory / "track.wav", track), directory / "track.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", str(opus)], check=True)
    return opus


SENTENCES = ["Welcome to the show tonight.", "The river runs into the ocean.", "Mountains rise above the forest."]
KEYWORDS = ["welcome", "river", "mountain"]


def test_a_growing_segment_is_transcribed_turn_by_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transcripts import track_progress
    from transcripts.track_progress import TrackProgress, advance

    monkeypatch.setattr(track_progress, "PACK_WAIT_S", 0.0)  # no waiting to fill a window: each turn at once
    data = opus_track(tmp_path, SENTENCES).read_bytes()
    growing = tmp_path / "growing.opus"
    progress, seen = TrackProgress(), []
    for cut in range(len(data) // 12, len(data), len(data) // 12):  # torn pages on purpose
        growing.write_bytes(data[:cut])
        progress = advance(growing, progress, "en", final=False)
        seen.append((cut / len(data), progress.done_s, " ".join(u.text for u in progress.utterances).lower()))
    # Before the file is complete, the turns already over are transcribed, the open one waits.
    assert any("welcome" in text and "mountain" not in text for _, _, text in seen), seen
    assert not progress.final and 0 < progress.done_s
    growing.write_bytes(data)
    progress = advance(growing, progress, "en", final=True)
    text = " ".join(u.text for u in progress.utterances).lower()
    assert progress.final and not progress.warnings
    assert [text.count(word) for word in KEYWORDS] == [1, 1, 1], text  # each turn once: none lost, none twice
    starts = [u.start for u in progress.utterances]
    assert starts == sorted(starts)


def test_damage_in_a_segment_keeps_the_speech_around_it(tmp_path: Path) -> None:
    from transcripts.track_progress import TrackProgress, advance, transcribe_file

    data = bytearray(opus_track(tmp_path, SENTENCES).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 300] = bytes(300)  # a torn write in the middle: Ogg's CRCs find it
    damaged = tmp_path / "damaged.opus"
    damaged.write_bytes(bytes(data))
    text = " ".join(u.text for u in transcribe_file(damaged, "en")).lower()
    assert "welcome" in text and "mountain" in text, text

    not_audio = tmp_path / "not-audio.opus"
    not_audio.write_bytes(b"OggS" + bytes(4000))
    progress = advance(not_audio, TrackProgress(), "en", final=True)
    assert progress.final and progress.utterances == [] and "could not be decoded" in progress.warnings[0]


def test_turns_that_are_over_wait_to_share_a_window(tmp_path: Path) -> None:
    from transcripts.track_progress import TrackProgress, Tails, advance

    data = opus_track(tmp_path, SENTENCES).read_bytes()
    growing, tails = tmp_path / "growing.opus", Tails()
    growing.write_bytes(data[: len(data) * 3 // 4])
    progress = advance(growing, TrackProgress(), "en", final=False, tails=tails)
    # Two short turns are over: they wait (a few seconds of speech, not yet PACK_WAIT_S old).
    assert progress.utterances == [] and len(progress.pending) == 2 and progress.done_s > progress.pending[-1][1]
    restored = TrackProgress.from_json(progress.to_json())  # a restart finds them in the saved progress
    growing.write_bytes(data)
    progress = advance(growing, restored, "en", final=True, tails=tails)
    text = " ".join(u.text for u in progress.utterances).lower()
    assert [text.count(word) for word in KEYWORDS] == [1, 1, 1], text
    assert progress.pending == [] and progress.final


def test_a_language_whisper_does_not_know_is_detected_with_a_warning(tmp_path: Path) -> None:
    from transcripts.track_progress import TrackProgress, advance

    track = opus_track(tmp_path, SENTENCES[:1])
    progress = advance(track, TrackProgress(), "tlh", final=True)  # Klingon: a valid code, no model
    assert "does not know" in progress.warnings[0] and "'tlh'" in progress.warnings[0]
    assert "welcome" in " ".join(u.text for u in progress.utterances).lower()
