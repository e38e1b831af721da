"""What a transcription hears: utterances (a Whisper segment, placed on its track) and their
timed words. Everything in transcripts/ passes these along; their JSON form is what a track's
transcript and its live progress store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
