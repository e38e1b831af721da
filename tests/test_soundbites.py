"""Soundbites (postprod.soundbites): placed on the published audio, titled by the words said when
they have no title, and a listener's clips never publish their own title nor flood the feed."""

from __future__ import annotations

from postprod.soundbites import MAX_LISTENER_SOUNDBITES, SOUNDBITE_MAX_S, placed_clips, soundbites
from roomcast.events import Clip, EventKind
from roomcast.models import Role, RoomEvent, TranscriptSegment
from roomcast.timemap import TimeMap

DURATION = 600.0


def segment(words: list[tuple[float, str]]) -> TranscriptSegment:
    return TranscriptSegment(speaker="Alice", start_s=words[0][0], end_s=words[-1][0] + 0.3,
                             text=" ".join(w for _, w in words),
                             words=[{"start": t, "end": t + 0.3, "word": f" {w}"} for t, w in words])


def clip(at: float, duration: float = 5.0, title: str = "", by: Role | None = None, person: int | None = None) -> RoomEvent:
    return RoomEvent(kind=EventKind.clip, at_s=at, participant_id=person,
                     data=Clip(title, duration, by.value if by else None).to_data())


def bites(events: list[RoomEvent], segments: list[TranscriptSegment], roles: dict[int, Role] | None = None,
          time_map: TimeMap | None = None) -> list:  # type: ignore[type-arg]
    placed = placed_clips(events, roles or {}, time_map or TimeMap.identity(DURATION), DURATION)
    return soundbites(placed, segments, "Night talk")


SAID = "so the rings of Saturn, honestly, are the best thing you can see tonight. Then Mars".split()
SATURN = segment([(10 + 0.4 * i, w) for i, w in enumerate(SAID)])


def test_an_untitled_clip_is_titled_by_its_first_words_and_a_given_title_stays() -> None:
    first, named = bites([clip(10.0), clip(40.0, 3.0, "Named", Role.speaker)], [SATURN])
    assert (first.start, first.duration) == (10.0, 5.0)
    assert first.title == "So the rings of Saturn, honestly, are the…"
    assert named.title == "Named"


def test_a_clip_with_nothing_said_falls_back_to_the_episode_title() -> None:
    [bite] = bites([clip(30.0, 4.0)], [segment([(1.0, "Hello.")])])
    assert bite.title == "Night talk"


def test_a_listeners_title_is_never_published_the_words_said_are() -> None:
    [bite] = bites([clip(10.0, 5.0, "BUY CHEAP PILLS", Role.listener)], [SATURN])
    assert bite.title == "So the rings of Saturn, honestly, are the…"


def test_a_clip_recorded_without_a_role_is_judged_by_the_clippers_own_role() -> None:
    events = [clip(10.0, 5.0, "spam", person=7), clip(100.0, 5.0, "Host's pick", person=8)]
    guest, host = bites(events, [SATURN], roles={7: Role.listener, 8: Role.host})
    assert guest.title.startswith("So the rings") and host.title == "Host's pick"


def test_overlapping_listener_clips_are_one_soundbite_and_a_hundred_and_fifty_make_at_most_five() -> None:
    # 150 clips by listeners: 100 of them on one moment (overlapping), 50 one after another after it.
    crowd = [clip(200.0 + 0.1 * n, 30.0, f"spam {n}", Role.listener) for n in range(100)]
    scattered = [clip(300.0 + 5.5 * n, 5.0, f"spam {n}", Role.listener) for n in range(50)]
    result = bites(crowd + scattered, [SATURN])
    assert len(result) == MAX_LISTENER_SOUNDBITES
    assert not any(b.title.startswith("spam") for b in result)
    merged = next(b for b in result if 199 <= b.start <= 201)
    assert merged.start == 200.0 and merged.duration <= SOUNDBITE_MAX_S and merged.duration > 30.0
    assert [b.start for b in result] == sorted(b.start for b in result)


def test_a_listeners_clip_on_a_moment_a_moderator_clipped_adds_nothing() -> None:
    result = bites([clip(10.0, 5.0, "Saturn", Role.moderator), clip(11.0, 5.0, "", Role.listener)], [SATURN])
    assert [(b.start, b.title) for b in result] == [(10.0, "Saturn")]


def test_a_clip_that_was_cut_is_left_out_and_the_rest_follow_the_time_map() -> None:
    # Room 100-200 s cut (off the record): a clip at 150 is gone, one at 250 lands at 150.
    time_map = TimeMap.from_kept([(0.0, 100.0), (200.0, DURATION)], 0.0, 0.0, [(100.0, 200.0)])
    result = bites([clip(150.0, 5.0, "Cut", Role.host), clip(250.0, 5.0, "Kept", Role.host)], [], time_map=time_map)
    assert [(round(b.start), b.title) for b in result] == [(150, "Kept")]


def test_an_episode_produced_before_soundbites_were_made_gets_them_from_the_catch_up(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from postprod.tasks import catch_up
    from roomcast.db import migrate, session_scope
    from roomcast.models import Episode, EpisodeStatus, Room, Show
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        migrate()
        with session_scope() as session:
            show = Show(slug="old", title="Old", feed_version=1)
            room = Room(show=show, title="Night talk", events=[clip(10.0, 5.0, "Rings", Role.host)])
            session.add(Episode(show=show, room=room, title="Night talk", status=EpisodeStatus.published,
                                audio_key="episodes/1/audio.mp3", duration_s=60.0, time_map=[[0.0, 60.0, 0.0]]))
        assert catch_up() == 1
        with session_scope() as session:
            episode = session.query(Episode).one()
            assert episode.soundbites == [{"start": 10.0, "duration": 5.0, "title": "Rings"}]
            assert episode.show.feed_version == 2  # the feed shows them from its next request
        assert catch_up() == 0  # made once
    finally:
        get_settings.cache_clear()
