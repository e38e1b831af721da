"""Transcription with the real bundled models: the right model per language, turns, no invented words."""

from __future__ import annotations

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
    from postprod.whisper_models import model_for_language, whisper_language

    assert model_for_language("en") == model_for_language("en-GB") == "tiny.en"
    assert model_for_language("fr") == model_for_language("nl") == model_for_language(None) == "base"
    assert whisper_language("pt-BR") == "pt" and whisper_language(None) is None


def test_french_is_transcribed_in_french(tmp_path: Path) -> None:
    from postprod.transcription import transcribe_file

    clip = write_wav(tmp_path / "fr.wav", speak("Bonjour à tous. Nous parlons de la mer et de la montagne.", "fr"))
    utterances = transcribe_file(clip, "fr")
    assert utterances and {u.language for u in utterances} == {"fr"}
    words = {w.strip(".,!?").lower() for u in utterances for w in u.text.split()}
    assert len(words & {"bonjour", "nous", "de", "la", "et", "les", "le", "à"}) >= 2, words


def test_noise_and_silence_invent_no_words(tmp_path: Path) -> None:
    from postprod.transcription import transcribe_file

    rng = np.random.default_rng(0)
    noise = write_wav(tmp_path / "noise.wav", (0.05 * rng.standard_normal(12 * ESPEAK_RATE)).astype(np.float32))
    silence = write_wav(tmp_path / "silence.wav", np.zeros(12 * ESPEAK_RATE, np.float32))
    assert transcribe_file(noise, "en") == []
    assert transcribe_file(silence, "fr") == []


def test_scattered_speech_is_cut_into_turns_at_the_right_times(tmp_path: Path) -> None:
    from postprod.transcription import transcribe_file

    first, second = speak("Welcome to the show tonight.", "en-us"), speak("The river runs into the ocean.", "en-us")
    track = np.zeros(40 * ESPEAK_RATE, np.float32)
    track[2 * ESPEAK_RATE : 2 * ESPEAK_RATE + first.size] = first
    track[30 * ESPEAK_RATE : 30 * ESPEAK_RATE + second.size] = second
    utterances = transcribe_file(write_wav(tmp_path / "scattered.wav", track), "en")
    assert [round(u.start) for u in utterances] == [2, 30]
    assert "ocean" in utterances[1].text.lower()
