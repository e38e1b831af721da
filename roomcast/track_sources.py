"""A room's tracks as the pipeline reads them: the file, where it starts on the room's clock, and
the name its speaker goes by. The transcript, the mix and the search index all name speakers
this way, so two guests called "Carl" are two speakers everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from roomcast.db import session_scope
from roomcast.models import Track
from roomcast.storage import get_media_store


@dataclass(frozen=True)
class TrackSource:
    track_id: int
    speaker: str
    participant_id: int
    path: Path
    offset_s: float
    transcript_key: str | None


def speaker_names(people: list[tuple[int, str]]) -> dict[int, str]:
    """The name each person's lines carry: their display name, and where two people in one room
    share one ("Carl" and "Carl"), a number for the second and later, in the order they joined:
    two guests are two speakers, in the transcript, in search and on the speaker page."""
    names: dict[int, str] = {}
    taken: dict[str, int] = {}
    for person, name in sorted(set(people)):
        count = taken[name.casefold()] = taken.get(name.casefold(), 0) + 1
        names[person] = name if count == 1 else f"{name} ({count})"
    return names


def track_sources(room_id: int) -> list[TrackSource]:
    store = get_media_store()
    with session_scope() as session:
        tracks = session.scalars(select(Track).where(Track.room_id == room_id).order_by(Track.id)).all()
        names = speaker_names([(t.participant_id, t.participant.display_name) for t in tracks])
        return [
            TrackSource(t.id, names[t.participant_id], t.participant_id, store.path(t.media_key), t.offset_s, t.transcript_key)
            for t in tracks
        ]
