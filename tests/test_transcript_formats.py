"""Merging per-speaker results into one transcript, and its published formats."""

from __future__ import annotations

import json

from transcripts.formats import to_podcast_json, to_srt, to_text, to_vtt
from transcripts.lines import merge
from transcripts.transcription import Utterance, Word


def utterance(start: float, end: float, text: str) -> Utterance:
    words = [Word(start, end, w, 0.9) for w in text.split()]
    return Utterance(start, end, text, words)


def sample_lines():  # type: ignore[no-untyped-def]
    return merge(
        [
            ("Alice", 1, 0.0, [utterance(0.5, 2.0, "Hello there"), utterance(5.0, 6.5, "Overlap <b>yes</b> & more")]),
            ("Bob", 2, 1.5, [utterance(0.0, 1.0, "Hi"), utterance(3.6, 4.5, "Me too")]),
        ]
    )


def test_merge_orders_by_time_applies_offsets_and_keeps_overlaps() -> None:
    lines = sample_lines()
    assert [(l.speaker, l.start) for l in lines] == [("Alice", 0.5), ("Bob", 1.5), ("Alice", 5.0), ("Bob", 5.1)]
    assert lines[1].words[0]["start"] == 1.5  # word times are shifted too


def test_vtt_uses_voice_tags_and_escapes_markup() -> None:
    vtt = to_vtt(sample_lines())
    assert vtt.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<v Alice>Hello there\n")
    assert "<v Alice>Overlap &lt;b&gt;yes&lt;/b&gt; &amp; more" in vtt
    assert "<b>" not in vtt


def test_srt_numbers_cues_with_comma_milliseconds() -> None:
    srt = to_srt(sample_lines())
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,000\nAlice: Hello there\n\n2\n")


def test_podcast_json_follows_the_namespace_schema() -> None:
    document = json.loads(to_podcast_json(sample_lines()))
    assert document["version"] == "1.0.0"
    assert document["segments"][0] == {"speaker": "Alice", "startTime": 0.5, "endTime": 2.0, "body": "Hello there"}


def test_long_times_and_plain_text() -> None:
    lines = merge([("Ann", None, 3725.25, [utterance(0.0, 1.0, "Late")])])
    assert "01:02:05.250 --> 01:02:06.250" in to_vtt(lines)
    assert to_text(lines) == "[01:02:05] Ann: Late\n"


def test_every_published_format_has_a_writer_and_only_those() -> None:
    from roomcast.transcript_formats import TRANSCRIPT_TYPES
    from transcripts.formats import RENDERERS, rendered

    assert list(RENDERERS) == list(TRANSCRIPT_TYPES)
    assert list(rendered(merge([]))) == list(TRANSCRIPT_TYPES)  # written in the order feeds list them
