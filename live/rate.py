"""How fast one socket may talk: a token bucket per connection.

A person clicks a few times a second at most, and a client's own chatter (pings, offers when
the stage changes) is slower still, so a burst allowance of ``BURST`` messages refilled at
``PER_SECOND`` never touches a real client. An offer costs more: each one is an SDP parse,
a DTLS/ICE setup and a renegotiation. A socket that keeps sending far past its allowance is
not a person: after ``MAX_REFUSED`` refusals in a row it is closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BURST = 40.0
PER_SECOND = 10.0
OFFER_COST = 4.0
MAX_REFUSED = 200  # refused messages in a row before the socket is closed


class Bucket:
    def __init__(self, burst: float = BURST, per_second: float = PER_SECOND,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self.tokens, self.at = burst, clock()
        self.refused_in_a_row = 0

    def take(self, cost: float = 1.0) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= cost:
            self.tokens -= cost
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False

    @property
    def abusive(self) -> bool:
        return self.refused_in_a_row >= MAX_REFUSED

    def retry_after_s(self, cost: float = 1.0) -> float:
        return round(max(0.0, cost - self.tokens) / self.per_second, 2)
