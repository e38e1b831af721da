"""transcripts.revisit and TrackProgress.record_gate: where live rounds' gates and the room's
decision disagree, and only there, turns are decoded again."""

from __future__ import annotations

from roomcast.own_speech import closed_within
from transcripts.revisit import stretches
from transcripts.track_progress import TrackProgress


def test_a_gate_closes_what_its_spans_leave_out() -> None:
    assert closed_within([(1.0, 2.0), (3.0, 4.0)], 0.0, 5.0) == [(0.0, 1.0), (2.0, 3.0), (4.0, 5.0)]
    assert closed_within([(0.0, 10.0)], 2.0, 3.0) == []
    assert closed_within(None, 0.0, 5.0) == []


def test_a_later_round_replaces_what_an_earlier_one_recorded_over_the_same_stretch() -> None:
    progress = TrackProgress()
    progress.record_gate(0.0, 10.0, [(2.0, 4.0)])  # closed 0-2 and 4-10
    progress.record_gate(6.0, 12.0, [(6.0, 12.0)])  # a later round: 6-12 open after all
    assert progress.live_closed == [(0.0, 2.0), (4.0, 6.0)]
    restored = TrackProgress.from_json(progress.to_json())
    assert restored.live_closed == [(0.0, 2.0), (4.0, 6.0)]


def test_only_differences_longer_than_a_gates_edge_are_decoded_again() -> None:
    live = [(5.0, 6.0)]
    assert stretches(live, [(0.0, 5.0), (6.0, 30.0)], 30.0) == []  # the same decision
    assert stretches(live, [(0.0, 5.1), (6.0, 30.0)], 30.0) == []  # 0.1 s apart: an edge
    # The room's decision closes 12-13 s, which the live gate left open: that stretch only.
    found = stretches(live, [(0.0, 5.0), (6.0, 12.0), (13.0, 30.0)], 30.0)
    assert [(round(a, 2), round(b, 2)) for a, b in found] == [(12.0, 13.0)]
    # A stretch the live gate closed and the room keeps (its own speech, heard late) too.
    found = stretches(live, [(0.0, 30.0)], 30.0)
    assert [(round(a, 2), round(b, 2)) for a, b in found] == [(5.0, 6.0)]


def test_a_track_never_gated_live_is_decoded_again_where_the_room_closes_it() -> None:
    found = stretches([], [(0.0, 10.0), (12.0, 20.0)], 20.0)
    assert [(round(a, 2), round(b, 2)) for a, b in found] == [(10.0, 12.0)]
