"""Database engines and sessions; SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from roomcast.instants import as_utc
from roomcast.settings import get_settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver we install), not psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the pipeline's writers
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def pool_size() -> int:
    return get_settings().db_pool_size or get_settings().http_threads + 10


def session_slots() -> int:
    """Request sessions open at once (``roomcast.web``): one per HTTP thread, within the pool."""
    return min(get_settings().http_threads, pool_size())


def _pool_options(sqlite: bool) -> dict:
    """Every request session finds a connection (``session_slots`` <= ``pool_size``), with room
    left for the feed's threads and the live rooms; SQLite's connections cost little, so it
    overflows by one per thread. If they run out anyway, a short wait, then 503 (``roomcast.app``)."""
    settings = get_settings()
    overflow = settings.http_threads if sqlite else 10
    return {"pool_size": pool_size(), "max_overflow": overflow, "pool_timeout": settings.db_pool_timeout_s}


@lru_cache
def engine_for(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        options = _pool_options(sqlite=True) if path and path != ":memory:" else {}
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **_pool_options(sqlite=False))


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


@lru_cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def new_session() -> Session:
    return _session_factory(get_settings().resolved_database_url)()


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back if it raises."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def clock(session: Session) -> Any:
    """Now, by the database's clock where there is one to share, as a value to store: leases
    (pipeline steps, nodes, live loops) are compared across machines, so one whose clock runs
    ahead must not take its peers for dead."""
    return func.now() if is_postgres(session) else datetime.now(timezone.utc)


def database_now(session: Session) -> datetime:
    """Now, by the same clock, to compare with what :func:`clock` stored."""
    return as_utc(session.scalar(select(func.now()))) if is_postgres(session) else datetime.now(timezone.utc)


def migrate(url: str | None = None) -> None:
    """Bring the database to the newest schema (idempotent; run by every entry point)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url or get_settings().resolved_database_url))
    engine = engine_for(url or get_settings().resolved_database_url)
    with _migration_lock(engine), engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying and dropping it; with foreign keys on, that
            # drop would cascade into every child row. (A no-op inside a transaction.)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(724011)")
                config.attributes["connection"] = connection
                if not _newer_than_this_code(config, connection):
                    command.upgrade(config, "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _newer_than_this_code(config, connection) -> bool:  # type: ignore[no-untyped-def]
    """A rolling upgrade migrates first, so an older node may start on a newer schema: migrations
    only add, so it runs as it is instead of failing on a revision it does not know."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    current = MigrationContext.configure(connection).get_current_revision()
    try:
        ScriptDirectory.from_config(config).get_revision(current)
    except CommandError:
        log.warning("the database's schema %s is newer than this version of roomcast; not migrating", current)
        return True
    return False


def schema_revision() -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine().connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """`serve` and its worker start together: only one of them may run the migrations."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
