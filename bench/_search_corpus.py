"""A transcript corpus and a query mix for the search benchmark.

Words are drawn from wordfreq's English list by their real frequencies (Zipf's law: "the" is in
more than half of all 15-word segments), so common words cost what they cost in real transcripts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import wordfreq

VOCABULARY = 30_000
SPEAKERS = [f"Speaker {n}" for n in range(40)]


@dataclass(frozen=True)
class Segment:
    id: int
    episode: int
    speaker: str
    start_s: float
    text: str


class Corpus:
    def __init__(self, segments: int, episodes: int, seed: int = 11) -> None:
        self.segments, self.episodes, self.seed = segments, episodes, seed
        self.words = wordfreq.top_n_list("en", VOCABULARY)
        frequencies = np.array([wordfreq.word_frequency(w, "en") for w in self.words])
        self.probabilities = frequencies / frequencies.sum()

    def __iter__(self) -> Iterator[Segment]:
        rng = np.random.default_rng(self.seed)
        per_episode = max(1, self.segments // self.episodes)
        words = np.array(self.words, dtype=object)
        batch = 10_000
        for first in range(0, self.segments, batch):
            count = min(batch, self.segments - first)
            lengths = rng.integers(8, 23, size=count)  # about 15 words a segment
            drawn = rng.choice(len(words), size=int(lengths.sum()), p=self.probabilities)
            offsets = np.concatenate([[0], np.cumsum(lengths)])
            for n in range(count):
                index = first + n
                text = " ".join(words[drawn[offsets[n]:offsets[n + 1]]])
                position = index % per_episode
                yield Segment(index + 1, min(index // per_episode, self.episodes - 1) + 1,
                              SPEAKERS[(index // 7) % len(SPEAKERS)], position * 6.0, text)

    def queries(self, count: int, seed: int = 5) -> list[str]:
        """Single words, very common words, 2-3-word ANDs, phrases and prefixes, shuffled."""
        rng = random.Random(seed)
        picks = np.random.default_rng(seed).choice(len(self.words), size=count * 4, p=self.probabilities)
        typical = iter(self.words[i] for i in picks if i >= 50)  # frequent enough to be typed
        sample = iter(_phrases(self, count, seed))
        kinds = ["word"] * 30 + ["common"] * 15 + ["and"] * 25 + ["phrase"] * 15 + ["prefix"] * 15
        queries = []
        for _ in range(count):
            kind = rng.choice(kinds)
            if kind == "word":
                queries.append(next(typical))
            elif kind == "common":
                queries.append(rng.choice(self.words[:30]))
            elif kind == "and":
                queries.append(" ".join(rng.choice(self.words[:3000]) for _ in range(rng.choice([2, 3]))))
            elif kind == "phrase":
                queries.append('"' + next(sample) + '"')
            else:
                word = next(w for w in typical if len(w) >= 5)
                queries.append(word[: rng.randint(3, len(word) - 1)] + "*")
        return queries


def _phrases(corpus: Corpus, count: int, seed: int) -> Iterator[str]:
    """Two or three consecutive words from segments of the corpus, so that phrases do occur."""
    rng = random.Random(seed)
    wanted = {rng.randrange(corpus.segments) + 1 for _ in range(count)}
    for segment in corpus:
        if segment.id in wanted:
            words = segment.text.split()
            length = rng.choice([2, 3])
            start = rng.randrange(max(1, len(words) - length))
            yield " ".join(words[start:start + length])
