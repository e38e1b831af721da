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


def test_many_gate_edges_a_few_frames_apart_are_not_a_stretch() -> None:
    # Own speech every other second; the live gate's edges 40 ms later than the room's.
    final = [(float(t), t + 1.0) for t in range(0, 60, 2)]
    live_own = [(t + 0.04, b + 0.04) for t, b in final]
    live_closed = [(round(a, 3), round(b, 3)) for a, b in zip([0.0] + [b for _, b in live_own], [a for a, _ in live_own] + [60.0]) if b > a]
    assert stretches(live_closed, final, 60.0) == []


def test_the_stretch_decoded_again_takes_whole_utterances_and_no_neighbour() -> None:
    from transcripts.revisit import _replaced
    from transcripts.utterances import Utterance

    def said(start: float, end: float) -> Utterance:
        return Utterance(start, end, "words", [], -0.2, 0.01, "en")

    a, b, c = said(5.0, 9.9), said(10.0, 14.0), said(13.9, 16.0)
    start, end, touched = _replaced([a, b, c], 12.2, 12.8, 30.0)
    assert touched == [b, c]  # b overlaps the stretch, c overlaps b's widened end: a fixed point
    assert (start, end) == (9.9, 16.1) and a.end <= start
