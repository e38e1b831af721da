"""The foundation's path, in both runtime modes: speakers' tracks in, a published, searchable
episode out. A real Celery worker runs the real pipeline (Whisper included) each time.

- embedded: `roomcast serve` with its own worker over the SQLite queue, nothing outside;
- scale-out: PostgreSQL with a Redis or a RabbitMQ broker, and a separate `roomcast worker`.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import feedparser
import podcastparser
import pytest

from tests.conftest import (
    CLOSING_TRIM_S,
    OPENING_TRIM_S,
    Conversation,
    Roomcast,
    Server,
    free_port,
    measure_loudness,
    roomcast_env,
    served,
    start_server,
    stop,
)
from tests.scaleout import forget_queues, postgres_database

REDIS_URL = "redis://127.0.0.1:6379/11"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"


@dataclass
class Published:
    mode: str
    roomcast: Roomcast
    server: Server
    episode: dict
    conversation: Conversation


@pytest.fixture(scope="module")
def embedded_published(tmp_path_factory, conversation) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    with served(tmp_path_factory.mktemp("embedded")) as (roomcast, server):  # with its embedded worker
        yield _publish(roomcast, server, conversation, "embedded")


@contextmanager
def scaleout(root: Path, conversation: Conversation, broker_url: str) -> Iterator[Published]:
    """A fresh PostgreSQL database, a queue prefix of its own on the machine's broker (other tests,
    or another engineer's run, may share it), `serve` and a separate `worker`."""
    prefix = f"rc-{uuid.uuid4().hex[:8]}"
    with postgres_database() as database_url:
        port = free_port()
        env = roomcast_env(root / "data", port, ROOMCAST_DATABASE_URL=database_url, ROOMCAST_BROKER_URL=broker_url,
                           ROOMCAST_QUEUE_PREFIX=prefix, ROOMCAST_SECRET_KEY="the-deployment's-one-key")
        roomcast = Roomcast(env, root / "data")
        server = start_server(roomcast, port)  # with an outside broker, serve starts no worker
        worker = roomcast.spawn("worker", log=root / "worker.log")
        try:
            yield _publish(roomcast, server, conversation, "scaleout")
        finally:
            stop(worker)
            stop(server.process)
            forget_queues(broker_url, prefix)


@pytest.fixture(scope="module")
def redis_published(tmp_path_factory, conversation) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    with scaleout(tmp_path_factory.mktemp("redis"), conversation, REDIS_URL) as published:
        yield published


@pytest.fixture(scope="module")
def amqp_published(tmp_path_factory, conversation) -> Iterator[Published]:  # type: ignore[no-untyped-def]
    with scaleout(tmp_path_factory.mktemp("amqp"), conversation, AMQP_URL) as published:
        yield published


def _publish(roomcast: Roomcast, server: Server, talk: Conversation, mode: str) -> Published:
    roomcast.run("show", "create", "stargazers", "--title", "Star & Stone <Live>", "--author", "Alice", check=True)
    episode = roomcast.run_json(
        "import", "stargazers", "--title", "Skies and volcanoes", *talk.track_args(), "--wait", timeout=900
    )
    return Published(mode, roomcast, server, episode, talk)


@pytest.fixture(
    params=["embedded", pytest.param("redis", marks=pytest.mark.scaleout), pytest.param("amqp", marks=pytest.mark.scaleout)]
)
def published(request) -> Published:  # type: ignore[no-untyped-def]
    return request.getfixturevalue(f"{request.param}_published")


def test_import_reports_a_published_episode(published: Published) -> None:
    episode = published.episode
    assert episode["status"] == "published"
    assert isinstance(episode["id"], int)
    assert episode["feed_url"] == f"{published.server.base_url}/shows/stargazers/feed.xml"
    assert episode["audio_url"].startswith(f"{published.server.base_url}/media/episodes/{episode['id']}/")
    assert episode["pipeline"]["status"] == "succeeded"
    assert episode["pipeline"]["progress"] == 1.0


def test_feed_lists_the_episode_with_its_exact_enclosure(published: Published) -> None:
    with published.server.client() as client:
        feed_response = client.get("/shows/stargazers/feed.xml")
        audio = client.get(published.episode["audio_url"]).content
    assert feed_response.status_code == 200
    assert feed_response.headers["content-type"].startswith("application/rss+xml")

    parsed = feedparser.parse(feed_response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Star & Stone <Live>"  # markup in a title stays text
    assert "<itunes:explicit>false</itunes:explicit>" in feed_response.text  # Apple's documented values
    [entry] = parsed.entries
    assert entry.title == "Skies and volcanoes"
    [enclosure] = entry.enclosures
    assert enclosure.href == published.episode["audio_url"]
    assert int(enclosure.length) == len(audio)
    assert enclosure.type == "audio/mpeg"
    assert entry.podcast_transcript["type"] == "text/plain"  # feedparser keeps only the last one

    # gPodder's parser, as podcast apps read it.
    podcast = podcastparser.parse(published.episode["feed_url"], io.BytesIO(feed_response.content))
    [item] = podcast["episodes"]
    assert item["enclosures"][0]["file_size"] == len(audio)
    assert item["enclosures"][0]["mime_type"] == "audio/mpeg"
    assert item["total_time"] == round(published.episode["duration_s"])

    # Every transcript format is announced, the JSON one with its type.
    types = re.findall(r'<podcast:transcript url="[^"]+" type="([^"]+)"', feed_response.text)
    assert types == ["text/vtt", "application/x-subrip", "application/json", "text/plain"]


def test_feed_revalidation_answers_304(published: Published) -> None:
    with published.server.client() as client:
        first = client.get("/shows/stargazers/feed.xml")
        again = client.get("/shows/stargazers/feed.xml", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_media_answers_head_and_byte_ranges(published: Published) -> None:
    url = published.episode["audio_url"]
    with published.server.client() as client:
        full = client.get(url).content
        head = client.head(url)
        part = client.get(url, headers={"Range": "bytes=100-1099"})
        tail = client.get(url, headers={"Range": "bytes=-50"})
        beyond = client.get(url, headers={"Range": f"bytes={len(full) + 10}-"})
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(full)
    assert head.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206
    assert part.content == full[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(full)}"
    assert tail.status_code == 206 and tail.content == full[-50:]
    assert beyond.status_code == 416


def test_published_audio_is_mastered_to_podcast_loudness(published: Published, tmp_path: Path) -> None:
    with published.server.client() as client:
        mp3 = tmp_path / "episode.mp3"
        mp3.write_bytes(client.get(published.episode["audio_url"]).content)
    integrated, true_peak = measure_loudness(mp3)
    assert -17.0 <= integrated <= -15.0
    assert true_peak <= -1.0
    # The whole conversation is there: nothing cut from its end, only the quiet around it shortened to a breath.
    expected = published.conversation.duration - OPENING_TRIM_S - CLOSING_TRIM_S
    assert published.episode["duration_s"] == pytest.approx(expected, abs=0.6)  # espeak ends in quiet of its own


def test_search_finds_the_speaker_at_the_second_the_word_was_said(published: Published) -> None:
    talk = published.conversation
    with published.server.client() as client:
        for word in ["Iceland", "Scotland", "moon"]:
            turn, said_at = talk.when_said(word)
            hits = client.get("/api/search", params={"q": word.lower()}).json()["hits"]
            assert hits, f"no hit for {word!r}"
            best = hits[0]
            assert best["speaker"] == turn.speaker
            assert best["episode_id"] == published.episode["id"]
            assert abs(best["start"] - said_at) <= 1.0, (word, best["start"], said_at)
            assert "<mark>" in best["snippet"]
            landing = float(best["url"].split("#t=")[1])  # about a second before the word
            assert best["url"].startswith(f"/episodes/{published.episode['id']}#t=") and best["start"] - 1.1 <= landing <= max(0.0, best["start"] - 0.9)
        # Filters narrow the results; a speaker who did not say it gives nothing.
        assert client.get("/api/search", params={"q": "iceland", "speaker": "Bob"}).json()["hits"] == []
        assert client.get("/api/search", params={"q": "iceland", "show": "other"}).json()["hits"] == []
        assert client.get("/api/search", params={"q": "iceland", "show": "stargazers"}).json()["hits"]
        # A phrase, a prefix, and a stemmed form all land in the same place.
        assert client.get("/api/search", params={"q": '"child in scotland"'}).json()["hits"][0]["speaker"] == "Bob"
        assert client.get("/api/search", params={"q": "scotl*"}).json()["hits"][0]["speaker"] == "Bob"
        assert client.get("/api/search", params={"q": "surfaces"}).json()["hits"][0]["speaker"] == "Bob"


def test_transcripts_attribute_every_line_to_its_speaker(published: Published) -> None:
    transcripts = published.episode["transcripts"]
    with published.server.client() as client:
        vtt = client.get(transcripts["vtt"])
        document = client.get(transcripts["json"]).json()
        srt = client.get(transcripts["srt"]).text
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.headers["access-control-allow-origin"] == "*"
    assert vtt.text.startswith("WEBVTT")
    assert "<v Alice>" in vtt.text and "<v Bob>" in vtt.text
    assert document["version"] == "1.0.0"
    segments = document["segments"]
    assert {s["speaker"] for s in segments} == {"Alice", "Bob"}  # Carol never spoke: no lines
    assert all(set(s) == {"speaker", "startTime", "endTime", "body"} for s in segments)
    assert [s["startTime"] for s in segments] == sorted(s["startTime"] for s in segments)
    # Each line lies within one of its speaker's turns.
    for segment in segments:
        turns = [t for t in published.conversation.turns if t.speaker == segment["speaker"]]
        assert any(t.start - 1 <= segment["startTime"] <= t.end + 1 for t in turns), segment
    assert "Alice:" in srt and " --> " in srt


def test_a_silent_speaker_is_a_warning_not_a_failure(published: Published) -> None:
    warnings = published.episode["pipeline"]["warnings"]
    assert any("Carol" in w and "silent" in w for w in warnings), warnings


def test_episode_api_page_and_openapi(published: Published) -> None:
    episode_id = published.episode["id"]
    with published.server.client() as client:
        api = client.get(f"/api/episodes/{episode_id}").json()
        page = client.get(f"/episodes/{episode_id}")
        openapi = client.get("/openapi.json").json()
        missing = client.get("/api/episodes/999999")
        show_page = client.get("/shows/stargazers")
    assert api["status"] == "published" and api["audio_url"] == published.episode["audio_url"]
    assert page.status_code == 200
    assert published.episode["audio_url"] in page.text and "data-start=" in page.text
    assert "Star &amp; Stone &lt;Live&gt;" in show_page.text
    assert {"/api/search", "/api/episodes/{episode_id}", "/shows/{slug}/feed.xml", "/healthz"} <= set(openapi["paths"])
    assert missing.status_code == 404


def test_archives_are_not_served_to_the_public(published: Published) -> None:
    with published.server.client() as client:
        assert client.get("/media/rooms/1/tracks/1-alice.wav").status_code == 404
        assert client.get("/media/../roomcast.sqlite3").status_code == 404
        assert client.get("/media/episodes/999/audio.mp3").status_code == 404
