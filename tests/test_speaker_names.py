"""A speaker is a person, not a display name."""

from __future__ import annotations

from roomcast.track_sources import speaker_names
from transcripts.lines import merge
from transcripts.transcription import Utterance, Word


def test_two_guests_with_one_name_stay_two_speakers() -> None:
    names = speaker_names([(7, "Carl"), (9, "carl"), (8, "Ann"), (7, "Carl")])
    assert names == {7: "Carl", 8: "Ann", 9: "carl (2)"}
    said = [Utterance(1.0, 1.5, "hello", [Word(1.0, 1.5, "hello", 0.9)])]
    lines = merge([(names[7], 7, 0.0, said), (names[9], 9, 2.0, said)])
    assert [(line.speaker, line.participant_id) for line in lines] == [("Carl", 7), ("carl (2)", 9)]
