"""One search interface, two backends: a tantivy index (embedded, ``tantivy_index``) and PostgreSQL
full text (scale-out, ``postgres_fts``); what they share is ``base``, which knows neither of them.

``transcript_segments`` is the truth; an index only says which segments match and how well.
Hits are always read back from the database, which checks once more that the episode is
published and its show public or open to the searcher, so a stale index can't leak anything.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from search.backends.base import Filters, Hit, SearchBackend
from search.backends.postgres_fts import PostgresBackend
from search.backends.tantivy_index import TantivyBackend

__all__ = ["Filters", "Hit", "SearchBackend", "backend_for"]


def backend_for(session: Session) -> SearchBackend:
    """The database's own full text beside PostgreSQL; the embedded index otherwise."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresBackend()
    return TantivyBackend.default()
