"""roomcast.heap: a full collection walks only what came since the last one; frozen cycles are
collected by ``clean`` when the node is idle, or once enough was frozen while rooms ran."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from roomcast import heap


class Node:
    """A reference cycle, as aiortc's peer connections make them."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def settled() -> Iterator[None]:
    heap.settle()
    yield
    gc.callbacks.remove(heap._freeze_survivors)
    gc.unfreeze()
    gc.collect()


def test_survivors_of_a_full_collection_are_frozen_and_a_full_collection_skips_them(settled: None) -> None:
    frozen = gc.get_freeze_count()
    kept = [Node() for _ in range(5_000)]
    gc.collect()
    assert gc.get_freeze_count() >= frozen + len(kept)  # the survivors joined the frozen
    assert not any(node in gc.get_objects(generation=2) for node in kept[:10])  # the next walk skips them


def test_the_survivors_of_young_collections_are_frozen_once_they_reach_the_bound(settled: None,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    gc.collect(1)
    monkeypatch.setattr(heap, "YOUNG_BOUND", len(gc.get_objects(generation=2)) + 5_000)
    few = [Node() for _ in range(1_000)]
    gc.collect(1)  # a generation-1 collection: the survivors go to the old generation
    old = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(node) in old for node in few)  # under the bound: left for a full collection
    more = [Node() for _ in range(5_000)]
    gc.collect(1)
    old = {id(obj) for obj in gc.get_objects(generation=2)}
    assert not any(id(node) in old for node in few + more)  # past it: frozen, so no full collection walks them


def test_a_frozen_cycle_that_dies_is_collected_by_clean_when_idle_or_past_the_limit(settled: None,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cycles = [Node() for _ in range(heap.IDLE_CLEAN_AFTER)]
    gc.collect()  # frozen
    alive = weakref.ref(cycles[0])
    del cycles
    gc.collect()
    assert alive() is not None  # frozen garbage: no collection sees it
    assert heap.clean(idle=False) == 0  # rooms running, and far from the limit: no pause
    assert alive() is not None
    assert heap.clean(idle=True) >= heap.IDLE_CLEAN_AFTER
    assert alive() is None
    assert heap.clean(idle=True) == 0  # nothing frozen since

    more = [Node() for _ in range(1_000)]
    gc.collect()
    monkeypatch.setattr(heap, "CLEAN_AFTER", 500)
    alive = weakref.ref(more[0])
    del more
    assert heap.clean(idle=False) >= 1_000  # rooms running, but the frozen heap grew past the limit
    assert alive() is None
