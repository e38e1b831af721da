"""A small published show for load tests: episodes with transcripts (indexed), audio files, a feed.

Shared by ``bench.load`` and ``tests/test_load.py`` so that both load the same server with the
same reads: search, the episode API, a speaker's page, the feed and byte ranges of media.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

SHOW = "loadshow"
SPEAKERS = ("Alice", "Bob", "Carol")
LINES = (
    "we watched the telescopes on the mountain all night",
    "the night sky over iceland was astonishing",
    "volcanoes and glaciers shape the island",
    "astronomy and geology meet on the moon",
)
AUDIO_BYTES = 256 * 1024


@dataclass(frozen=True)
class Seeded:
    show: str
    episode_ids: list[int]
    speakers: tuple[str, ...]
    media_keys: list[str]
    queries: tuple[str, ...] = ("telescopes", "night sky", "iceland", "moon*", '"astronomy and geology"')
    room_id: int = 0  # a live, open room for the join figure
    join_tokens: list[str] = field(default_factory=list)  # listeners' tokens for it


def seed_room(listeners: int) -> tuple[int, list[str]]:
    """A live room of the show, and a listener's join token for each of ``listeners`` people."""
    from live.join_tokens import mint_join_token
    from roomcast.db import session_scope
    from roomcast.models import Role, Room, RoomAccess, RoomStatus, Show, utcnow

    with session_scope() as session:
        show = session.query(Show).filter_by(slug=SHOW).one()
        room = Room(show=show, title="Join storm", status=RoomStatus.live, started_at=utcnow(),
                    access=RoomAccess.open, invited=[])
        session.add(room)
        session.flush()
        room_id = room.id
    return room_id, [mint_join_token(room_id, f"listener-{n}", f"Listener {n}", Role.listener, hours=2)
                     for n in range(listeners)]


def seed(episodes: int = 12, segments: int = 40, listeners: int = 0) -> Seeded:
    """Write the show into the configured database and media store (ROOMCAST_* variables)."""
    from roomcast.db import migrate, session_scope
    from roomcast.models import (Episode, EpisodeStatus, Participant, Role, Room, RoomStatus, Show,
                                 TranscriptSegment, utcnow)
    from roomcast.storage import get_media_store
    from search.tasks import sync

    migrate()
    store, now, ids, keys = get_media_store(), utcnow(), [], []
    with session_scope() as session:
        show = Show(slug=SHOW, title="Load show", author="Host", description="Load test.", feed_version=1)
        session.add(show)
        for number in range(episodes):
            room = Room(show=show, title=f"Room {number}", status=RoomStatus.ended, ended_at=now)
            room.participants = [Participant(identity=name.lower(), display_name=name, role=Role.speaker)
                                 for name in SPEAKERS]
            episode = Episode(show=show, room=room, title=f"Episode {number}", status=EpisodeStatus.published,
                              published_at=now - timedelta(days=episodes - number), audio_mime="audio/mpeg",
                              audio_bytes=AUDIO_BYTES, duration_s=segments * 6.0)
            session.add(episode)
            session.flush()
            episode.audio_key = f"episodes/{episode.id}/audio.mp3"
            episode.segments = [
                TranscriptSegment(speaker=SPEAKERS[n % len(SPEAKERS)], participant_id=room.participants[n % 3].id,
                                  start_s=n * 6.0, end_s=n * 6.0 + 5, text=LINES[n % len(LINES)], language="en",
                                  words=[])
                for n in range(segments)
            ]
            with store.atomic_path(episode.audio_key) as path:
                path.write_bytes(bytes(range(256)) * (AUDIO_BYTES // 256))
            ids.append(episode.id)
            keys.append(episode.audio_key)
        session.flush()
        for episode_id in ids:
            sync(session, episode_id)
    room_id, tokens = seed_room(listeners) if listeners else (0, [])
    return Seeded(SHOW, ids, SPEAKERS, keys, room_id=room_id, join_tokens=tokens)
