"""Turning what a person typed into a safe, structured query.

Supported: plain words (all must match), "exact phrases", and prefixes (``pian*``). Anything
else, full-text operators included, is treated as text, so no input can become query syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits of any script


class QueryError(ValueError):
    """The query cannot be run; the message says why, for a 400 answer."""


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)

    @property
    def all_terms(self) -> list[str]:
        return self.words + self.prefixes + [w for phrase in self.phrases for w in phrase]

    def is_empty(self) -> bool:
        return not (self.words or self.prefixes or self.phrases)


def parse(text: str) -> Query:
    text = (text or "").strip()
    if not text:
        raise QueryError("the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    query = Query()
    parts = text.split('"')
    for index, part in enumerate(parts):
        # Odd parts lie between quotes; an unbalanced last quote just opens a phrase to the end.
        if index % 2 == 1:
            tokens = [t.lower() for t in _TOKEN.findall(part)]
            if len(tokens) > 1:
                query.phrases.append(tokens)
            else:
                query.words.extend(tokens)
            continue
        for chunk in part.split():
            tokens = [t.lower() for t in _TOKEN.findall(chunk)]
            if tokens and chunk.rstrip().endswith("*"):
                query.words.extend(tokens[:-1])
                query.prefixes.append(tokens[-1])
            else:
                query.words.extend(tokens)
    if query.is_empty():
        raise QueryError("the query has no searchable words")
    if len(query.all_terms) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} words")
    return query
