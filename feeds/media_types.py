"""MIME types of what roomcast publishes (podcast apps check them, so no guessing)."""

from __future__ import annotations

from pathlib import PurePosixPath

MEDIA_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def media_type(key: str) -> str:
    return MEDIA_TYPES.get(PurePosixPath(key).suffix.lower(), "application/octet-stream")
