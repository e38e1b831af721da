"""Put on a server's PYTHONPATH by a test: its wall clock steps whenever the test says so.

``ROOMCAST_TEST_CLOCK_STEP_FILE`` names a file holding a step in seconds. ``time.time()`` and
``datetime.now()`` follow it; the monotonic clock does not, as when NTP steps a real clock.
"""

from __future__ import annotations

import datetime
import os
import threading
import time

_step_file = os.environ.get("ROOMCAST_TEST_CLOCK_STEP_FILE")
_step = 0.0


def _follow(path: str) -> None:
    global _step
    while True:
        try:
            with open(path) as handle:
                _step = float(handle.read().strip() or 0)
        except (OSError, ValueError):
            pass
        time.sleep(0.02)


if _step_file:
    _real_time = time.time

    def _stepped_time() -> float:
        return _real_time() + _step

    class _SteppedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return super().now(tz) + datetime.timedelta(seconds=_step)

    time.time = _stepped_time
    datetime.datetime = _SteppedDatetime
    threading.Thread(target=_follow, args=(_step_file,), daemon=True, name="stepped-clock").start()
