"""A soundbite clipped in the room is titled by the words said in it, not the episode's title."""

from __future__ import annotations

from feeds.soundbites import soundbites
from roomcast.models import Episode, Room, RoomEvent, TranscriptSegment


def episode_with(words: list[tuple[float, str]], clips: list[dict]) -> Episode:
    room = Room(title="Night talk", events=[RoomEvent(kind="clip", at_s=c.pop("at"), data=c) for c in clips])
    segment = TranscriptSegment(speaker="Alice", start_s=words[0][0], end_s=words[-1][0] + 0.3,
                                text=" ".join(w for _, w in words),
                                words=[{"start": t, "end": t + 0.3, "word": f" {w}"} for t, w in words])
    return Episode(title="Night talk", room=room, duration_s=60.0, time_map=[[0.0, 60.0, 0.0]], segments=[segment])


def test_an_untitled_clip_is_titled_by_its_first_words() -> None:
    said = "so the rings of Saturn, honestly, are the best thing you can see tonight. Then Mars".split()
    episode = episode_with([(10 + 0.4 * i, w) for i, w in enumerate(said)],
                           [{"at": 10.0, "duration": 5.0, "title": ""}, {"at": 40.0, "duration": 3.0, "title": "Named"}])
    first, named = soundbites(episode)
    assert (first.start, first.duration) == (10.0, 5.0)
    assert first.title == "So the rings of Saturn, honestly, are the…"
    assert named.title == "Named"  # a title someone gave stays


def test_a_clip_with_nothing_said_falls_back_to_the_episode_title() -> None:
    episode = episode_with([(1.0, "Hello.")], [{"at": 30.0, "duration": 4.0}])
    [bite] = soundbites(episode)
    assert bite.title == "Night talk"
