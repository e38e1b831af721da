"""What both search backends share: the interface, the hit, the filters, and the SQL that reads hits back.

``transcript_segments`` is the truth; an index only says which segments match and how well.
Hits are always read back from the database, which checks once more that the episode is
published and its show public or open to the searcher, so a stale index can't leak anything.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Protocol

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from search.query import Query

MARK_START, MARK_END = "\ue000", "\ue001"  # private-use markers, turned into <mark> after escaping


@dataclass
class Hit:
    segment_id: int
    episode_id: int
    episode_title: str
    show_slug: str
    speaker: str
    start: float
    end: float
    text: str
    snippet: str  # HTML: the matching words in <mark>, everything else escaped
    words: list
    published_at: datetime | None
    language: str = "en"
    score: float = 0.0
    speaker_id: str | None = None  # the person (roomcast.people): two guests called "Carl" are two


@dataclass
class Filters:
    show: str | None = None
    speaker: str | None = None
    language: str | None = None
    since: date | None = None  # published on or after
    until: date | None = None  # published on or before
    # Private shows whose transcripts this searcher may read (a creator or subscriber token).
    private_shows: frozenset[int] = field(default_factory=frozenset)


class SearchBackend(Protocol):
    def index_episode(self, session: Session, episode_id: int) -> int:
        """Index (or re-index) a published episode's segments; returns how many."""

    def remove_episode(self, session: Session, episode_id: int) -> None: ...

    def reindex(self, session: Session) -> int:
        """Rebuild from the database; returns how many segments are indexed."""

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]:
        """The best ``limit`` segments, best first; equal scores: the newer episode first."""


def render_snippet(marked: str) -> str:
    return html.escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def day_bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """The date filters as instants: from the start of ``since`` to the end of ``until`` (UTC)."""
    start = datetime.combine(filters.since, datetime.min.time(), timezone.utc) if filters.since else None
    end = datetime.combine(filters.until, datetime.max.time(), timezone.utc) if filters.until else None
    return start, end


# Use with ``visible_params``: ``:private_shows`` is an expanding IN list.
VISIBLE_SQL = "e.status = 'published' AND (NOT sh.private OR sh.id IN :private_shows)"

HIT_COLUMNS = ("ts.id, ts.episode_id, e.title, sh.slug, ts.speaker, ts.start_s, ts.end_s, ts.text, ts.words, "
               "e.published_at, ts.language")


def with_visibility(statement: str):  # type: ignore[no-untyped-def]
    return text(statement).bindparams(bindparam("private_shows", expanding=True))


def visible_rows(session: Session, ids: list[int], filters: Filters, snippet_sql: str | None = None,
                 params: dict | None = None) -> dict[int, Any]:
    """The hits' rows by segment id, only those the searcher may see; ``snippet_sql`` adds a column."""
    extra = f", {snippet_sql}" if snippet_sql else ""
    statement = with_visibility(
        f"SELECT {HIT_COLUMNS}{extra}, pe.key FROM transcript_segments ts JOIN episodes e ON e.id = ts.episode_id "
        f"JOIN shows sh ON sh.id = e.show_id LEFT JOIN participants p ON p.id = ts.participant_id "
        f"LEFT JOIN people pe ON pe.identity = p.identity WHERE ts.id IN :ids AND {VISIBLE_SQL}"
    ).bindparams(bindparam("ids", expanding=True))
    rows = session.execute(statement, {**(params or {}), "ids": ids, "private_shows": sorted(filters.private_shows)})
    return {row[0]: row for row in rows}


def as_utc(value: datetime | str | None) -> datetime | None:
    """A timestamp from raw SQL: SQLite gives ISO text in UTC without the zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def hit_from_row(row, snippet: str, score: float) -> Hit:  # type: ignore[no-untyped-def]
    words = json.loads(row[8]) if isinstance(row[8], str) else row[8]
    return Hit(row[0], row[1], row[2], row[3], row[4], float(row[5]), float(row[6]), row[7], snippet,
               words or [], as_utc(row[9]), row[10], score, speaker_id=row[-1])  # the person's key comes last


def ranked(hits: list[Hit]) -> list[Hit]:
    """Best score first; on a tie the newer episode, then the earlier moment."""
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(hits, key=lambda h: (-round(h.score, 6), -(h.published_at or oldest).timestamp(), h.episode_id, h.start))


# Episodes are indexed as the pipeline's last step before publishing, so "processing" ones are
# indexed too: hits are only ever shown once VISIBLE_SQL says the episode is published.
INDEXABLE_STATUSES = ("processing", "published")
INDEXABLE_SQL = "e.status IN ('processing', 'published')"
INDEXABLE_SEGMENTS_SQL = (
    "SELECT ts.id, ts.episode_id, e.show_id, ts.speaker, ts.language, ts.text, e.published_at "
    f"FROM transcript_segments ts JOIN episodes e ON e.id = ts.episode_id WHERE {INDEXABLE_SQL}"
)


def indexable_segments(session: Session, episode_id: int) -> list:
    """The rows an index holds for an episode: none unless it is published or about to be."""
    return list(session.execute(text(f"{INDEXABLE_SEGMENTS_SQL} AND ts.episode_id = :e"), {"e": episode_id}))
