"""What a participant's socket still owes them, bounded by the room's size, not by its traffic.

Most of what a room pushes is state: a participant's card, the room's banner fields, who is
speaking, how many slots to offer for. Such a message carries a key, and a newer message with
the same key replaces the one not yet sent, in its place in the line: a client that reads
slowly gets the newest state later, never a backlog. So a burst of changes, however long,
costs each socket at most one pending message per participant plus a few; a slow client only
delays itself.

Messages without a key (an answer, an error, ``invited``) are each owed. They come from the
participant's own, rate-limited, actions; past ``MAX_POINT_MESSAGES`` of them waiting, the
socket is hopeless and is closed, which costs nobody else anything.

A ``lazy`` message (an audience member's card, which nobody needs within the second) does not
wake the writer: it goes with the next message that does, or ``LAZY_S`` after it was queued.
The writer takes everything waiting at once (``take``), and the connection sends it as one
``batch`` frame: during a join storm each socket gets one frame a second, not one per arrival.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict

MAX_POINT_MESSAGES = 256
MAX_PENDING = 4096  # keys too: people who came and went while a client read nothing
MAX_TAKEN = 128  # messages in one frame at most: a client's frame limit is not ours to guess
LAZY_S = 1.0

Close = tuple[int, str]


class Outbox:
    def __init__(self) -> None:
        self._pending: OrderedDict[object, str] = OrderedDict()
        self._points = 0
        self._serial = itertools.count()
        self._wake = asyncio.Event()
        self._lazy_timer: asyncio.TimerHandle | None = None
        self.closing: Close | None = None  # sent after everything queued before it

    def put(self, text: str, key: str | None = None, lazy: bool = False) -> bool:
        """Queue a message; False when the socket is too far behind (the caller closes it)."""
        if self.closing is not None:
            return True  # nothing more goes out on a socket that is closing
        if len(self._pending) >= MAX_PENDING and key not in self._pending:
            return False
        if key is None:
            if self._points >= MAX_POINT_MESSAGES:
                return False
            self._points += 1
            self._pending[("point", next(self._serial))] = text
        else:
            self._pending[key] = text  # an existing key keeps its place and takes the newer text
        if not lazy:
            self._wake.set()
        elif self._lazy_timer is None:
            self._lazy_timer = asyncio.get_running_loop().call_later(LAZY_S, self._wake.set)
        return True

    def close(self, code: int, reason: str, *, now: bool = False) -> None:
        """Close after what is queued (``now``: drop it, for a socket that is too far behind)."""
        if now:
            self._pending.clear()
            self._points = 0
        if self.closing is None:
            self.closing = (code, reason)
        self._wake.set()

    async def take(self) -> list[str] | Close:
        """What is waiting to be sent, oldest first; once everything before it went, the close."""
        while not (self._pending and self._wake.is_set()):
            if not self._pending:
                if self.closing is not None:
                    return self.closing
                self._wake.clear()
            await self._wake.wait()
        if self._lazy_timer is not None:
            self._lazy_timer.cancel()
            self._lazy_timer = None
        taken = []
        while self._pending and len(taken) < MAX_TAKEN:
            key, text = self._pending.popitem(last=False)
            if isinstance(key, tuple) and key[0] == "point":
                self._points -= 1
            taken.append(text)
        if not self._pending:
            self._wake.clear()
        return taken

    def __len__(self) -> int:
        return len(self._pending)
