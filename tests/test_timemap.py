"""Room time to episode time, across cuts, crossfades and an intro."""

from __future__ import annotations

import pytest

from roomcast.timemap import TimeMap


def test_identity_and_cuts_with_crossfades() -> None:
    assert TimeMap.identity(60).to_episode(42.5) == 42.5
    time_map = TimeMap.from_kept([(0, 10), (20, 30), (40, 50)], crossfade_s=0.02)
    assert time_map.to_episode(5) == 5
    assert time_map.to_episode(25) == pytest.approx(14.98)
    assert time_map.to_episode(45) == pytest.approx(24.96)
    assert time_map.episode_duration == pytest.approx(29.96)
    assert not time_map.is_kept(15) and time_map.is_kept(20) and not time_map.is_kept(55)
    assert time_map.to_episode(15) == pytest.approx(10)  # a cut moment maps to where the cut is


def test_intro_shifts_everything_and_json_round_trips() -> None:
    time_map = TimeMap.from_kept([(0, 30)], crossfade_s=0.02, lead_s=4.98)
    assert time_map.to_episode(0) == pytest.approx(4.98)
    assert TimeMap.from_json(time_map.to_json()) == time_map
    assert TimeMap.from_json(None) is None


def test_only_what_was_cut_on_purpose_is_not_kept() -> None:
    time_map = TimeMap.from_kept([(4.0, 10.0), (20.0, 30.0)], cuts=[(12.0, 18.0)])
    assert time_map.is_kept(1.0) and time_map.to_episode(1.0) == 0.0  # trimmed quiet before the first word
    assert not time_map.is_kept(15.0)  # off the record
    assert time_map.is_kept(19.0)  # the quiet after the cut, shortened
    again = TimeMap.from_json(time_map.to_json())
    assert again.cuts == [(12.0, 18.0)] and [s.room_start for s in again.spans] == [4.0, 20.0]
    nothing_cut = TimeMap.from_json(TimeMap.from_kept([(4.0, 10.0)], cuts=[]).to_json())
    assert nothing_cut.cuts == [] and nothing_cut.is_kept(2.0)
    # a map stored before cuts were kept: whatever no span holds is not kept, as then
    assert not TimeMap.from_json([[4.0, 10.0, 0.0]]).is_kept(2.0)
