"""Post-production through the real pipeline: an off-the-record span leaves the audio, the
transcript and the index; chapters, soundbites and deep links land on the published audio."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import mutagen.id3 as id3
import pytest

from tests.conftest import CLOSING_TRIM_S, OPENING_TRIM_S, Conversation, measure_loudness, served


@pytest.fixture(scope="module")
def produced(tmp_path_factory, conversation: Conversation):  # type: ignore[no-untyped-def]
    bob_turn = conversation.turns[1]  # "Telescopes changed everything … Scotland."
    cut = (bob_turn.start - 0.3, bob_turn.end + 0.3)
    iceland_turn = conversation.turns[2]
    with served(tmp_path_factory.mktemp("postprod")) as (roomcast, server):
        roomcast.run("show", "create", "cuts", "--title", "Cuts", check=True)
        episode = roomcast.run_json(
            "import", "cuts", "--title", "With a secret", *conversation.track_args(),
            "--off-record", f"{cut[0]:.2f}-{cut[1]:.2f}",
            "--marker", f"{iceland_turn.start:.2f}=Iceland", "--clip", f"{iceland_turn.start:.2f}+3=Volcanoes", "--wait",
        )
        yield roomcast, server, episode, cut


def get(server, url: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(url if url.startswith("http") else server.base_url + url, timeout=30)


def test_the_cut_is_gone_from_audio_transcript_and_search(produced, conversation: Conversation) -> None:  # type: ignore[no-untyped-def]
    roomcast, server, episode, cut = produced
    assert episode["status"] == "published"
    cut_length = cut[1] - cut[0]
    # espeak's clips end in a little quiet of their own: the close is measured from the last word below
    trims = OPENING_TRIM_S + CLOSING_TRIM_S
    assert episode["duration_s"] == pytest.approx(conversation.duration - cut_length - trims, abs=0.6)
    document = get(server, episode["transcripts"]["json"]).json()
    text = " ".join(s["body"] for s in document["segments"]).lower()
    assert "scotland" not in text and "child" not in text
    assert get(server, "/api/search?q=scotland").json()["hits"] == []
    # What came after the cut is found where it is heard now.
    turn, said_at = conversation.when_said("Iceland")
    [hit] = get(server, "/api/search?q=iceland").json()["hits"]
    assert hit["speaker"] == "Alice"
    assert abs(hit["start"] - (said_at - cut_length - OPENING_TRIM_S)) <= 1.0


def test_the_transcript_api_matches_the_published_files(produced, conversation: Conversation) -> None:  # type: ignore[no-untyped-def]
    _, server, episode, _ = produced
    api = get(server, f"/api/episodes/{episode['id']}/transcript").json()
    # The episode opens on its first word and closes just after its last: no dead air at either
    # edge, as heard (Whisper's word times run a few tenths late, so they get a looser bound).
    words = [w for line in api["lines"] for w in line["words"]]
    assert min(w["start"] for w in words) <= 1.0
    assert episode["duration_s"] - max(w["end"] for w in words) <= 1.0
    document = get(server, episode["transcripts"]["json"]).json()
    assert [(line["speaker"], line["start"], line["text"]) for line in api["lines"]] == [
        (s["speaker"], s["startTime"], s["body"]) for s in document["segments"]]
    assert {line["speaker"] for line in api["lines"]} == {turn.speaker for turn in conversation.turns}
    for line in api["lines"]:  # word timings inside their line, in order, on the published audio
        starts = [w["start"] for w in line["words"]]
        assert starts == sorted(starts) and line["start"] <= starts[0] and starts[-1] <= line["end"] + 0.01
    assert get(server, "/api/episodes/999999/transcript").status_code == 404


def test_the_published_audio_is_mastered(produced, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _roomcast, server, episode, _cut = produced
    mp3 = tmp_path / "e.mp3"
    mp3.write_bytes(get(server, episode["audio_url"]).content)
    integrated, peak = measure_loudness(mp3)
    assert integrated == pytest.approx(-16, abs=0.5) and peak <= -1.0
    assert episode["loudness_lufs"] == pytest.approx(integrated, abs=0.3)


def test_chapters_and_soundbites_are_on_the_published_audio(produced, conversation: Conversation, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _roomcast, server, episode, cut = produced
    expected = conversation.turns[2].start - (cut[1] - cut[0]) - OPENING_TRIM_S
    chapters = get(server, episode["chapters_url"]).json()["chapters"]
    assert [c["title"] for c in chapters] == ["Introduction", "Iceland"]
    assert chapters[1]["startTime"] == pytest.approx(expected, abs=0.1)
    mp3 = tmp_path / "e.mp3"
    mp3.write_bytes(get(server, episode["audio_url"]).content)
    frames = id3.ID3(str(mp3))
    chap = sorted(frames.getall("CHAP"), key=lambda frame: frame.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chap] == ["Introduction", "Iceland"]
    assert chap[1].start_time == pytest.approx(expected * 1000, abs=100)
    assert frames["TIT2"].text[0] == "With a secret"
    feed = get(server, episode["feed_url"]).text
    [(start, duration)] = re.findall(r'<podcast:soundbite startTime="([\d.]+)" duration="([\d.]+)">Volcanoes<', feed)
    assert float(start) == pytest.approx(expected, abs=0.1) and float(duration) == pytest.approx(3, abs=0.1)


def test_the_audio_opens_on_the_first_sound_and_closes_just_after_the_last(produced, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from postprod.render import ACTIVITY_FRAME, RATE, decode

    _roomcast, server, episode, _cut = produced
    mp3 = tmp_path / "edges.mp3"
    mp3.write_bytes(get(server, episode["audio_url"]).content)
    audio = decode(mp3, tmp_path / "edges.raw")
    heard = (audio.activity > 10 ** (-40 / 20)).nonzero()[0]
    first_s, last_s = heard[0] * ACTIVITY_FRAME / RATE, (heard[-1] + 1) * ACTIVITY_FRAME / RATE
    assert first_s <= 0.5, first_s  # it used to open on 3 s of nothing
    assert audio.samples / RATE - last_s <= 1.0


def test_waveform_json_and_png(produced) -> None:  # type: ignore[no-untyped-def]
    _roomcast, server, episode, _cut = produced
    waveform = get(server, episode["waveform_url"]).json()
    assert len(waveform["peaks"]) == 1200 and max(waveform["peaks"]) == 1.0
    png = get(server, f"/media/episodes/{episode['id']}/waveform.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
