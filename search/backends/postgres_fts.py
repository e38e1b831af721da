"""The scale-out index: PostgreSQL full text, shared by every API node.

Each segment keeps a tsvector stemmed by its own language's configuration, under a GIN index;
queries of several words or with a phrase find their matches there and rank them with
ts_rank_cd. A word said in 3% of a million segments would mean visiting 30,000 rows to rank
them, so one-word and prefix queries read ``search_postings`` instead: a row per (lexeme,
segment) holding that ranking precomputed, in a btree ordered best first, newest first.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from search.backends.base import (
    INDEXABLE_SQL, MARK_END, MARK_START, VISIBLE_SQL, Filters, Hit, day_bounds, hit_from_row, ranked, render_snippet,
    visible_rows, with_visibility,
)
from search.languages import STEMMED, postgres_config
from search.query import Query

# regconfig of each segment's own language: the same CASE in indexing and in snippets.
CONFIG_CASE = "CASE split_part(lower(ts.language), '-', 1) " + " ".join(
    f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in STEMMED.items()
) + " ELSE 'simple'::regconfig END"
MAX_PREFIX_LEXEMES = 64  # a prefix stands for its most frequent completions
MAX_RANKED = 5_000  # several-word queries rank at most this many matches (see search())
_SINGLE_TERM = re.compile(r"^'((?:[^']|'')+)'(:\*)?$")  # how PostgreSQL prints a one-lexeme tsquery

_POSTINGS_OF_EPISODE = """
    INSERT INTO search_postings (lexeme, impact, published, segment_id, episode_id)
    SELECT u.lexeme, ts_rank_cd(ts.search_vector, quote_literal(u.lexeme)::tsquery),
           CAST(extract(epoch FROM coalesce(e.published_at, now())) AS bigint), ts.id, ts.episode_id
    FROM transcript_segments ts JOIN episodes e ON e.id = ts.episode_id, unnest(ts.search_vector) u
    WHERE ts.search_vector IS NOT NULL AND {where}
"""
_VECTORS = f"""
    UPDATE transcript_segments ts SET indexed = true, search_vector = to_tsvector({CONFIG_CASE}, ts.text)
    FROM episodes e WHERE e.id = ts.episode_id AND {INDEXABLE_SQL} AND {{where}}
"""


class PostgresBackend:
    def index_episode(self, session: Session, episode_id: int) -> int:
        self.remove_episode(session, episode_id)
        count = session.execute(text(_VECTORS.format(where="ts.episode_id = :e")), {"e": episode_id}).rowcount
        session.execute(text(_POSTINGS_OF_EPISODE.format(where="ts.episode_id = :e")), {"e": episode_id})
        # Lexicon rows are taken in one order by every node, so concurrent indexing can't deadlock.
        session.execute(text("""
            INSERT INTO search_lexicon (lexeme, segments)
            SELECT lexeme, count(*) FROM search_postings WHERE episode_id = :e GROUP BY lexeme ORDER BY lexeme
            ON CONFLICT (lexeme) DO UPDATE SET segments = search_lexicon.segments + excluded.segments
        """), {"e": episode_id})
        return count

    def remove_episode(self, session: Session, episode_id: int) -> None:
        session.execute(text("""
            UPDATE search_lexicon l SET segments = l.segments - gone.n
            FROM (SELECT lexeme, count(*) AS n FROM search_postings WHERE episode_id = :e GROUP BY lexeme ORDER BY lexeme) gone
            WHERE l.lexeme = gone.lexeme
        """), {"e": episode_id})
        session.execute(text("DELETE FROM search_postings WHERE episode_id = :e"), {"e": episode_id})
        session.execute(
            text("UPDATE transcript_segments SET indexed = false, search_vector = NULL WHERE episode_id = :e AND indexed"),
            {"e": episode_id},
        )

    def reindex(self, session: Session) -> int:
        session.execute(text("TRUNCATE search_postings, search_lexicon"))
        session.execute(text("UPDATE transcript_segments SET indexed = false, search_vector = NULL WHERE indexed"))
        count = session.execute(text(_VECTORS.format(where="true"))).rowcount
        session.execute(text(_POSTINGS_OF_EPISODE.format(where="true")))
        session.execute(text("INSERT INTO search_lexicon SELECT lexeme, count(*) FROM search_postings GROUP BY lexeme"))
        return count

    @staticmethod
    def tsquery(query: Query) -> str:
        # Tokens are \w+ only (see search.query), so they cannot carry tsquery operators.
        parts = list(query.words)
        parts += [f"{p}:*" for p in query.prefixes]
        parts += ["(" + " <-> ".join(phrase) + ")" for phrase in query.phrases]
        return " & ".join(parts)

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]:
        configs = _configs(session, filters)
        tsquery_sql = " || ".join(f"to_tsquery('{config}', :tsquery)" for config in configs)
        params = {"tsquery": self.tsquery(query), "private_shows": sorted(filters.private_shows)}
        normalized = [row[0] for row in session.execute(text(f"SELECT {tsquery_sql}"), params)]
        single = _single_terms(normalized[0] if normalized else "")
        narrowed = filters.show or filters.speaker or filters.language or filters.since or filters.until
        if not normalized[0]:
            return []  # only stop words
        if single is not None and not narrowed:
            best = _best_postings(session, single, params, limit)
        else:
            best = _best_matches(session, tsquery_sql, filters, params, limit)
        if not best:
            return []
        snippet = (f"ts_headline({CONFIG_CASE}, ts.text, {tsquery_sql}, "
                   f"'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, MaxFragments=1')")
        rows = visible_rows(session, list(best), filters, snippet, params).values()
        return ranked([hit_from_row(row, render_snippet(row[11] or ""), best[row[0]]) for row in rows])


def _configs(session: Session, filters: Filters) -> list[str]:
    """The configurations of the languages published episodes are in (one, with a language filter)."""
    if filters.language:
        return [postgres_config(filters.language)]
    languages = session.execute(text("SELECT DISTINCT language FROM episodes WHERE status = 'published'")).scalars()
    return sorted({postgres_config(language) for language in languages}) or ["english"]


def _single_terms(normalized: str) -> list[tuple[str, bool]] | None:
    """The query as (lexeme, is_prefix) alternatives, if it is one word or one prefix in every language."""
    terms = []
    for part in normalized.split(" | "):
        match = _SINGLE_TERM.match(part.strip().strip("()"))
        if match is None:
            return None
        terms.append((match.group(1).replace("''", "'"), bool(match.group(2))))
    return sorted(set(terms))


def _best_postings(session: Session, terms: list[tuple[str, bool]], params: dict, limit: int) -> dict[int, float]:
    """The best segments for one word or prefix, read from the postings in their ranked order."""
    lexemes = [lexeme for lexeme, is_prefix in terms if not is_prefix]
    for prefix in (lexeme for lexeme, is_prefix in terms if is_prefix):
        lexemes += session.execute(
            text("SELECT lexeme FROM search_lexicon WHERE lexeme >= :p AND lexeme < :p || chr(1114111) "
                 "AND segments > 0 ORDER BY segments DESC LIMIT :n"),
            {"p": prefix, "n": MAX_PREFIX_LEXEMES},
        ).scalars().all()
    rows = session.execute(with_visibility(f"""
        SELECT best.segment_id, max(best.impact) AS score, max(best.published) AS published
        FROM unnest(CAST(:lexemes AS text[])) AS l(lexeme)
        CROSS JOIN LATERAL (
          SELECT p.segment_id, p.impact, p.published
          FROM search_postings p JOIN episodes e ON e.id = p.episode_id JOIN shows sh ON sh.id = e.show_id
          WHERE p.lexeme = l.lexeme AND {VISIBLE_SQL}
          ORDER BY p.impact DESC, p.published DESC, p.segment_id
          LIMIT :limit
        ) best
        GROUP BY best.segment_id ORDER BY score DESC, published DESC, best.segment_id LIMIT :limit
    """), {**params, "lexemes": sorted(set(lexemes)), "limit": limit})
    return {row[0]: float(row[1]) for row in rows}


def _best_matches(session: Session, tsquery_sql: str, filters: Filters, params: dict, limit: int) -> dict[int, float]:
    """The best segments for anything else, from the GIN index; at most MAX_RANKED matches are ranked."""
    start, end = day_bounds(filters)
    rows = session.execute(with_visibility(f"""
        WITH q AS (SELECT {tsquery_sql} AS query),
        matches AS (
          SELECT ts.id, ts.search_vector, e.published_at
          FROM transcript_segments ts JOIN episodes e ON e.id = ts.episode_id JOIN shows sh ON sh.id = e.show_id, q
          WHERE ts.search_vector @@ q.query AND {VISIBLE_SQL}
            AND (CAST(:show AS TEXT) IS NULL OR sh.slug = :show)
            AND (CAST(:speaker AS TEXT) IS NULL OR lower(ts.speaker) = lower(:speaker))
            AND (CAST(:language AS TEXT) IS NULL OR split_part(lower(ts.language), '-', 1) = :language)
            AND (CAST(:start AS timestamptz) IS NULL OR e.published_at >= :start)
            AND (CAST(:end AS timestamptz) IS NULL OR e.published_at <= :end)
          LIMIT :max_ranked
        )
        SELECT matches.id, ts_rank_cd(matches.search_vector, q.query) AS score
        FROM matches, q ORDER BY score DESC, matches.published_at DESC, matches.id LIMIT :limit
    """), {
        **params, "limit": limit, "max_ranked": MAX_RANKED, "show": filters.show, "speaker": filters.speaker,
        "language": filters.language.split("-")[0].lower() if filters.language else None, "start": start, "end": end,
    })
    return {row[0]: float(row[1]) for row in rows}
