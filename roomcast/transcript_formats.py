"""The formats an episode's transcript is published in, and their MIME types: one table for the
writer (transcripts.formats) and the readers (the feeds' ``podcast:transcript`` tags), in the
order feeds list them (captions first)."""

from __future__ import annotations

TRANSCRIPT_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "txt": "text/plain",
}
