"""Search as the API and the page use it: parse, query the backend, land on the spoken word."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from search.backends import Filters, Hit, backend_for
from search.query import Query, matches_word, parse

MAX_LIMIT = 100


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
            "start": round(self.start, 2),
            "end": round(hit.end, 2),
            "segment_start": round(hit.start, 2),
            "text": hit.text,
            "snippet": hit.snippet,
            "url": episode_url(hit.episode_id, self.start),
        }


def episode_url(episode_id: int, seconds: float) -> str:
    return f"/episodes/{episode_id}#t={math.floor(seconds)}"


def landing_time(hit: Hit, query: Query) -> float:
    for word in hit.words:
        if matches_word(word.get("word", ""), query):
            return float(word["start"])
    return hit.start


def search(session: Session, text: str, filters: Filters, limit: int = 20) -> list[Result]:
    """Raises search.query.QueryError for input that cannot be searched."""
    query = parse(text)
    hits = backend_for(session).search(session, query, filters, max(1, min(limit, MAX_LIMIT)))
    return [Result(hit, landing_time(hit, query)) for hit in hits]
