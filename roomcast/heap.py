"""The garbage collector, kept from walking the long-lived heap: a full collection stops every room.

CPython's full (generation 2) collection walks every tracked object, and while it runs the
event loop, and every room's forwarding with it, stands still. A server that has imported
FastAPI, pydantic, aiortc, SQLAlchemy and Celery holds about 183,000 of them before its
first request: one full collection of those took 93 ms on this machine. Those objects live as
long as the process, so ``settle`` moves them into the permanent generation (``gc.freeze``).

A room grows the heap too: 500 listeners joining, 200 of them over WebRTC, added 160,000
objects (about 400 per peer connection), and CPython collects in full each time the long-lived
heap has grown by a quarter, so the collections of a join storm walked ever more of them:
three or four of 90-150 ms of CPU in each storm (bench.sfu, two shared cores). So what survives
a full collection is frozen too (``_freeze_survivors``): the next one walks only what came
since, and the storm's full collections took 40-54 ms of CPU in four storms. A cycle among
frozen objects that later dies (a closed peer connection leaves about 240) is not collected
until ``clean``, which the live rooms call after each heartbeat: it runs when the node has no
room (``IDLE_CLEAN_AFTER``), or, rooms running, once ``CLEAN_AFTER`` objects were frozen.

That still let a full collection walk everything that had come since the last one: CPython waits
until the long-lived heap has grown by a quarter of what the last full collection kept, and in a
storm (500 joins in a minute) that was 72,000-76,000 objects, 18-22 ms on the event loop (25-48 ms
on a busy machine). Each was the longest pause at an existing listener (a 49-52 ms gap, 20 ms of
it the packet interval; bench.sfu's storm, timed by a gc callback). So what survives a
generation-1 collection is frozen as well once ``YOUNG_BOUND`` of it has gathered
(``_bound_old``): a full collection walks at most about that many (2-4 ms). What this freezes
has outlived two collections already; the full collections of the storm found 0.2 % of such
objects dead (about 130 of 72,000), and those wait for ``clean`` with the rest.
"""

from __future__ import annotations

import gc

CLEAN_AFTER = 1_000_000  # frozen since the last clean, rooms running: ~4,000 departed peers' worth of cycles
IDLE_CLEAN_AFTER = 20_000  # with no room running: a pause nobody hears, not taken at every heartbeat
YOUNG_BOUND = 10_000  # unfrozen survivors of generation 1 that a full collection may have to walk

# Objects frozen since the last clean, counted as they are frozen: gc.get_freeze_count() walks the
# frozen list, 360,000 objects in 40 ms, which at every heartbeat was itself a pause.
_frozen_since_clean = 0


def settle() -> None:
    """Once start-up is done, before the first request: collect, then freeze what survives."""
    gc.collect()
    gc.freeze()
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict) -> None:
    """After a full collection, its survivors are frozen; after a generation-1 one, the old
    generation is, once it holds ``YOUNG_BOUND`` objects."""
    global _frozen_since_clean
    if phase != "stop" or info["generation"] == 0:
        return
    old = len(gc.get_objects(generation=2))  # at most about YOUNG_BOUND after a generation-1 collection
    if info["generation"] == 2 or old >= YOUNG_BOUND:
        _frozen_since_clean += old
        gc.freeze()


def clean(idle: bool) -> int:
    """Collect the frozen heap too, when nobody hears the pause (``idle``) or it has grown too much.

    Returns the objects collected (0 when it did not run).
    """
    global _frozen_since_clean
    if _frozen_since_clean < (IDLE_CLEAN_AFTER if idle else CLEAN_AFTER):
        return 0
    gc.unfreeze()
    collected = gc.collect()
    gc.freeze()
    _frozen_since_clean = 0
    return collected
