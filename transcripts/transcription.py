"""Per-track speech recognition with faster-whisper, turn by turn.

A track is first cut into turns by voice activity (Silero VAD, as faster-whisper ships it),
and turns, not the whole track, are transcribed: on a long track with scattered speech,
Whisper's long-form decoding drops whole sentences, which short, complete turns avoid. Short
turns are packed into one window (the encoder reads 30 s whatever it is given), and each
word is placed back on its own turn (transcripts.windows). A window is given the quiet around its turns (up to 3 s,
never another turn's speech): a last word cut right at its VAD edge was misheard ("Lord Byron"
as "a board buyer"), and a short recording is heard whole.
Invented text is never kept. Whisper invents in three ways, each seen on real rooms: a loop
("Mr. Hill" x55 in 0.64 s, "Sank" x37: compression ratio 18.7 and 29), a line placed in the
quiet given around a turn (195 words stacked on one timestamp), and a segment over silence
(no-speech probability high, confidence low). A window with a loop or an impossible word rate
is decoded again once, deterministically, with repetition penalised (beam search with
``no_repeat_ngram_size``; faster-whisper's temperature fallback samples from CTranslate2's
thread-local generator, which is seeded once per thread, so one recording would not give one
transcript); what still loops is dropped, and so are words outside the turn's detected speech.
One model per language family is loaded per worker process and shared by its threads.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from roomcast.audio import ASR_RATE
from roomcast.settings import get_settings
from transcripts.utterances import Utterance, Word
from transcripts.vocabulary import echoes_prompt, near_miss, plain, respelled_all, vocabulary_phrases
from transcripts.whisper_models import is_english_only, model_for_language, model_path, whisper_language
from transcripts.windows import MAX_TURN_S, grid_origin, pack_audio, packs, rounded_s, unpack

TURN_GAP_S = 1.0  # speech closer than this belongs to the same turn
# VAD pads speech by 0.4 s: more than this between the last word heard and the turn's end is speech
# missed. At 1.2 s, a bench room's "variation hidden [and expressed]" was lost: the window's last
# word ended 1.11 s before the turn's, and decoded again from "hidden" the two words came back.
TAIL_MISSED_S, TAIL_RETRIES = 0.8, 2
HOLE_S = 1.5  # no word for this long inside a turn (pauses of a second split turns): speech skipped
MAX_WORD_S = 1.0  # a longer "word" is Whisper's alignment stretched over speech it skipped
NO_SPEECH_PROB, LOW_LOGPROB = 0.6, -1.0  # Whisper's own rule for a segment that is not speech
MAX_COMPRESSION_RATIO = 2.4  # Whisper's own threshold for repetitive output
MAX_WORDS_PER_S, RATE_MIN_WORDS = 8.0, 8  # people say 2-4 words a second, 6 when hurried
LOOP_REPEATS, LOOP_MAX_N = 4, 8  # an n-gram (n <= 8) said 4 times in a row is a loop
STACKED_WORDS = 4  # this many words on one timestamp were never aligned to speech
RETRY_OPTIONS = {"repetition_penalty": 1.3, "no_repeat_ngram_size": 3}

_model_lock = threading.Lock()
_models: dict[str, WhisperModel] = {}


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


def transcribe_turns(
    samples: np.ndarray, spans: list[tuple[int, int]], offset_s: float, language: str | None,
    quiet_from: int = 0, quiet_until: int | None = None, hotwords: str | None = None, fill_holes: bool = True,
) -> list[Utterance]:
    """Transcribe the given turns of 16 kHz mono ``samples``; times are ``offset_s`` + seconds.

    Other speech may lie before ``quiet_from`` and from ``quiet_until`` on (samples): windows
    take no context from there. ``hotwords``: the show's own words (see vocabulary).
    ``fill_holes``: speech skipped inside a turn is decoded again on its own (see _holes)."""
    if not spans:
        return []
    name = model_for_language(language)
    code = "en" if is_english_only(name) else whisper_language(language)
    utterances: list[Utterance] = []
    for pieces in packs(spans, samples.size if quiet_until is None else quiet_until, quiet_from, grid_origin(offset_s)):
        audio = pack_audio(samples, pieces)
        speech_end = (pieces[-1].at + pieces[-1].speech[1] - pieces[-1].source) / ASR_RATE
        first, after = 0, -1.0  # a retry keeps only words starting after ``after`` (pack seconds)
        for _attempt in range(1 + TAIL_RETRIES):
            heard = _words_after(_transcribe(get_model(name), audio[first:], first / ASR_RATE, code, hotwords), after)
            utterances += unpack(heard, pieces, offset_s)
            last_word = next((u.words[-1] for u in reversed(heard) if u.words), None)
            # Whisper sometimes ends a window early: its last timestamp, and its last word, stretch
            # over speech it never wrote. Speech well after the last word heard is decoded again.
            if last_word is None:
                break
            heard_end = last_word.start + min(last_word.end - last_word.start, MAX_WORD_S)
            if speech_end - heard_end < TAIL_MISSED_S:
                break
            first, after = int((last_word.start - 0.1) * ASR_RATE), last_word.start + 0.25
    if fill_holes:
        for (a, b), (low, high) in _holes(utterances, spans, offset_s):
            again = transcribe_turns(samples, [(a, b)], offset_s, language, quiet_from, quiet_until, hotwords, False)
            utterances += _words_after([_words_before(u, high) for u in again if u.words], low)
    return sorted(utterances, key=lambda u: u.start)


def _holes(utterances: list[Utterance], spans: list[tuple[int, int]],
           offset_s: float) -> list[tuple[tuple[int, int], tuple[float, float]]]:
    """Stretches of a turn with no word for HOLE_S, where Whisper skipped speech (an echo room lost
    "located in cities or at campuses" mid-turn this way, which the same turn decoded alone kept):
    each as the samples to decode again and the times (track seconds) its words must lie between."""
    words = sorted((w for u in utterances for w in u.words), key=lambda w: w.start)
    holes = []
    for start, end in spans:
        first, last = offset_s + start / ASR_RATE, offset_s + end / ASR_RATE
        inside = [w for w in words if first <= w.start < last]
        edges = [first] + [w.start + min(w.end - w.start, MAX_WORD_S) for w in inside]
        nexts = [w.start for w in inside] + [last]
        for heard_end, next_start in zip(edges, nexts):
            if next_start - heard_end >= HOLE_S:
                a = max(start, round((heard_end - 0.3 - offset_s) * ASR_RATE))
                b = min(end, round((next_start + 0.3 - offset_s) * ASR_RATE))
                holes.append(((a, b), (heard_end - 0.05, next_start - 0.05)))
    return holes


def _words_before(utterance: Utterance, until: float) -> Utterance:
    words = [w for w in utterance.words if w.start < until]
    text = utterance.text if len(words) == len(utterance.words) else " ".join(w.word for w in words)
    return replace(utterance, text=text, words=words, end=words[-1].end if words else utterance.end)


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


def _transcribe(model: WhisperModel, audio: np.ndarray, offset: float, code: str | None,
                hotwords: str | None = None) -> list[Utterance]:
    """Decode a window; one with invented text in it is decoded again, and what still is, dropped.

    The show's own words are given to Whisper only where the plain decoding came close to one of
    them and missed it: given everywhere, on a room whose speakers were "Speaker 1" to "Speaker 4",
    tiny.en wrote the prompt out instead of the speech and lost whole turns (room WER 10 % to 44 %).
    """
    heard = _heard(model, audio, offset, code)
    phrases = vocabulary_phrases(hotwords)
    text = plain(" ".join(u.text for u in heard))
    missed = [p for p in phrases if p not in text and near_miss(text, p)]
    if missed:
        hinted = [u for u in _heard(model, audio, offset, code, hotwords) if not echoes_prompt(u, hotwords)]
        hinted_text = plain(" ".join(u.text for u in hinted))
        if any(p in hinted_text for p in missed):  # the hint helped: what it still missed is respelled
            return respelled_all(hinted, hotwords, [p for p in missed if p not in hinted_text])
        return respelled_all(heard, hotwords, missed)
    return heard


def _heard(model: WhisperModel, audio: np.ndarray, offset: float, code: str | None,
           hotwords: str | None = None) -> list[Utterance]:
    heard = _decode(model, audio, offset, code, hotwords=hotwords)
    kept = [utterance for utterance, invented in heard if not invented]
    if len(kept) == len(heard):
        return kept
    # Only where the first decoding invented does the second one speak: elsewhere it may be worse
    # (on a bench room it turned a whole turn into a loop that the first had right).
    retry = _decode(model, audio, offset, code, hotwords=hotwords, **RETRY_OPTIONS)
    filled = [u for u, invented in retry if not invented and not any(_overlap(u, k) for k in kept)]
    return sorted(kept + filled, key=lambda u: u.start)


def _overlap(a: Utterance, b: Utterance) -> bool:
    return a.start < b.end and b.start < a.end


def _decode(model: WhisperModel, audio: np.ndarray, offset: float, code: str | None,
            **options: object) -> list[tuple[Utterance, bool]]:
    segments, info = model.transcribe(
        audio, language=code, beam_size=get_settings().whisper_beam_size, vad_filter=False,
        word_timestamps=True, temperature=0.0, **options,  # deterministic: one recording, one transcript
    )
    utterances = []
    for segment in segments:
        text = segment.text.strip()
        if not text or (segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB):
            continue
        words = [Word(rounded_s(w.start + offset), rounded_s(w.end + offset), w.word.strip(),
                      round(float(w.probability), 3)) for w in segment.words or []]
        # A segment's own times include the quiet given around the turn; its words' do not.
        start, end = ((words[0].start, words[-1].end) if words
                      else (rounded_s(segment.start + offset), rounded_s(segment.end + offset)))
        utterance = Utterance(start, end, text, words, float(segment.avg_logprob), float(segment.no_speech_prob),
                              info.language)
        utterances.append((utterance, invented(utterance, segment.compression_ratio)))
    return utterances


def invented(utterance: Utterance, compression_ratio: float) -> bool:
    """Whether a segment is Whisper's invention rather than what was said (see the module's docstring)."""
    words = utterance.words
    if compression_ratio > MAX_COMPRESSION_RATIO or has_loop([w.word for w in words] or utterance.text.split()):
        return True
    if len(words) >= RATE_MIN_WORDS:
        spoken = max(words[-1].end - words[0].start, 1e-3)
        if len(words) / spoken > MAX_WORDS_PER_S:
            return True
    starts = [w.start for w in words]
    return any(starts.count(at) >= STACKED_WORDS for at in set(starts))


def has_loop(tokens: list[str]) -> bool:
    """An n-gram (n up to LOOP_MAX_N) repeated LOOP_REPEATS times in a row."""
    words = ["".join(ch for ch in t.lower() if ch.isalnum()) for t in tokens]
    for n in range(1, LOOP_MAX_N + 1):
        for start in range(0, len(words) - n * LOOP_REPEATS + 1):
            gram = words[start : start + n]
            if all(words[start + k * n : start + (k + 1) * n] == gram for k in range(1, LOOP_REPEATS)):
                return True
    return False
