"""Soundbites as post-production hands them on: moments of the published audio, each with a title.

postprod/ computes them once per production (from the clips on the room's timeline, placed on the
episode's audio and titled by the words said) into ``Episode.soundbites``; feeds/ reads them as
they are, for the feed's ``podcast:soundbite`` and the episode page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Soundbite:
    start: float  # seconds on the published audio
    duration: float
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "duration": round(self.duration, 3), "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Soundbite:
        return cls(float(data["start"]), float(data["duration"]), str(data.get("title") or ""))


def stored(bites: list[Soundbite]) -> list[dict[str, Any]]:
    return [bite.to_dict() for bite in bites]


def read(value: list[dict[str, Any]] | None) -> list[Soundbite]:
    """An episode's soundbites; none for one whose production has not made them (yet)."""
    return [Soundbite.from_dict(item) for item in value or []]
