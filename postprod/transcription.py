"""Per-track speech recognition with faster-whisper, turn by turn.

A track is first cut into turns by voice activity (Silero VAD, as faster-whisper ships it),
and each turn is transcribed on its own: on a long track with scattered speech, Whisper's
long-form decoding drops whole sentences, which short, complete turns avoid. A turn is given
a second of the quiet after it: Whisper pads every window to 30 s anyway, and a last word cut
right at its VAD edge was misheard ("Lord Byron" as "a board buyer"). Segments that look like
hallucinations (no speech and low confidence) are dropped, never invented.
One model per language family is loaded per worker process and shared by its threads.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from postprod.whisper_models import is_english_only, model_for_language, model_path, whisper_language
from roomcast.audio import ASR_RATE
from roomcast.settings import get_settings

MAX_TURN_S = 28.0  # under Whisper's 30 s window, so a turn is decoded in one piece
TURN_GAP_S = 1.0  # speech closer than this belongs to the same turn
# Quiet given to a turn after it, where there is some. None before it: Whisper's word alignment
# starts the first word where the window starts, so quiet there would move it earlier.
CONTEXT_AFTER_S = 1.0
# VAD pads speech by 0.4 s: more than this between the last word heard and the turn's end is speech missed.
TAIL_MISSED_S, TAIL_RETRIES = 1.2, 2
MAX_WORD_S = 1.0  # a longer "word" is Whisper's alignment stretched over speech it skipped
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
    if samples.size == 0:
        return []
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


def with_context(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Each turn widened into the quiet after it, never into the next turn or past 30 s."""
    widened = []
    for number, (start, end) in enumerate(spans):
        ceiling = spans[number + 1][0] if number + 1 < len(spans) else size
        end = min(ceiling, end + int(CONTEXT_AFTER_S * ASR_RATE), start + 30 * ASR_RATE)
        widened.append((start, end))
    return widened


def _sec(value: float) -> float:
    return round(float(value), 3)


def transcribe_turns(
    samples: np.ndarray, spans: list[tuple[int, int]], offset_s: float, language: str | None,
) -> list[Utterance]:
    """Transcribe the given turns of 16 kHz mono ``samples``; times are ``offset_s`` + seconds."""
    if not spans:
        return []
    name = model_for_language(language)
    code = "en" if is_english_only(name) else whisper_language(language)
    utterances: list[Utterance] = []
    for (first, last), (_, speech_end) in zip(with_context(spans, samples.size), spans):
        after = -1.0  # a retry keeps only words starting after this (the last word heard before)
        for _attempt in range(1 + TAIL_RETRIES):
            heard = _words_after(_transcribe(get_model(name), samples[first:last], offset_s + first / ASR_RATE, code), after)
            utterances += heard
            last_word = next((u.words[-1] for u in reversed(heard) if u.words), None)
            # Whisper sometimes ends a window early: its last timestamp, and its last word, stretch
            # over speech it never wrote. Speech well after the last word heard is decoded again.
            if last_word is None:
                break
            heard_end = last_word.start + min(last_word.end - last_word.start, MAX_WORD_S)
            if offset_s + speech_end / ASR_RATE - heard_end < TAIL_MISSED_S:
                break
            first, after = int((last_word.start - offset_s - 0.1) * ASR_RATE), last_word.start + 0.25
    return utterances


def _words_after(utterances: list[Utterance], after: float) -> list[Utterance]:
    """What a retry heard beyond the words already kept (it starts a little before, to hear them whole)."""
    kept = []
    for utterance in utterances:
        words = [w for w in utterance.words if w.start >= after]
        if len(words) == len(utterance.words):
            kept.append(utterance)
        elif words:
            kept.append(replace(utterance, start=words[0].start, text=" ".join(w.word for w in words), words=words))
    return kept


def _transcribe(model: WhisperModel, audio: np.ndarray, offset: float, code: str | None) -> list[Utterance]:
    segments, info = model.transcribe(
        audio, language=code, beam_size=get_settings().whisper_beam_size, vad_filter=False,
        word_timestamps=True, condition_on_previous_text=False,
    )
    utterances = []
    for segment in segments:
        text = segment.text.strip()
        if not text or (segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB):
            continue
        words = [Word(_sec(w.start + offset), _sec(w.end + offset), w.word.strip(), round(float(w.probability), 3))
                 for w in segment.words or []]
        # A segment's own times include the quiet given around the turn; its words' do not.
        start, end = (words[0].start, words[-1].end) if words else (_sec(segment.start + offset), _sec(segment.end + offset))
        utterances.append(Utterance(start, end, text, words, float(segment.avg_logprob), float(segment.no_speech_prob),
                                    info.language))
    return utterances
