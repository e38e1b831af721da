"""Search as the API and the pages use it: parse, ask the backend, land on the spoken word, group.

A hit is a segment (one speaker's line); it deep-links to the second its first matching word
was said. Grouped, the hits become episodes, each with its best moments, in the order of each
episode's best hit.
"""

from __future__ import annotations

import math
from urllib.parse import quote
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from search.analysis import fold, terms
from search.languages import UNSTEMMED
from search.backends import Filters, Hit, backend_for
from search.query import Query, parse

MAX_LIMIT = 100
MOMENTS_PER_EPISODE = 3


@dataclass
class Result:
    hit: Hit
    start: float  # the first matching word, not just the start of the segment

    def to_dict(self) -> dict:
        hit = self.hit
        return {
            "episode_id": hit.episode_id,
            "episode_title": hit.episode_title,
            "show": hit.show_slug,
            "speaker": hit.speaker,
            "speaker_id": hit.speaker_id,
            "speaker_url": speaker_url(hit.speaker_id, hit.speaker),
            "language": hit.language,
            "start": round(self.start, 2),
            "end": round(hit.end, 2),
            "segment_start": round(hit.start, 2),
            "text": hit.text,
            "snippet": hit.snippet,
            "url": episode_url(hit.episode_id, self.start, HIT_LEAD_S),
            "score": round(hit.score, 4),
        }


@dataclass
class EpisodeResults:
    episode_id: int
    title: str
    show: str
    published_at: datetime | None
    moments: list[Result] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "episode_id": self.episode_id, "title": self.title, "show": self.show,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "url": f"/episodes/{self.episode_id}", "moments": [m.to_dict() for m in self.moments],
        }


# A hit's link starts a second before its word: landing on the word itself clips its first
# sound (players seek to a frame, not a sample) and gives the listener no run-up.
HIT_LEAD_S = 1.0


def speaker_url(speaker_id: str | None, name: str) -> str:
    """The person's page; by name only for lines older than people (no participant)."""
    return f"/speakers/{speaker_id}" if speaker_id else f"/speakers/{quote(name, safe='')}"


def episode_url(episode_id: int, seconds: float, lead_s: float = 0.0) -> str:
    start = max(0.0, math.floor((seconds - lead_s) * 10) / 10)
    return f"/episodes/{episode_id}#t={start:g}"


def landing_time(hit: Hit, query: Query) -> float:
    """The start of the first spoken word the query looks for, stemmed as the hit's language is."""
    wanted = {t for word in query.words for t in terms(word, hit.language)}
    wanted |= {t for phrase in query.phrases for t in terms(phrase[0], hit.language)}
    prefixes = tuple(fold(p) for p in query.prefixes)
    for word in hit.words:
        spoken = word.get("word", "")
        if wanted & set(terms(spoken, hit.language)):
            return float(word["start"])
        if prefixes and any(t.startswith(prefixes) for t in terms(spoken, UNSTEMMED)):
            return float(word["start"])
    return hit.start


def search(session: Session, text: str, filters: Filters, limit: int = 20) -> list[Result]:
    """The best ``limit`` hits. Raises search.query.QueryError for input that cannot be searched."""
    query = parse(text)
    hits = backend_for(session).search(session, query, filters, max(1, min(limit, MAX_LIMIT)))
    return [Result(hit, landing_time(hit, query)) for hit in hits]


def by_episode(results: list[Result], moments: int = MOMENTS_PER_EPISODE) -> list[EpisodeResults]:
    episodes: dict[int, EpisodeResults] = {}
    for result in results:
        hit = result.hit
        group = episodes.setdefault(hit.episode_id, EpisodeResults(hit.episode_id, hit.episode_title, hit.show_slug,
                                                                   hit.published_at))
        if len(group.moments) < moments:
            group.moments.append(result)
    return list(episodes.values())
