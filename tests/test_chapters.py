"""postprod.chapters: an episode's chapters from its room's timeline (Podcast Namespace 1.2.0)."""

from __future__ import annotations

import json

from postprod.chapters import MIN_CHAPTER_S, TimelineEvent, chapters_from, to_chapters_json


def marker(at_s: float, title: str) -> TimelineEvent:
    return TimelineEvent("marker", at_s, title)


def test_markers_make_the_chapters_each_ending_where_the_next_begins() -> None:
    chapters = chapters_from([marker(60.0, "Volcanoes"), marker(0.0, "Welcome"), marker(125.456, "Questions")], 300.0)
    assert chapters == [
        {"startTime": 0.0, "title": "Welcome", "endTime": 60.0},
        {"startTime": 60.0, "title": "Volcanoes", "endTime": 125.46},
        {"startTime": 125.46, "title": "Questions", "endTime": 300.0},
    ]


def test_an_introduction_covers_the_time_before_the_first_marker() -> None:
    assert chapters_from([marker(42.0, "Rivers")], 90.0) == [
        {"startTime": 0.0, "title": "Introduction", "endTime": 42.0},
        {"startTime": 42.0, "title": "Rivers", "endTime": 90.0},
    ]


def test_a_marker_too_close_to_the_last_is_folded_into_it() -> None:
    events = [marker(10.0, "Rivers"), marker(10.0 + MIN_CHAPTER_S - 0.1, "Oops, rivers"),
              marker(10.0 + MIN_CHAPTER_S, "Mountains")]
    assert [(c["startTime"], c["title"]) for c in chapters_from(events, 60.0)] == [
        (0.0, "Introduction"), (10.0, "Rivers"), (15.0, "Mountains")]


def test_markers_outside_the_episode_are_held_to_its_edges() -> None:
    # Times come from the time map: before the first sound or after the last cut, they fall outside.
    chapters = chapters_from([marker(-3.0, "Cold open"), marker(500.0, "After the end")], 120.0)
    assert [(c["startTime"], c["title"]) for c in chapters] == [(0.0, "Cold open"), (120.0, "After the end")]
    assert max(c["endTime"] for c in chapters) == 120.0


def test_without_markers_speakers_coming_on_stage_stand_in_and_markers_win_over_them() -> None:
    joins = [TimelineEvent("stage_join", 0.0, "Ann"), TimelineEvent("stage_join", 30.0, "Bob")]
    assert [c["title"] for c in chapters_from(joins, 60.0)] == ["Ann", "Bob"]
    assert [c["title"] for c in chapters_from(joins + [marker(20.0, "News")], 60.0)] == ["Introduction", "News"]
    assert chapters_from([TimelineEvent("clip", 5.0, "Best bit")], 60.0) == []  # nothing to make chapters of


def test_the_json_is_podcast_namespace_chapters_with_titles_as_written() -> None:
    document = json.loads(to_chapters_json(chapters_from([marker(0.0, "Café & <b>Ökologie</b>")], 12.3)))
    assert document == {"version": "1.2.0",
                        "chapters": [{"startTime": 0.0, "title": "Café & <b>Ökologie</b>", "endTime": 12.3}]}
    assert "Café" in to_chapters_json(document["chapters"])  # UTF-8, not \\u escapes
