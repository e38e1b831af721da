"""The embedded search index: tantivy, in a directory beside the database.

tantivy ranks by BM25 and prunes with block-max WAND, so a word said in half of all segments
costs about what a rare one does; SQLite FTS5 has to rank every match (see bench/search).
Each language has its own text field and analyzer (its Snowball stemmer, then accents folded),
so a segment is stemmed by the rules of the language it was spoken in.

Writes come from the worker (``search.tasks``) and the CLI's reindex, one at a time; readers in
every process see a commit within about half a second.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy
from sqlalchemy import text
from sqlalchemy.orm import Session

from search.backends.base import (
    INDEXABLE_SEGMENTS_SQL, INDEXABLE_SQL, MARK_END, MARK_START, Filters, Hit, day_bounds, hit_from_row,
    as_utc, indexable_segments, ranked, render_snippet, visible_rows,
)
from search.analysis import ANALYZERS, KEYWORD, LANGUAGES, fold
from search.languages import language_key
from search.query import Query

MAX_PREFIX_TERMS = 64  # a prefix stands for its most frequent completions
SNIPPET_CHARS = 160
SCHEMA_VERSION = 1  # a new schema gets a new directory, built from the database by search.catch_up
TIE_MARGIN = 2  # candidates fetched per hit wanted, so that equal scores can be ordered by recency


@dataclass(frozen=True)
class IndexedSegment:
    segment_id: int
    episode_id: int
    show_id: int
    speaker: str
    language: str
    text: str
    published: int  # epoch seconds


def text_field(language: str) -> str:
    return f"text_{language}"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("segment_id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("episode_id", indexed=True, fast=True)
    builder.add_unsigned_field("show_id", indexed=True, fast=True)
    builder.add_integer_field("published", indexed=True, fast=True)
    builder.add_text_field("speaker", tokenizer_name="keyword", index_option="basic")
    builder.add_text_field("language", tokenizer_name="keyword", index_option="basic")
    for language in LANGUAGES:
        builder.add_text_field(text_field(language), stored=True, tokenizer_name=f"{language}_text")
    return builder.build()


class TantivyIndex:
    """The index files; no database in here."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(directory), reuse=True)
        for language, analyzer in ANALYZERS.items():
            self.index.register_tokenizer(f"{language}_text", analyzer)
        self.index.register_tokenizer("keyword", KEYWORD)

    # -- writing ---------------------------------------------------------------------------

    def write(self, remove_episodes: Iterable[int], add: Iterable[IndexedSegment], heap_mb: int = 64,
              remove_all: bool = False) -> int:
        """Remove whole episodes (or everything) and add segments, in one commit.

        Writers from several processes (worker children, the CLI) queue on a lock file, so
        tantivy's own writer lock is always free when one of them asks for it.
        """
        with open(self.directory / "roomcast-writer.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            writer = self.index.writer(heap_size=heap_mb * 1_000_000, num_threads=1)
            added = 0
            try:
                if remove_all:
                    writer.delete_all_documents()
                for episode_id in remove_episodes:
                    writer.delete_documents_by_term("episode_id", episode_id)
                for segment in add:
                    writer.add_document(self._document(segment))
                    added += 1
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            writer.wait_merging_threads()  # small segments are merged before the lock is let go
        self.index.reload()
        return added

    def _document(self, segment: IndexedSegment) -> tantivy.Document:
        document = tantivy.Document()
        document.add_unsigned("segment_id", segment.segment_id)
        document.add_unsigned("episode_id", segment.episode_id)
        document.add_unsigned("show_id", segment.show_id)
        document.add_integer("published", segment.published)
        document.add_text("speaker", segment.speaker)
        document.add_text("language", language_key(segment.language))
        document.add_text(text_field(language_key(segment.language)), segment.text)
        return document

    # -- reading ---------------------------------------------------------------------------

    def search(self, query: Query, filters: Filters, excluded_shows: Sequence[int], show_id: int | None,
               limit: int) -> list[tuple[int, float, str]]:
        """(segment id, score, marked snippet) of the best matches, best first."""
        searcher = self.index.searcher()
        languages = [language_key(filters.language)] if filters.language else self._indexed_languages(searcher)
        per_language = {lang: q for lang in languages if (q := self._text_query(searcher, lang, query)) is not None}
        if not per_language:
            return []
        matched = _either(list(per_language.values()))
        restricted = self._restricted(matched, filters, excluded_shows, show_id)
        found = searcher.search(restricted, limit * TIE_MARGIN, count=False).hits
        if not found:
            return []
        addresses = [address for _, address in found]
        ids = searcher.fast_field_values("segment_id", addresses)
        published = searcher.fast_field_values("published", addresses)
        order = sorted(range(len(found)), key=lambda n: (-round(found[n][0], 6), -(published[n] or 0), ids[n]))[:limit]
        snippets = _Snippets(searcher, self.schema, per_language)
        return [(ids[n], found[n][0], snippets.of(searcher.doc(addresses[n]))) for n in order]

    @staticmethod
    def _indexed_languages(searcher: tantivy.Searcher) -> list[str]:
        """Only languages that have segments get a clause (an empty field would still cost a lookup)."""
        present = {term for term, count in searcher.terms_with_prefix("language", "") if count}
        return [language for language in LANGUAGES if language in present]

    def _text_query(self, searcher: tantivy.Searcher, language: str, query: Query) -> tantivy.Query | None:
        field, analyzer = text_field(language), ANALYZERS[language]
        clauses: list[tantivy.Query] = []
        for word in query.words:
            clauses += self._phrase(field, analyzer.analyze(word))
        for phrase in query.phrases:
            clauses += self._phrase(field, analyzer.analyze(" ".join(phrase)))
        for prefix in query.prefixes:
            completions = self._completions(searcher, field, {fold(prefix), *analyzer.analyze(prefix)})
            if not completions:
                return None  # nothing starts like that: the AND can't match
            clauses.append(_either([tantivy.Query.term_query(self.schema, field, t) for t in completions]))
        if not clauses:
            return None
        return _all(clauses)

    def _phrase(self, field: str, tokens: list[str]) -> list[tantivy.Query]:
        if len(tokens) == 1:
            return [tantivy.Query.term_query(self.schema, field, tokens[0])]
        if tokens:
            return [tantivy.Query.phrase_query(self.schema, field, tokens)]
        return []

    @staticmethod
    def _completions(searcher: tantivy.Searcher, field: str, prefixes: set[str]) -> list[str]:
        counts: dict[str, int] = {}
        for prefix in prefixes:
            if prefix:
                counts.update(searcher.terms_with_prefix(field, prefix, limit=MAX_PREFIX_TERMS))
        return sorted(counts, key=lambda term: -counts[term])[:MAX_PREFIX_TERMS]

    def _restricted(self, matched: tantivy.Query, filters: Filters, excluded_shows: Sequence[int],
                    show_id: int | None) -> tantivy.Query:
        """Filters narrow the matches without changing their scores."""
        schema, must, must_not = self.schema, [], []
        if show_id is not None:
            must.append(tantivy.Query.term_query(schema, "show_id", show_id))
        if filters.speaker:
            must.append(tantivy.Query.term_query(schema, "speaker", filters.speaker.strip().lower()))
        start, end = day_bounds(filters)
        if start or end:
            must.append(tantivy.Query.range_query(schema, "published", tantivy.FieldType.Integer,
                                                  int(start.timestamp()) if start else None,
                                                  int(end.timestamp()) if end else None))
        if excluded_shows:
            must_not.append(tantivy.Query.term_set_query(schema, "show_id", list(excluded_shows)))
        if not must and not must_not:
            return matched
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, matched)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in must]
            + [(tantivy.Occur.MustNot, q) for q in must_not]
        )


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    return queries[0] if len(queries) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _either(queries: list[tantivy.Query]) -> tantivy.Query:
    return queries[0] if len(queries) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


class _Snippets:
    """Snippet generators per language field, made only for the fields that hits come from."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, queries: dict[str, tantivy.Query]) -> None:
        self.searcher, self.schema, self.queries = searcher, schema, queries
        self.generators: dict[str, tantivy.SnippetGenerator] = {}

    def of(self, document: tantivy.Document) -> str:
        for language, query in self.queries.items():
            field = text_field(language)
            if document.get_first(field) is None:
                continue
            if field not in self.generators:
                generator = tantivy.SnippetGenerator.create(self.searcher, query, self.schema, field)
                generator.set_max_num_chars(SNIPPET_CHARS)
                self.generators[field] = generator
            return _marked(self.generators[field].snippet_from_doc(document))
        return ""


def _marked(snippet: tantivy.Snippet) -> str:
    fragment = snippet.fragment().encode()
    out, position = [], 0
    for highlight in snippet.highlighted():
        out += [fragment[position:highlight.start].decode(), MARK_START,
                fragment[highlight.start:highlight.end].decode(), MARK_END]
        position = highlight.end
    out.append(fragment[position:].decode())
    return "".join(out)


class TantivyBackend:
    """The embedded default: tantivy finds and ranks, the database supplies what a hit shows."""

    _instances: dict[Path, TantivyIndex] = {}
    _lock = threading.Lock()

    def __init__(self, index: TantivyIndex) -> None:
        self.index = index

    @classmethod
    def default(cls) -> TantivyBackend:
        from roomcast.settings import get_settings

        return cls.at(get_settings().resolved_search_index_dir / f"v{SCHEMA_VERSION}")

    @classmethod
    def at(cls, directory: Path) -> TantivyBackend:
        with cls._lock:  # one open index per directory and process
            if directory not in cls._instances:
                cls._instances[directory] = TantivyIndex(directory)
            return cls(cls._instances[directory])

    def index_episode(self, session: Session, episode_id: int) -> int:
        rows = indexable_segments(session, episode_id)
        count = self.index.write([episode_id], [_indexed(row) for row in rows])
        _mark_indexed(session, "episode_id = :e", {"e": episode_id}, bool(rows))
        return count

    def remove_episode(self, session: Session, episode_id: int) -> None:
        self.index.write([episode_id], [])
        _mark_indexed(session, "episode_id = :e", {"e": episode_id}, False)

    def reindex(self, session: Session) -> int:
        """Everything published, from the database: the index is derived and can always be rebuilt."""
        rows = session.execute(text(f"{INDEXABLE_SEGMENTS_SQL} ORDER BY ts.id")).yield_per(10_000)
        count = self.index.write([], (_indexed(row) for row in rows), heap_mb=256, remove_all=True)
        _mark_indexed(session, "true", {}, False)
        _mark_indexed(session, f"episode_id IN (SELECT e.id FROM episodes e WHERE {INDEXABLE_SQL})", {}, True)
        return count

    def document_count(self) -> int:
        return self.index.index.searcher().num_docs

    def search(self, session: Session, query: Query, filters: Filters, limit: int) -> list[Hit]:
        show_id, excluded = _show_scope(session, filters)
        if filters.show and show_id is None:
            return []
        found = self.index.search(query, filters, excluded, show_id, limit)
        if not found:
            return []
        by_id = visible_rows(session, [segment_id for segment_id, _, _ in found], filters)
        return ranked([hit_from_row(by_id[i], render_snippet(marked), score) for i, score, marked in found if i in by_id])


def _show_scope(session: Session, filters: Filters) -> tuple[int | None, list[int]]:
    """The id of the show filtered on, and the private shows this searcher may not see."""
    rows = session.execute(text("SELECT id, slug, private FROM shows WHERE private OR slug = :slug"),
                           {"slug": filters.show}).all()
    show_id = next((row[0] for row in rows if row[1] == filters.show), None)
    excluded = [row[0] for row in rows if row[2] and row[0] not in filters.private_shows]
    return show_id, excluded


def _mark_indexed(session: Session, where: str, params: dict, indexed: bool) -> None:
    """The database remembers what the index holds, so a lost index is noticed and rebuilt."""
    session.execute(text(f"UPDATE transcript_segments SET indexed = :i WHERE {where} AND indexed != :i"),
                    {**params, "i": indexed})


def _indexed(row) -> IndexedSegment:  # type: ignore[no-untyped-def]
    segment_id, episode_id, show_id, speaker, language, text, published = row
    published = as_utc(published)
    # An episode about to be published counts as published now (for recency between equal scores).
    published_s = published.timestamp() if published else time.time()
    return IndexedSegment(segment_id, episode_id, show_id, speaker, language, text, int(published_s))
