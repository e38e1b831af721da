"""One index interface, two backends: SQLite FTS5 (embedded) and PostgreSQL full text (scale-out).

Both index the rows of ``transcript_segments``; the tables they use are created by the
kernel's migrations. Searches only ever see segments of published episodes.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from search.query import Query

MARK_START, MARK_END = "\ue000", "\ue001"  # private-use markers, turned into <mark> after escaping
LANGUAGE_CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "nl": "dutch", "de": "german", "it": "italian", "pt": "portuguese"}


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
    snippet: str
    words: list
    published_at: datetime | None


@dataclass
class Filters:
    show: str | None = None
    speaker: str | None = None
    language: str | None = None


class SearchBackend(Protocol):
    def index_episode(self, session: Session, episode_id: int) -> int: ...

    def remove_episode(self, session: Session, episode_id: int) -> None: ...

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]: ...


def render_snippet(marked: str) -> str:
    return html.escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


_FILTER_SQL = """
  AND e.status = 'published'
  AND NOT sh.private  -- private transcripts are never in public search
  AND (CAST(:show AS TEXT) IS NULL OR sh.slug = :show)
  AND (CAST(:speaker AS TEXT) IS NULL OR lower(ts.speaker) = lower(:speaker))
  AND (CAST(:language AS TEXT) IS NULL OR ts.language = :language)
"""

_HIT_COLUMNS = """ts.id, ts.episode_id, e.title, sh.slug, ts.speaker, ts.start_s, ts.end_s, ts.text, {snippet},
  ts.words, e.published_at"""


class SqliteFtsBackend:
    """FTS5 with the Porter stemmer, ranked by BM25, ties broken by recency."""

    def index_episode(self, session: Session, episode_id: int) -> int:
        self.remove_episode(session, episode_id)
        result = session.execute(
            text("INSERT INTO segment_fts(rowid, text) SELECT id, text FROM transcript_segments WHERE episode_id = :e"),
            {"e": episode_id},
        )
        session.execute(text("UPDATE transcript_segments SET indexed = 1 WHERE episode_id = :e"), {"e": episode_id})
        return result.rowcount

    def remove_episode(self, session: Session, episode_id: int) -> None:
        # External-content FTS5 tables are told what to forget with the old row values.
        session.execute(
            text(
                "INSERT INTO segment_fts(segment_fts, rowid, text) SELECT 'delete', id, text "
                "FROM transcript_segments WHERE episode_id = :e AND indexed = 1"
            ),
            {"e": episode_id},
        )
        session.execute(text("UPDATE transcript_segments SET indexed = 0 WHERE episode_id = :e"), {"e": episode_id})

    @staticmethod
    def match_expression(query: Query) -> str:
        def quoted(token: str) -> str:
            return '"' + token.replace('"', "") + '"'

        parts = [quoted(w) for w in query.words]
        parts += [quoted(p) + "*" for p in query.prefixes]
        parts += [quoted(" ".join(phrase)) for phrase in query.phrases]
        return " AND ".join(parts)

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]:
        snippet = f"snippet(segment_fts, 0, '{MARK_START}', '{MARK_END}', '…', 24)"
        sql = f"""
            SELECT {_HIT_COLUMNS.format(snippet=snippet)}
            FROM segment_fts
            JOIN transcript_segments ts ON ts.id = segment_fts.rowid
            JOIN episodes e ON e.id = ts.episode_id
            JOIN shows sh ON sh.id = e.show_id
            WHERE segment_fts MATCH :match {_FILTER_SQL}
            ORDER BY bm25(segment_fts), e.published_at DESC, ts.start_s
            LIMIT :limit
        """
        params = {"match": self.match_expression(query), "limit": limit, **filters.__dict__}
        return [_hit(row) for row in session.execute(text(sql), params)]


class PostgresBackend:
    """A tsvector per segment (language-specific stemming) with a GIN index, ranked by ts_rank_cd."""

    def index_episode(self, session: Session, episode_id: int) -> int:
        result = session.execute(
            text(
                "UPDATE transcript_segments SET indexed = true, search_vector = "
                "to_tsvector(CAST(:config AS regconfig), text) WHERE episode_id = :e"
            ),
            {"e": episode_id, "config": self._config_for_episode(session, episode_id)},
        )
        return result.rowcount

    def remove_episode(self, session: Session, episode_id: int) -> None:
        session.execute(
            text("UPDATE transcript_segments SET indexed = false, search_vector = NULL WHERE episode_id = :e"),
            {"e": episode_id},
        )

    @staticmethod
    def _config_for_episode(session: Session, episode_id: int) -> str:
        language = session.execute(text("SELECT language FROM episodes WHERE id = :e"), {"e": episode_id}).scalar()
        return LANGUAGE_CONFIGS.get((language or "en")[:2], "simple")

    @staticmethod
    def tsquery(query: Query) -> str:
        # Tokens are \w+ only (see search.query), so they cannot carry tsquery operators.
        parts = list(query.words)
        parts += [f"{p}:*" for p in query.prefixes]
        parts += ["(" + " <-> ".join(phrase) + ")" for phrase in query.phrases]
        return " & ".join(parts)

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]:
        config = LANGUAGE_CONFIGS.get((filters.language or "en")[:2], "simple")
        snippet = (
            f"ts_headline(CAST(:config AS regconfig), ts.text, q, "
            f"'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, MaxFragments=1')"
        )
        sql = f"""
            SELECT {_HIT_COLUMNS.format(snippet=snippet)}
            FROM transcript_segments ts
            JOIN episodes e ON e.id = ts.episode_id
            JOIN shows sh ON sh.id = e.show_id,
            to_tsquery(CAST(:config AS regconfig), :tsquery) q
            WHERE ts.search_vector @@ q {_FILTER_SQL}
            ORDER BY ts_rank_cd(ts.search_vector, q) DESC, e.published_at DESC, ts.start_s
            LIMIT :limit
        """
        params = {"tsquery": self.tsquery(query), "config": config, "limit": limit, **filters.__dict__}
        return [_hit(row) for row in session.execute(text(sql), params)]


def _hit(row) -> Hit:  # type: ignore[no-untyped-def]
    words = json.loads(row[9]) if isinstance(row[9], str) else row[9]
    published = row[10]
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    return Hit(row[0], row[1], row[2], row[3], row[4], float(row[5]), float(row[6]), row[7], render_snippet(row[8] or ""), words or [], published)


def backend_for(session: Session) -> SearchBackend:
    return PostgresBackend() if session.get_bind().dialect.name == "postgresql" else SqliteFtsBackend()
