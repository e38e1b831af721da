"""A quick, provisional reading of a few seconds of speech: live captions' decoder.

The published transcript comes from whole turns (transcripts.transcription): beam search, word
timestamps, 30 s windows. A caption cannot wait for a turn to end, and re-decoding a turn in a
full window every second costs about 1.7 s of CPU a time. So a caption is decoded from a
shorter window: Whisper's encoder reads the speech and quiet after it up to ``MIN_INPUT_S``
(CTranslate2 accepts inputs shorter than 30 s), greedily, without timestamps, and the text is
revised at every round until the turn's real transcription replaces it.

Measured on the eval set's English clips cut at their pauses as captions cut them (tiny.en int8,
one thread): 8.2 % WER at 0.029 CPU s per second of speech, against 6.4 % for the whole clips in
30 s windows. Shorter windows cost little less and read much worse: 16 % WER padded to 6 s, 21 %
with one second of quiet, as Whisper, trained on 30 s windows, loses track of where speech ends.
For the same reason the token budget must not be tight (5 tokens a second cut long sentences
short: 14 % WER); repeated trigrams are refused instead, so a loop cannot fill it.
"""

from __future__ import annotations

import zlib

import ctranslate2
import numpy as np
from faster_whisper.tokenizer import Tokenizer

from roomcast.audio import ASR_RATE
from transcripts.transcription import MAX_COMPRESSION_RATIO, get_model, has_loop
from transcripts.whisper_models import is_english_only, model_for_language, whisper_language

MIN_INPUT_S, END_QUIET_S = 10.0, 1.0  # the window: speech, then quiet to make up 10 s (at least 1 s)
TOKENS_PER_S, TOKENS_EXTRA = 8, 8  # people say about 4 tokens a second
NO_REPEAT_NGRAM = 3
NO_SPEECH_PROB, LOW_SCORE = 0.6, -1.0  # Whisper's own rule for a window that is not speech
REPETITION_PENALTY = 1.1


def glance(samples: np.ndarray, language: str | None) -> str:
    """What ``samples`` (16 kHz mono, speech) say, quickly and provisionally; "" when unsure."""
    if samples.size < ASR_RATE // 4:
        return ""
    name = model_for_language(language)
    model = get_model(name)
    code = "en" if is_english_only(name) else whisper_language(language)
    quiet = max(END_QUIET_S * ASR_RATE, MIN_INPUT_S * ASR_RATE - samples.size)
    audio = np.concatenate([samples.astype(np.float32), np.zeros(int(quiet), np.float32)])
    features = model.feature_extractor(audio)
    frames = features.shape[1] - features.shape[1] % 2  # the encoder's convolutions halve the frames
    encoded = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None, :, :frames]))
    if code is None and model.model.is_multilingual:
        code = model.model.detect_language(encoded)[0][0][0][2:-2]  # "<|fr|>" -> "fr"
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=code)
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    budget = int(samples.size / ASR_RATE * TOKENS_PER_S) + TOKENS_EXTRA
    result = model.model.generate(
        encoded, [prompt], beam_size=1, max_length=len(prompt) + budget, suppress_blank=True,
        suppress_tokens=[-1], repetition_penalty=REPETITION_PENALTY, no_repeat_ngram_size=NO_REPEAT_NGRAM,
        return_scores=True, return_no_speech_prob=True,
    )[0]
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    text = tokenizer.decode(tokens).strip()
    score = result.scores[0] if result.scores else 0.0
    if not text or (result.no_speech_prob > NO_SPEECH_PROB and score < LOW_SCORE):
        return ""
    return "" if looks_invented(text) else text


def looks_invented(text: str) -> bool:
    """A loop, as transcription.invented judges a segment (no word times here)."""
    data = text.encode()
    ratio = len(data) / max(1, len(zlib.compress(data)))
    return ratio > MAX_COMPRESSION_RATIO or has_loop(text.split())
