"""Bad input to the CLI: one clear line, a non-zero exit, and nothing half-created."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Conversation, Roomcast

TABLES = ["rooms", "participants", "tracks", "episodes", "pipeline_runs"]


def rows(roomcast: Roomcast) -> dict[str, int]:
    with sqlite3.connect(roomcast.data_dir / "roomcast.sqlite3") as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def archived_files(roomcast: Roomcast) -> list[Path]:
    rooms = roomcast.data_dir / "media" / "rooms"
    return [p for p in rooms.rglob("*") if p.is_file()] if rooms.exists() else []


def assert_refused(roomcast: Roomcast, args: list[str], *fragments: str) -> None:
    result = roomcast.run(*args)
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture
def with_show(embedded: Roomcast) -> Roomcast:
    embedded.run("show", "create", "demo", "--title", "Demo", check=True)
    return embedded


@pytest.fixture
def junk(tmp_path: Path) -> dict[str, Path]:
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4096))
    text = tmp_path / "notes.mp3"
    text.write_text("these are not sounds\n" * 50)
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    return {"corrupt": corrupt, "text": text, "empty": empty, "directory": tmp_path}


def test_duplicate_and_malformed_show_slugs(with_show: Roomcast) -> None:
    assert_refused(with_show, ["show", "create", "demo", "--title", "Again"], "already exists")
    assert_refused(with_show, ["show", "create", "Not A Slug", "--title", "X"], "slug")
    assert_refused(with_show, ["show", "create", "fine", "--title", "   "], "title")


def test_artwork_must_be_an_image(with_show: Roomcast, junk: dict[str, Path], tmp_path: Path) -> None:
    assert_refused(with_show, ["show", "create", "art", "--title", "Art", "--image", str(junk["text"])], "not a readable image")
    wide = tmp_path / "wide.jpg"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=s=1600x900", "-frames:v", "1", str(wide)], check=True)
    assert_refused(with_show, ["show", "create", "art", "--title", "Art", "--image", str(wide)], "1600x900 px")
    assert_refused(with_show, ["show", "create", "art", "--title", "Art", "--image", "/nonexistent.png"], "no such file")
    assert "art" not in with_show.run("show", "list", check=True).stdout


def test_unknown_show(with_show: Roomcast, conversation: Conversation) -> None:
    assert_refused(with_show, ["import", "nope", "--title", "T", "--track", f"A={conversation.files['Alice']}"], "no show 'nope'")
    assert rows(with_show) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    "track, fragment",
    [
        ("Alice", "expected NAME=PATH"),
        ("=/tmp/x.wav", "expected NAME=PATH"),
        ("Alice=", "expected NAME=PATH"),
        ("Alice=/does/not/exist.wav", "no such file"),
    ],
)
def test_malformed_or_missing_track(with_show: Roomcast, track: str, fragment: str) -> None:
    assert_refused(with_show, ["import", "demo", "--title", "T", "--track", track], fragment)
    assert rows(with_show) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("kind", ["corrupt", "text", "empty", "directory"])
def test_unreadable_track_leaves_nothing_behind(
    with_show: Roomcast, conversation: Conversation, junk: dict[str, Path], kind: str
) -> None:
    # A good track first: it must not survive the bad one.
    args = ["import", "demo", "--title", "T", "--track", f"Alice={conversation.files['Alice']}", "--track", f"Bob={junk[kind]}"]
    assert_refused(with_show, args, "track Bob")
    assert rows(with_show) == dict.fromkeys(TABLES, 0)
    assert archived_files(with_show) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_track_without_read_permission(with_show: Roomcast, conversation: Conversation, tmp_path: Path) -> None:
    locked = tmp_path / "locked.wav"
    locked.write_bytes(conversation.files["Alice"].read_bytes())
    locked.chmod(0)
    assert_refused(with_show, ["import", "demo", "--title", "T", "--track", f"Alice={locked}"], "not readable")


def test_each_speaker_needs_a_name_of_their_own(with_show: Roomcast, conversation: Conversation) -> None:
    alice = conversation.files["Alice"]
    assert_refused(with_show, ["import", "demo", "--title", "T", "--track", f"A={alice}", "--track", f"A={alice}"], "own speaker name")
    assert rows(with_show) == dict.fromkeys(TABLES, 0)


def test_status_of_an_unknown_episode(with_show: Roomcast) -> None:
    assert_refused(with_show, ["status", "42"], "no episode 42")
