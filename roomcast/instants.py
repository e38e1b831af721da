"""One rule for instants in the database: stored in UTC, read back as aware UTC datetimes.

SQLite has no time zone type: SQLAlchemy writes a datetime's wall-clock fields and drops its
offset, so 21:00+01:00 came back as 21:00 and was read as UTC, an hour late. Converting to UTC
before writing, and attaching UTC when reading, makes SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is a UTC reading (everything roomcast writes comes from ``utcnow``)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` in the schema (migrations need no change); UTC in and out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)
