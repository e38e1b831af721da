"""The room clock: wall-clock seconds that never jump.

Read from the wall clock once per process and advanced by the monotonic clock after that, so
a step of the system clock during a room (NTP correcting it, an operator setting it) moves
neither its tracks nor its events: everything on a room's timeline is measured with this.
"""

from __future__ import annotations

import time

_WALL_AT_MONOTONIC_ZERO = time.time() - time.monotonic()


def now() -> float:
    """Seconds since the epoch, as the wall clock said when this process started, plus elapsed time."""
    return _WALL_AT_MONOTONIC_ZERO + time.monotonic()


def from_wall(wall_s: float) -> float:
    """A wall-clock time (a database timestamp, say) on the room clock, as of now."""
    return wall_s + (now() - time.time())
