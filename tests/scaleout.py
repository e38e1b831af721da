"""Scale-out deployments for tests: a fresh PostgreSQL database, a broker (the machine's Redis or
RabbitMQ, or a redis-server of the test's own), a queue prefix of their own, and roomcast workers
as real processes, with short leases so that recovery is measured in seconds."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from kombu import Connection

from tests.conftest import Roomcast, free_port, roomcast_env, stop, wait_until

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MACHINE_REDIS = "redis://127.0.0.1:6379/12"
MACHINE_AMQP = "amqp://guest:guest@127.0.0.1:5672//"
FAST_LEASES = {"ROOMCAST_STEP_HEARTBEAT_S": "0.5", "ROOMCAST_STEP_LEASE_S": "3", "ROOMCAST_SWEEP_EVERY_S": "1"}
# With a shared database, commands refuse to make a key of their own (roomcast.cli.shared_secret).
SHARED_SECRET = {"ROOMCAST_SECRET_KEY": "one-key-for-the-whole-test-deployment"}


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"roomcast_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def settings_on_postgres(monkeypatch, data_dir: Path, **env: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """This process's settings on a fresh, migrated PostgreSQL database (``env``: more ROOMCAST_ settings)."""
    from roomcast.db import engine_for, migrate
    from roomcast.settings import get_settings

    with postgres_database() as url:
        for name, value in {"ROOMCAST_DATABASE_URL": url, "ROOMCAST_DATA_DIR": str(data_dir), **env}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        migrate(url)
        try:
            yield url
        finally:
            engine_for(url).dispose()  # its connections closed before the database is dropped
            get_settings.cache_clear()


@dataclass
class OwnRedis:
    """A redis-server of the test's own (the machine's is shared), without persistence: a
    restart loses every queued and unacknowledged message, the worst case."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, 0.05, "redis-server to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False


@contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        import pytest

        pytest.skip("redis-server is not installed")
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        if server.process and server.process.poll() is None:
            server.kill()


@dataclass
class Deployment:
    roomcast: Roomcast
    database_url: str
    prefix: str
    root: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, *args: str) -> subprocess.Popen:
        log = self.root / f"worker-{len(self.workers)}.log"
        worker = self.roomcast.spawn("worker", "--concurrency", "1", *args, log=log)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.root.glob("worker-*.log")))

    def query(self, sql: str, *params: object) -> list[tuple]:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql, params).fetchall()

    def wait_for_workers(self, count: int, timeout: float = 90) -> None:
        """Until ``count`` workers have said they are ready (read from their logs: polling with
        `worker --check` costs a Python start each time, on a machine the pipeline needs)."""
        def ready() -> bool:
            logs = [p.read_text(errors="replace") for p in self.root.glob("worker-*.log")]
            return sum(" ready." in log for log in logs) >= count
        wait_until(ready, timeout, 0.2, f"{count} workers to be ready")

    def episode_status(self, episode_id: int) -> str:
        return self.query("SELECT status FROM episodes WHERE id = %s", episode_id)[0][0]


@contextmanager
def deployment(root: Path, broker_url: str, **env: str) -> Iterator[Deployment]:
    """A deployment with a queue prefix of its own, so tests sharing the machine's broker (and
    other engineers' deployments) never take each other's tasks."""
    prefix = f"rc-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True, exist_ok=True)
    with postgres_database() as database_url:
        settings = roomcast_env(root / "data", free_port(), ROOMCAST_DATABASE_URL=database_url,
                                ROOMCAST_BROKER_URL=broker_url, ROOMCAST_QUEUE_PREFIX=prefix, **FAST_LEASES, **SHARED_SECRET)
        settings.update(env)
        roomcast = Roomcast(settings, root / "data")
        roomcast.run("migrate", check=True)
        deployed = Deployment(roomcast, database_url, prefix, root)
        try:
            yield deployed
        finally:
            for worker in deployed.workers:
                stop(worker, timeout=20)
            forget_queues(broker_url, prefix)


def forget_queues(broker_url: str, prefix: str) -> None:
    """RabbitMQ keeps a durable queue after its consumers leave; a test's own prefix is not reused."""
    if not broker_url.startswith("amqp"):
        return
    try:
        with Connection(broker_url, connect_timeout=2) as connection:
            connection.default_channel.queue_delete(prefix)
    except Exception:  # noqa: BLE001 - the broker was the thing under test
        pass


def running_step(deployed: Deployment) -> tuple[int, str, int] | None:
    """(step id, name, worker pid) of a step running now, by the owner its worker wrote."""
    rows = deployed.query("SELECT id, name, owner FROM pipeline_steps WHERE status = 'running' AND owner IS NOT NULL")
    return (rows[0][0], rows[0][1], int(rows[0][2].split(":")[1])) if rows else None


def freeze_mid_step(deployed: Deployment, timeout: float = 120) -> tuple[str, subprocess.Popen]:
    """The worker running a step, stopped (SIGSTOP) while the database still says it runs it:
    frozen, it cannot finish in between, so the kill that follows is surely mid-task."""
    by_pid = {w.pid: w for w in deployed.workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = running_step(deployed)
        if found and found[2] in by_pid:
            step_id, name, pid = found
            by_pid[pid].send_signal(signal.SIGSTOP)
            [(status, owner)] = deployed.query("SELECT status, owner FROM pipeline_steps WHERE id = %s", step_id)
            if status == "running" and owner and int(owner.split(":")[1]) == pid:
                return name, by_pid[pid]
            by_pid[pid].send_signal(signal.SIGCONT)  # it had just finished: try the next step
        time.sleep(0.05)
    raise AssertionError("no step was seen running")
