"""Per-track speech recognition with faster-whisper, turn by turn.

A track is first cut into turns by voice activity (Silero VAD, as faster-whisper ships it),
and each turn is transcribed on its own: on a long track with scattered speech, Whisper's
long-form decoding drops whole sentences, which short, complete turns avoid. Segments that
look like hallucinations (no speech and low confidence) are dropped, never invented.
One model per language family is loaded per worker process and shared by its threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from postprod.whisper_models import is_english_only, model_for_language, model_path, whisper_language
from roomcast.audio import ASR_RATE, decode_mono
from roomcast.settings import get_settings

MAX_TURN_S = 28.0  # under Whisper's 30 s window, so a turn is decoded in one piece
TURN_GAP_S = 1.0  # speech closer than this belongs to the same turn
NO_SPEECH_PROB, LOW_LOGPROB = 0.6, -1.0  # Whisper's own rule for a segment that is not speech

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
    language: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Utterance:
        words = [Word(**w) for w in data.get("words", [])]
        return cls(**{**data, "words": words})


def get_model(name: str) -> WhisperModel:
    settings = get_settings()
    with _model_lock:
        if name not in _models:
            _models[name] = WhisperModel(
                model_path(name), device="cpu", compute_type=settings.whisper_compute_type,
                cpu_threads=settings.whisper_cpu_threads, num_workers=max(1, settings.worker_concurrency),
            )
        return _models[name]


def turns(samples: np.ndarray) -> list[tuple[int, int]]:
    """Speech as turns (sample ranges): VAD chunks joined across short pauses, at most MAX_TURN_S."""
    chunks = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=500, speech_pad_ms=400))
    merged: list[list[int]] = []
    for chunk in chunks:
        start, end = chunk["start"], chunk["end"]
        if merged and start - merged[-1][1] < TURN_GAP_S * ASR_RATE and end - merged[-1][0] <= MAX_TURN_S * ASR_RATE:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    limit = int(MAX_TURN_S * ASR_RATE)
    return [(s, min(s + limit, e)) for start, e in merged for s in range(start, e, limit)]


def _sec(value: float) -> float:
    return round(float(value), 3)


def transcribe_samples(
    samples: np.ndarray, language: str | None, on_progress: Callable[[float], None] | None = None
) -> list[Utterance]:
    """Transcribe 16 kHz mono samples; times are seconds from the first sample."""
    if samples.size == 0:
        return []
    settings = get_settings()
    name = model_for_language(language)
    model = get_model(name)
    code = "en" if is_english_only(name) else whisper_language(language)
    spans = turns(samples)
    utterances: list[Utterance] = []
    for number, (first, last) in enumerate(spans):
        offset = first / ASR_RATE
        segments, info = model.transcribe(
            samples[first:last], language=code, beam_size=settings.whisper_beam_size, vad_filter=False,
            word_timestamps=True, condition_on_previous_text=False,
        )
        for segment in segments:
            text = segment.text.strip()
            if not text or (segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB):
                continue
            words = [Word(_sec(w.start + offset), _sec(w.end + offset), w.word.strip(), round(float(w.probability), 3))
                     for w in segment.words or []]
            utterances.append(Utterance(_sec(segment.start + offset), _sec(segment.end + offset), text, words,
                                        float(segment.avg_logprob), float(segment.no_speech_prob), info.language))
        if on_progress:
            on_progress((number + 1) / len(spans))
    return utterances


def transcribe_file(path: Path, language: str | None, on_progress: Callable[[float], None] | None = None) -> list[Utterance]:
    return transcribe_samples(decode_mono(path, ASR_RATE), language, on_progress)
