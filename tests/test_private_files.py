"""The data directory is private and its key is made once (issue 15, item 9)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(ROOMCAST_DATA_DIR=str(data_dir), ROOMCAST_LIVE_TRANSCRIPTION="false", PYTHONPATH=str(ROOT))
    return env


def test_the_database_media_index_and_key_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    script = ("from bench._load_data import seed; from roomcast.tokens import mint_creator_token; "
              "seed(episodes=2, segments=3); mint_creator_token('loadshow')")
    subprocess.run([sys.executable, "-c", script], env=_env(data_dir), check=True, cwd=ROOT)
    written = [data_dir, *data_dir.rglob("*")]
    assert any(p.suffix == ".mp3" for p in written) and (data_dir / "secret.key").exists()
    assert any(p.name.startswith("roomcast.sqlite3") for p in written)
    shared = [f"{p.relative_to(tmp_path)} {stat.filemode(p.stat().st_mode)}" for p in written
              if p.stat().st_mode & 0o077]
    assert shared == []


RACE = """
import os, sys, time
from pathlib import Path
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
from roomcast.tokens import secret_key, mint, verify
from datetime import timedelta
verify(mint("probe", {"show": "x"}, timedelta(minutes=1)), "probe")
print(secret_key())
"""


@pytest.mark.parametrize("trial", range(6))
def test_three_processes_on_a_fresh_data_directory_agree_on_one_key(tmp_path: Path, trial: int) -> None:
    data_dir, go = tmp_path / "data", tmp_path / "go"
    processes = [subprocess.Popen([sys.executable, "-c", RACE, str(go)], env=_env(data_dir), cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()  # all three were started; each makes its first token as soon as it sees this
    results = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [err for _, err in results]
    keys = {out.strip() for out, _ in results}
    assert len(keys) == 1 and len(keys.pop()) >= 48
    assert (data_dir / "secret.key").read_text().strip() == results[0][0].strip()


def test_an_empty_key_file_is_replaced_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roomcast.settings import get_settings
    from datetime import timedelta

    from roomcast.tokens import mint, secret_key, verify

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret.key").write_text("\n")  # left by a crash between creating and writing it
    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ROOMCAST_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    secret_key.cache_clear()
    try:
        key = secret_key()
        assert len(key) >= 48 and (data_dir / "secret.key").read_text() == key
        token = mint("probe", {"show": "x"}, timedelta(minutes=1))  # an empty key raised on every token
        assert verify(token, "probe")["show"] == "x"
    finally:
        get_settings.cache_clear()
        secret_key.cache_clear()
