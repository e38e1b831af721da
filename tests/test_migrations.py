"""Migrations keep what is there: SQLite rebuilds tables to alter them, and must not cascade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from roomcast.db import MIGRATIONS_DIR, engine_for, migrate


def test_upgrading_from_the_first_schema_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = engine_for(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
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
