"""Bringing an existing multitrack recording into the archive, as a room that has ended.

Every file is decoded once before anything is created, so a missing, unreadable or corrupt
track is refused with nothing left behind. The originals are archived unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomcast.audio import AudioInfo, UnreadableAudio, probe
from roomcast.errors import NotFound, UserError
from roomcast.events import Clip, EventKind, Marker
from roomcast.models import (
    Participant,
    Role,
    Room,
    RoomEvent,
    RoomStatus,
    Show,
    Track,
    utcnow,
)
from roomcast.storage import get_media_store
from roomcast.text import clean_line, clean_text, slugify


@dataclass(frozen=True)
class TimelineMark:
    """A moment the creator marks on an imported recording: a chapter or a soundbite."""

    kind: EventKind  # a marker (a new topic: a chapter), a clip (a soundbite), off the record and back
    at_s: float
    title: str
    duration_s: float | None = None

    def data(self) -> dict:
        """The event's payload, as the room's timeline keeps it (``roomcast.events``)."""
        if self.kind == EventKind.clip:
            return Clip(self.title, self.duration_s).to_data()
        return Marker(self.title).to_data()


def parse_time(text: str) -> float:
    """``90``, ``90.5``, ``1:30`` or ``1:02:03``."""
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError as error:
        raise UserError(f"{text!r} is not a time (use seconds, MM:SS or HH:MM:SS)") from error
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise UserError(f"{text!r} is not a time (use seconds, MM:SS or HH:MM:SS)")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def parse_marker_option(value: str) -> TimelineMark:
    """``TIME=Title`` as given to ``roomcast import --marker``."""
    time_text, separator, title = value.partition("=")
    if not separator or not clean_line(title):
        raise UserError(f"--marker {value!r}: expected TIME=TITLE, for example --marker 12:30=Questions")
    return TimelineMark(EventKind.marker, parse_time(time_text), clean_line(title))


def parse_clip_option(value: str) -> TimelineMark:
    """``TIME+SECONDS[=Title]`` as given to ``roomcast import --clip``."""
    span, _separator, title = value.partition("=")
    start_text, plus, duration_text = span.partition("+")
    if not plus:
        raise UserError(f"--clip {value!r}: expected TIME+SECONDS[=TITLE], for example --clip 3:10+45=The best bit")
    duration = parse_time(duration_text)
    if duration <= 0:
        raise UserError(f"--clip {value!r}: the duration must be positive")
    return TimelineMark(EventKind.clip, parse_time(start_text), clean_line(title), duration)


def parse_off_record_option(value: str) -> list[TimelineMark]:
    """``START-END`` as given to ``roomcast import --off-record``: cut from audio, transcript and search."""
    start_text, dash, end_text = value.partition("-")
    if not dash:
        raise UserError(f"--off-record {value!r}: expected START-END, for example --off-record 12:00-14:30")
    start, end = parse_time(start_text), parse_time(end_text)
    if end <= start:
        raise UserError(f"--off-record {value!r}: the end must come after the start")
    return [TimelineMark(EventKind.off_record_start, start, "off the record"),
            TimelineMark(EventKind.off_record_end, end, "on the record")]


@dataclass(frozen=True)
class TrackFile:
    speaker: str
    path: Path


def parse_track_option(value: str) -> TrackFile:
    """``NAME=PATH`` as given to ``roomcast import --track``."""
    name, separator, path = value.partition("=")
    name = clean_line(name)
    if not separator or not name or not path.strip():
        raise UserError(f"--track {value!r}: expected NAME=PATH, for example --track Alice=alice.wav")
    return TrackFile(name, Path(path.strip()).expanduser())


def check_track(track: TrackFile) -> AudioInfo:
    if not track.path.is_file():
        raise UserError(f"track {track.speaker}: {track.path}: no such file")
    if not os.access(track.path, os.R_OK):
        raise UserError(f"track {track.speaker}: {track.path}: not readable")
    try:
        return probe(track.path)
    except UnreadableAudio as error:
        raise UserError(f"track {track.speaker}: {track.path}: not readable audio ({error})") from error


def import_recording(
    session: Session, show_slug: str, title: str, tracks: list[TrackFile], description: str = "",
    marks: list[TimelineMark] | None = None,
) -> Room:
    """Create the room, its participants and archived tracks in ``session`` (not committed).

    The caller commits; if it does not, :func:`discard_archive` removes the copied files.
    """
    if not tracks:
        raise UserError("an import needs at least one --track")
    names = [t.speaker for t in tracks]
    if len(set(names)) != len(names):
        raise UserError("each --track needs its own speaker name")
    title = clean_line(title)
    if not title:
        raise UserError("an episode needs a title")
    show = session.scalars(select(Show).where(Show.slug == show_slug)).first()
    if show is None:
        raise NotFound(f"no show {show_slug!r}; create it first with `roomcast show create`")
    infos = [check_track(track) for track in tracks]

    ended = utcnow()
    duration = max(info.duration_s for info in infos)
    for mark in marks or []:
        if mark.at_s >= duration and mark.kind != EventKind.off_record_end:
            raise UserError(f"{mark.kind} at {mark.at_s:.1f} s lies after the end of the recording ({duration:.1f} s)")
    room = Room(show=show, title=title, description=clean_text(description), status=RoomStatus.ended,
                started_at=ended - timedelta(seconds=duration), ended_at=ended)
    session.add(room)
    session.flush()
    store = get_media_store()
    identities: list[str] = []
    for number, (track, info) in enumerate(zip(tracks, infos), start=1):
        identities.append(import_identity(show_slug, track.speaker, identities))
        participant = Participant(room=room, identity=identities[-1], display_name=track.speaker,
                                  role=Role.host if number == 1 else Role.speaker, consented_at=ended)
        key = f"rooms/{room.id}/tracks/{number}-{slugify(track.speaker, 'speaker')}{track.path.suffix.lower()}"
        size = store.copy_in(track.path, key)
        session.add(Track(room=room, participant=participant, media_key=key, codec=info.codec,
                          sample_rate=info.sample_rate, duration_s=info.duration_s, offset_s=0.0, size_bytes=size))
    for mark in marks or []:
        session.add(RoomEvent(room=room, kind=mark.kind, at_s=mark.at_s, data=mark.data()))
    session.flush()
    return room


def import_identity(show_slug: str, speaker: str, taken: list[str]) -> str:
    """Who an imported track's speaker is (roomcast.people): the same name in a show's imports is
    one person, its host say; two tracks of one name in one import are two people."""
    base = f"import-{show_slug}-{slugify(speaker, 'speaker')}"[:120]
    identity, count = base, 1
    while identity in taken:
        count += 1
        identity = f"{base}-{count}"
    return identity


def discard_archive(room_id: int) -> None:
    get_media_store().delete_tree(f"rooms/{room_id}")
