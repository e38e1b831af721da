"""The room's timeline: one name for each thing that happens in a room, and the payloads read later.

The stage (live/) emits events as ``(kind, identity, data)``; they are stored as ``RoomEvent``
rows (``kind`` a plain string, ``data`` JSON); an import (capture/) writes the creator's marks
the same way. Post-production, transcripts and feeds read them back. ``EventKind`` is a
``StrEnum``, so a stored kind, or a literal not yet converted, compares equal to its member.

Only two kinds carry a payload that is read downstream: a marker (a new topic, a chapter) and a
clip (a soundbite). Their dataclasses keep the stored JSON keys as they always were, so rows
written before them read the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    # presence
    join = "join"
    leave = "leave"
    # hands and invitations
    hand_raise = "hand_raise"
    hand_lower = "hand_lower"
    invite = "invite"
    invite_declined = "invite_declined"
    consent = "consent"
    # the stage
    stage_join = "stage_join"
    stage_leave = "stage_leave"
    mute = "mute"
    mute_lifted = "mute_lifted"
    unmute = "unmute"
    # moderation
    remove = "remove"
    role = "role"
    # the record
    marker = "marker"
    clip = "clip"
    off_record_start = "off_record_start"
    off_record_end = "off_record_end"
    end = "end"


# (kind, identity, data): an event as the stage emits it, before it is stored.
Event = tuple[str, str, dict[str, Any]]

DEFAULT_CLIP_S = 30.0  # "clip that": the last half minute


@dataclass(frozen=True)
class Marker:
    """A moderator's new topic: a chapter starts here."""

    title: str

    def to_data(self) -> dict[str, Any]:
        return {"title": self.title}

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Marker:
        return cls(str((data or {}).get("title") or ""))


@dataclass(frozen=True)
class Clip:
    """A soundbite of ``duration_s`` seconds from the event's moment.

    ``title`` is empty for a clip made in the room without one: it is titled by the words said.
    ``by_role`` is the role of whoever clipped, when they clipped (live/ records it); a listener's
    clip is never published under its own title (issue 15, item 4). Rows written before it have
    none: readers fall back on the clipper's participant row.
    """

    title: str = ""
    duration_s: float = DEFAULT_CLIP_S
    by_role: str | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"title": self.title, "duration": self.duration_s}
        if self.by_role is not None:
            data["by_role"] = self.by_role
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Clip:
        data = data or {}
        by_role = data.get("by_role")
        try:
            duration = float(data.get("duration") or DEFAULT_CLIP_S)
        except (TypeError, ValueError):
            duration = DEFAULT_CLIP_S
        return cls(str(data.get("title") or ""), duration, str(by_role) if by_role else None)

