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
