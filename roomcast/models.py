"""The database schema: shows, rooms and what happened in them, and what the pipeline made.

Every domain package reads and writes these tables; none of them defines its own. How the work
on them is going (pipeline runs, deferred tasks, live loops, node leases) is kept in
``roomcast.bookkeeping``, on the same ``Base``. The migrations under ``roomcast/migrations``
create exactly these two modules' schema.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from roomcast.instants import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_guid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class PublishMode(str, enum.Enum):
    auto = "auto"  # the pipeline publishes as soon as the episode is produced
    review = "review"  # the episode waits for the creator


class RoomStatus(str, enum.Enum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"
    interrupted = "interrupted"


class RoomAccess(str, enum.Enum):
    open = "open"  # anyone with the link listens
    closed = "closed"  # only identities on the invite list (join tokens bound to them)
    private = "private"  # join tokens only; the room is not listed or announced


class Role(str, enum.Enum):
    host = "host"
    moderator = "moderator"
    speaker = "speaker"
    listener = "listener"


class EpisodeStatus(str, enum.Enum):
    processing = "processing"
    review = "review"
    published = "published"
    unpublished = "unpublished"
    failed = "failed"


def stored_enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings so that adding a value needs no ALTER TYPE on PostgreSQL.
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class Show(Base):
    __tablename__ = "shows"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    # Creator tokens of an older generation are refused (roomcast.tokens.revoke_creator_tokens).
    creator_token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    image_path: Mapped[str | None] = mapped_column(String(512))
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    category: Mapped[str] = mapped_column(String(64), default="Society & Culture")
    subcategory: Mapped[str | None] = mapped_column(String(64))
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_name: Mapped[str | None] = mapped_column(String(255))
    owner_email: Mapped[str | None] = mapped_column(String(255))
    medium: Mapped[str] = mapped_column(String(16), default="podcast")
    intro_key: Mapped[str | None] = mapped_column(String(512))
    outro_key: Mapped[str | None] = mapped_column(String(512))
    publish_mode: Mapped[PublishMode] = mapped_column(stored_enum(PublishMode), default=PublishMode.auto)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # The room page asks browsers to suppress microphone noise (echo cancellation is always on).
    # Off by default: suppressors can clip soft speech, and post-production levels the raw voice.
    noise_suppression: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every change a feed shows, so a cached feed knows when it is stale.
    feed_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rooms: Mapped[list[Room]] = relationship(back_populates="show")
    episodes: Mapped[list[Episode]] = relationship(back_populates="show")
    feed_tokens: Mapped[list[FeedToken]] = relationship(back_populates="show", cascade="all, delete-orphan")

    def touch_feed(self) -> None:
        # An UPDATE ... SET feed_version = feed_version + 1: two nodes publishing at once each
        # move the feed (read-then-write lost one). A new show has no row to add to yet.
        persistent = inspect(self).persistent
        self.feed_version = Show.feed_version + 1 if persistent else (self.feed_version or 0) + 1
        self.updated_at = utcnow()


class FeedToken(Base):
    """A private show's per-subscriber feed URL; only a hash of the secret is kept."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    show: Mapped[Show] = relationship(back_populates="feed_tokens")


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoomStatus] = mapped_column(stored_enum(RoomStatus), default=RoomStatus.scheduled)
    access: Mapped[RoomAccess] = mapped_column(stored_enum(RoomAccess), default=RoomAccess.open)
    invited: Mapped[list[str]] = mapped_column(JSON, default=list)  # identities, for closed rooms
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sfu_node: Mapped[str | None] = mapped_column(String(64))  # the server that serves (served) the live room
    stream_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the live HTTP stream first played
    max_stage: Mapped[int | None] = mapped_column(Integer())  # None: the server's max_stage

    show: Mapped[Show] = relationship(back_populates="rooms")
    participants: Mapped[list[Participant]] = relationship(back_populates="room", cascade="all, delete-orphan")
    tracks: Mapped[list[Track]] = relationship(back_populates="room", cascade="all, delete-orphan")
    events: Mapped[list[RoomEvent]] = relationship(back_populates="room", cascade="all, delete-orphan")
    episode: Mapped[Episode | None] = relationship(back_populates="room", uselist=False)

    @property
    def is_over(self) -> bool:
        """Ended, by its host or its grace period, or interrupted (its server stopped)."""
        return self.status in (RoomStatus.ended, RoomStatus.interrupted)


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(128), index=True)
    display_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(stored_enum(Role), default=Role.listener)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    room: Mapped[Room] = relationship(back_populates="participants")
    tracks: Mapped[list[Track]] = relationship(back_populates="participant")

    __table_args__ = (UniqueConstraint("room_id", "identity"),)


class Track(Base):
    """One speaker's archived audio. ``offset_s`` places its first sample on the room's clock."""

    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    media_key: Mapped[str] = mapped_column(String(512))
    codec: Mapped[str] = mapped_column(String(32))
    sample_rate: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    transcript_key: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    room: Mapped[Room] = relationship(back_populates="tracks")
    participant: Mapped[Participant] = relationship(back_populates="tracks")


class RoomEvent(Base):
    """The room's timeline: joins, stage moves, mutes, markers, off-the-record spans. ``kind`` is
    a ``roomcast.events.EventKind``; ``data`` its payload (``Marker``, ``Clip``)."""

    __tablename__ = "room_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    at_s: Mapped[float] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    room: Mapped[Room] = relationship(back_populates="events")


class Episode(Base):
    __tablename__ = "episodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), unique=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid, unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EpisodeStatus] = mapped_column(stored_enum(EpisodeStatus), default=EpisodeStatus.processing)
    language: Mapped[str] = mapped_column(String(16), default="en")
    audio_key: Mapped[str | None] = mapped_column(String(512))
    audio_mime: Mapped[str | None] = mapped_column(String(64))
    audio_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)
    transcript_keys: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    chapters_key: Mapped[str | None] = mapped_column(String(512))
    # roomcast.soundbites: made by post-production; None until it ran (migration 0014)
    soundbites: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    waveform_key: Mapped[str | None] = mapped_column(String(512))
    waveform_image_key: Mapped[str | None] = mapped_column(String(512))
    extra_audio: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # e.g. {"m4a": key}
    # Room time -> episode time ([room_start, room_end, episode_start] per kept span).
    time_map: Mapped[list[list[float]] | None] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    show: Mapped[Show] = relationship(back_populates="episodes")
    room: Mapped[Room] = relationship(back_populates="episode")
    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="TranscriptSegment.start_s"
    )


class Person(Base):
    """Whoever joined under an identity, across rooms and shows (roomcast.people). Pages and
    search name a person by ``key``, which says nothing of the identity (an e-mail address, say)."""

    __tablename__ = "people"

    identity: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)


class TranscriptSegment(Base):
    """One speaker's line, timed on the published audio; ``words`` holds word-level timings."""

    __tablename__ = "transcript_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    speaker: Mapped[str] = mapped_column(String(255))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16), default="en")
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False)

    episode: Mapped[Episode] = relationship(back_populates="segments")
