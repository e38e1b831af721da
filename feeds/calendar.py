"""A room as an iCalendar event (RFC 5545), so a listener can put it in their calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from roomcast.instants import as_utc
from roomcast.models import Room, utcnow

ESTIMATED_LENGTH = timedelta(hours=1)  # a room has no planned end; calendars need one


def _text(value: str) -> str:
    """TEXT escaping: backslash, semicolon, comma and line breaks."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never inside a character)."""
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def room_event(room: Room, page_url: str) -> str:
    start = as_utc(room.started_at or room.scheduled_at or room.created_at)
    end = as_utc(room.ended_at) if room.ended_at else start + ESTIMATED_LENGTH
    description = "\n\n".join(part for part in (room.description, f"Listen live: {page_url}") if part)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//roomcast//rooms//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{room.guid}@roomcast",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_text(f'{room.title} ({room.show.title})')}",
        f"DESCRIPTION:{_text(description)}",
        f"URL:{page_url}",
        f"LOCATION:{_text(page_url)}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
