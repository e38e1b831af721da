"""`roomcast import --wait` away from a terminal (a log, CI): one line per stage, in words."""

from __future__ import annotations

import re

from tests.conftest import Roomcast, Turn, build_conversation


def test_wait_prints_a_line_per_stage_when_stderr_is_not_a_terminal(embedded: Roomcast, tmp_path) -> None:  # noqa: ANN001
    talk = build_conversation(tmp_path, [Turn("Alice", "Hello there."), Turn("Bob", "Good evening.")])
    embedded.run("show", "create", "lines", "--title", "Lines", check=True)
    result = embedded.run("import", "lines", "--title", "Logged", *talk.track_args(), "--wait", check=True, timeout=600)
    progress = [line for line in result.stderr.splitlines() if re.match(r"^\s*\d+%  ", line)]
    assert progress, result.stderr
    assert all(line.strip() for line in result.stderr.splitlines()), "an empty line where progress should be"
    assert "transcribe:" not in result.stderr  # stages in words: 'transcribing Alice'
    assert not any(line.endswith("%  running") for line in progress)  # nothing said between two steps
    assert len(progress) == len(set(progress)), "a stage printed twice in a row"
    assert ": published" in result.stdout
