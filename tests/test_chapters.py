"""postprod.chapters: an episode's chapters from its room's timeline (Podcast Namespace 1.2.0)."""

from __future__ import annotations

import json

from postprod.chapters import MIN_CHAPTER_S, ChapterMark, chapter_marks, chapters_from, to_chapters_json


def marker(at_s: float, title: str) -> ChapterMark:
    return ChapterMark("marker", at_s, title)


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
    joins = [ChapterMark("stage_join", 0.0, "Ann"), ChapterMark("stage_join", 30.0, "Bob")]
    assert [c["title"] for c in chapters_from(joins, 60.0)] == ["Ann", "Bob"]
    assert [c["title"] for c in chapters_from(joins + [marker(20.0, "News")], 60.0)] == ["Introduction", "News"]
    assert chapters_from([ChapterMark("clip", 5.0, "Best bit")], 60.0) == []  # nothing to make chapters of


def test_the_json_is_podcast_namespace_chapters_with_titles_as_written() -> None:
    document = json.loads(to_chapters_json(chapters_from([marker(0.0, "Café & <b>Ökologie</b>")], 12.3)))
    assert document == {"version": "1.2.0",
                        "chapters": [{"startTime": 0.0, "title": "Café & <b>Ökologie</b>", "endTime": 12.3}]}
    assert "Café" in to_chapters_json(document["chapters"])  # UTF-8, not \\u escapes


def test_marks_come_from_the_timeline_placed_on_the_published_audio() -> None:
    from roomcast.events import EventKind, Marker
    from roomcast.models import RoomEvent
    from roomcast.timemap import TimeMap

    # Room 30-50 s cut: the marker inside it is gone, the one after it moves 20 s earlier.
    time_map = TimeMap.from_kept([(0.0, 30.0), (50.0, 200.0)], 0.0, 0.0, [(30.0, 50.0)])
    events = [RoomEvent(kind=EventKind.stage_join, at_s=1.0, participant_id=7, data={"slot": 0}),
              RoomEvent(kind=EventKind.marker, at_s=40.0, data=Marker("Off the record").to_data()),
              RoomEvent(kind=EventKind.marker, at_s=80.0, data=Marker("Questions").to_data()),
              RoomEvent(kind=EventKind.clip, at_s=90.0, data={"title": "Not a chapter"})]
    marks = chapter_marks(events, {7: "Ann"}, time_map)
    assert [(m.kind, round(m.at_s, 2), m.title) for m in marks] == [("stage_join", 1.0, "Ann on stage"),
                                                                    ("marker", 60.0, "Questions")]
