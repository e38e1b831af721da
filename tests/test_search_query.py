"""Parsing what people type into safe queries."""

from __future__ import annotations

import pytest

from search.backends.base import MARK_END, MARK_START, render_snippet
from search.backends.postgres_fts import PostgresBackend
from search.query import Query, QueryError, parse


def test_words_phrases_and_prefixes() -> None:
    query = parse('piano "night sky" astro*')
    assert query.words == ["piano"] and query.phrases == [["night", "sky"]] and query.prefixes == ["astro"]


@pytest.mark.parametrize("text", ['"unbalanced quote', "NEAR(a b)", "a AND OR NOT b", "col:value ^x", "-x +y", "Ελληνικά 日本語"])
def test_syntax_characters_are_only_text(text: str) -> None:
    query = parse(text)
    assert all(part.isalnum() or part in "&<->:*() " for part in PostgresBackend.tsquery(query).replace(" ", ""))


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "x" * 501])
def test_unsearchable_queries_are_refused(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


def test_a_phrase_of_one_word_is_a_word() -> None:
    assert parse('"piano"') == Query(words=["piano"])


def test_snippets_are_escaped_around_the_highlights() -> None:
    assert render_snippet(f"a <script> {MARK_START}word{MARK_END}") == "a &lt;script&gt; <mark>word</mark>"
