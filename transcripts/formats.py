"""The files an episode's transcript is published as, written from its lines.

WebVTT with ``<v Speaker>`` voice tags (Apple Podcasts reads them), SRT, the Podcast Namespace
JSON (``{"version": "1.0.0", "segments": [...]}``) and plain text. Their MIME types are the
kernel's one table (roomcast.transcript_formats), which the feeds list them by.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from roomcast.transcript_formats import TRANSCRIPT_TYPES
from transcripts.lines import Line


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cue_text(text: str) -> str:
    # VTT and SRT cue text is markup: escape it, and never let a blank line end the cue early.
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def to_vtt(lines: list[Line]) -> str:
    cues = ["WEBVTT", ""]
    for line in lines:
        speaker = _cue_text(line.speaker)
        cues += [f"{_timestamp(line.start, '.')} --> {_timestamp(line.end, '.')}", f"<v {speaker}>{_cue_text(line.text)}", ""]
    return "\n".join(cues)


def to_srt(lines: list[Line]) -> str:
    cues = []
    for number, line in enumerate(lines, start=1):
        cues += [str(number), f"{_timestamp(line.start, ',')} --> {_timestamp(line.end, ',')}", f"{line.speaker}: {_cue_text(line.text)}", ""]
    return "\n".join(cues)


def to_podcast_json(lines: list[Line]) -> str:
    segments = [
        {"speaker": line.speaker, "startTime": line.start, "endTime": line.end, "body": line.text} for line in lines
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1)


def to_text(lines: list[Line]) -> str:
    return "".join(f"[{_timestamp(line.start, '.')[:8]}] {line.speaker}: {line.text}\n" for line in lines)


RENDERERS: dict[str, Callable[[list[Line]], str]] = {
    "vtt": to_vtt,
    "srt": to_srt,
    "json": to_podcast_json,
    "txt": to_text,
}


def rendered(lines: list[Line]) -> dict[str, str]:
    """Each published format's text, by extension, in the feeds' order."""
    return {extension: RENDERERS[extension](lines) for extension in TRANSCRIPT_TYPES}
