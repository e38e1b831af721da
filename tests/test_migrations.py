"""Migrations keep what is there: SQLite rebuilds tables to alter them, and must not cascade."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from roomcast.db import MIGRATIONS_DIR, engine_for, migrate


@contextmanager
def at_revision(url: str, revision: str) -> Iterator[Connection]:
    """A database at an old schema, to write rows as that version stored them."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        yield connection


def test_upgrading_from_the_first_schema_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = engine_for(url)
    with at_revision(url, "0001") as connection:
        connection.exec_driver_sql(
            "INSERT INTO shows (slug, title, description, language, guid, created_at) VALUES ('a', 'A', '', 'en', 'g', '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO rooms (show_id, title, description, status, created_at) VALUES (1, 'r', '', 'ended', '2026-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO participants (room_id, identity, display_name, role, joined_at) VALUES (1, 'i', 'P', 'host', '2026-01-01')"
        )
    migrate(url)
    with engine.begin() as connection:
        [(room_id, guid)] = connection.exec_driver_sql("SELECT id, guid FROM rooms").fetchall()
        assert room_id == 1 and len(guid) == 36
        assert connection.exec_driver_sql("SELECT count(*) FROM participants").scalar() == 1
        assert connection.exec_driver_sql("SELECT publish_mode, feed_version FROM shows").fetchall() == [("auto", 1)]
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_steps_stored_under_their_old_names_take_their_tasks_names(tmp_path: Path) -> None:
    """Migration 0014: a run's rows keep reading right (and a run in flight goes on) once step
    names are task names; episodes gain the soundbites column, empty until made."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = engine_for(url)
    with at_revision(url, "0013") as connection:
        connection.exec_driver_sql("INSERT INTO shows (slug, title, description, language, guid, created_at, publish_mode, "
                                   "feed_version, medium, explicit, private, noise_suppression, updated_at) VALUES "
                                   "('a', 'A', '', 'en', 'g', '2026-01-01', 'auto', 1, 'podcast', 0, 0, 0, '2026-01-01')")
        connection.exec_driver_sql("INSERT INTO rooms (show_id, guid, title, description, status, access, invited, created_at) "
                                   "VALUES (1, 'r', 'r', '', 'ended', 'open', '[]', '2026-01-01')")
        connection.exec_driver_sql("INSERT INTO pipeline_runs (room_id, status, steps_total, created_at, updated_at) "
                                   "VALUES (1, 'running', 8, '2026-01-01', '2026-01-01')")
        for name in ("crosstalk", "transcribe:12", "master", "transcript", "chapters", "index", "publish"):
            connection.exec_driver_sql("INSERT INTO pipeline_steps (run_id, name, status, progress, warnings, started_at, "
                                       f"resends) VALUES (1, '{name}', 'succeeded', 1.0, '[]', '2026-01-01', 0)")
    migrate(url)
    with engine.begin() as connection:
        names = [row[0] for row in connection.exec_driver_sql("SELECT name FROM pipeline_steps ORDER BY id")]
        assert names == ["transcripts.decide_crosstalk", "transcripts.transcribe_track:12", "postprod.master_episode",
                         "transcripts.build_transcript", "postprod.build_chapters", "search.index_episode",
                         "feeds.publish_episode"]
        assert connection.exec_driver_sql("SELECT soundbites FROM episodes").fetchall() == []
        columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(episodes)")]
        assert "soundbites" in columns
