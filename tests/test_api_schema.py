"""Every API operation, fuzzed from the OpenAPI document by schemathesis, with and without a
creator token: no server error, and every answer matches its documented schema (issue 15, checks).

Against a real `roomcast serve` with a seeded show (published, indexed episodes and a live room),
on a bounded, deterministic budget per operation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import free_port, serve
from tests.conftest import SERVER_LOGS, stop

pytestmark = pytest.mark.timeout(900)
ST = Path(sys.executable).with_name("st")
EXAMPLES = "10"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    tmp = tmp_path_factory.mktemp("schema")
    port, log = free_port(), tmp / "serve.log"
    SERVER_LOGS.append(log)
    process, seeded = serve(tmp / "data", port, log, listeners=1)
    creator = subprocess.run([sys.executable, "-m", "roomcast", "token", "creator", seeded.show], check=True,
                             capture_output=True, text=True, env=_env(tmp / "data", port)).stdout.strip()
    try:
        yield f"http://127.0.0.1:{port}", creator, tmp
    finally:
        stop(process, timeout=20)


def _env(data_dir: Path, port: int) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(ROOMCAST_DATA_DIR=str(data_dir), ROOMCAST_BASE_URL=f"http://127.0.0.1:{port}")
    return env


def _schemathesis(base_url: str, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ST), "run", f"{base_url}/openapi.json", "--url", base_url, "--checks",
         "not_a_server_error,response_schema_conformance", "--max-examples", EXAMPLES,
         "--generation-deterministic", "--request-timeout", "20", "--workers", "1", *extra],
        capture_output=True, text=True, timeout=840, cwd=workdir)  # its .schemathesis cache stays there


@pytest.mark.parametrize("as_creator", [False, True], ids=["anonymous", "creator"])
def test_no_operation_answers_a_server_error_or_breaks_its_schema(server: tuple[str, str, Path], as_creator: bool) -> None:
    base_url, creator, workdir = server
    result = _schemathesis(base_url, workdir, *(["-H", f"Authorization: Bearer {creator}"] if as_creator else []))
    assert result.returncode == 0, result.stdout[-6000:]
