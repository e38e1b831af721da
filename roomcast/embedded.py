"""The embedded worker: one Celery worker per data directory, started by `roomcast serve`.

A file lock marks the running worker, so `serve` and `import --wait` know whether one is
already there, and a second one can never start on the same SQLite queue.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from roomcast.settings import get_settings

STOP_GRACE_S = 60
LOCK_PATIENCE_S = 1.0  # far longer than a probe holds the lock, far shorter than any real start


class WorkerAlreadyRunning(RuntimeError):
    pass


def lock_path() -> Path:
    data_dir = get_settings().resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir / "worker.lock"


def _try_lock(handle) -> bool:  # noqa: ANN001
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def worker_lock() -> Iterator[None]:
    """Held by the one embedded worker for its life. ``worker_running`` probes by taking it for
    an instant, so a worker finding it taken tries for a second before giving up: a probe
    (``serve`` waiting for its new worker, say) must not turn that worker away."""
    with open(lock_path(), "a+") as handle:  # not "w": a failed attempt must not erase the holder's pids
        deadline = time.monotonic() + LOCK_PATIENCE_S
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise WorkerAlreadyRunning(f"an embedded worker already runs on {lock_path().parent}")
            time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {os.getppid()}")
        handle.flush()
        yield


def wait_for_orphaned_worker(timeout: float = STOP_GRACE_S + 5) -> None:
    """A worker whose `serve` was killed finishes its tasks and exits; a new `serve` waits for it."""
    deadline = time.monotonic() + timeout
    while worker_running() and _holder_orphaned() and time.monotonic() < deadline:
        time.sleep(0.2)


def _holder_orphaned() -> bool:
    try:
        _, parent = map(int, lock_path().read_text().split())
    except (OSError, ValueError):
        return False
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def worker_running() -> bool:
    with open(lock_path(), "a+") as handle:
        if not _try_lock(handle):
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)  # only a probe: the holder's pids stay as they are
        return False


def _die_with_parent() -> None:
    # Linux PR_SET_PDEATHSIG: if `serve` is killed outright, its worker gets SIGTERM instead
    # of living on, orphaned, holding the lock.
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(1, signal.SIGTERM)


WORKER_NICENESS = 10


def _start_worker_process() -> None:
    if sys.platform == "linux":
        _die_with_parent()
    # The worker shares the machine with the live rooms: transcribing (a core while Whisper
    # runs) must not delay forwarding, nor speakers on the same machine, whose late packets make
    # their RTCP reports read as clock drift (capture then cuts a new segment).
    os.nice(WORKER_NICENESS)


def spawn_worker(quiet: bool = False) -> subprocess.Popen:
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        [sys.executable, "-m", "roomcast", "worker"], stdout=output, stderr=output, preexec_fn=_start_worker_process,
    )


def wait_until_ready(process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the spawned worker holds the lock, another command would think none runs."""
    deadline = time.monotonic() + timeout
    while not worker_running():
        if process.poll() is not None:
            raise RuntimeError(f"the embedded worker exited at start (status {process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError("the embedded worker did not start in time")
        time.sleep(0.1)


def stop_worker(process: subprocess.Popen) -> None:
    """Celery's warm shutdown: running tasks finish, queued ones stay queued for next time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
