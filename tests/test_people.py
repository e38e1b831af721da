"""A speaker is a person, not a display name: two guests both called "Carl" are two people in
the transcript, in search and on the speaker pages, each shown by name; one person speaking in
two episodes of a show is one person. Through the real pipeline (import, Whisper, index)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, live_server, spoken_opus, wait_until

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live room where two guests who both call themselves Carl speak in turn, and two imports
    in which Ann speaks."""
    directory = tmp_path_factory.mktemp("people")
    with live_server(directory) as server:
        voices = [spoken_opus(directory, "carl-one", "Welcome everyone. Tonight we talk about rivers and mountains.", whole_s=30),
                  spoken_opus(directory, "carl-two", "Between us, the zebra plans to climb the volcano.", delay_ms=8000,
                              whole_s=30)]
        room_id, host_token = server.open_room(title="Two Carls", host_name="Hana")
        asyncio.run(two_carls(server, room_id, host_token, voices))
        EPISODES["Two Carls"] = wait_until(lambda: published(server, room_id), 480, 2, "the room's episode")
        for title, text in (("Ann once", "The lighthouse keeper rang the bell at dawn."),
                            ("Ann again", "Our lighthouse needs a new lamp this winter.")):
            ann = spoken_opus(directory, title.replace(" ", "-"), text, quiet_after_s=2)
            done = server.roomcast.run("import", "talk", "--title", title, "--track", f"Ann={ann}", "--wait", "--json",
                                       check=True, timeout=480)
            EPISODES[title] = json.loads(done.stdout.strip().splitlines()[-1])["id"]
        yield server


EPISODES: dict[str, int] = {}


async def two_carls(server: LiveServer, room_id: int, host_token: str, voices: list[Path]) -> None:
    from contrib.bot import Bot, OpusFile

    host = Bot(server.ws(room_id), host_token)
    await host.join()
    carls = []
    for number, voice in enumerate(voices):
        grant = server.api("POST", f"/api/rooms/{room_id}/tokens",
                           json={"identity": f"carl-{number}@example.org", "name": "Carl", "role": "speaker"})
        carl = Bot(server.ws(room_id), grant["token"], voice=lambda v=voice: OpusFile(str(v)))
        await carl.join()
        await carl.send("take_stage", consent=True)
        await carl.negotiate(publish=True)
        carls.append(carl)
    for carl in carls:
        await carl.connected(30)
    await asyncio.sleep(20)  # both have spoken (the second from 8 s on)
    await host.send("end_room")
    await host.expect("ended")
    for bot in (host, *carls):
        await bot.close()


def published(server: LiveServer, room_id: int) -> int | None:
    production = get(server, f"/api/rooms/{room_id}/production")
    if production.status_code == 200 and production.json()["status"] == "published":
        return production.json()["episode_id"]
    return None


def get(server: LiveServer, path: str, **params: str) -> httpx.Response:
    with server.server.client() as client:
        return client.get(path, params=params)


def test_two_guests_of_one_name_are_two_people_shown_by_name(server: LiveServer) -> None:
    lines = get(server, f"/api/episodes/{EPISODES['Two Carls']}/transcript").json()["lines"]
    mountains = next(line for line in lines if "mountains" in line["text"].lower())
    zebra = next(line for line in lines if "volcano" in line["text"].lower())
    assert {mountains["speaker"], zebra["speaker"]} == {"Carl", "Carl (2)"}
    assert mountains["speaker_id"] and zebra["speaker_id"] and mountains["speaker_id"] != zebra["speaker_id"]

    # Search links each line to its own person.
    hits = get(server, "/api/search", q="volcano").json()["hits"]
    assert hits and all(h["speaker_id"] == zebra["speaker_id"] for h in hits)
    assert hits[0]["speaker_url"] == f"/speakers/{zebra['speaker_id']}"

    # One person's page has only their lines, under their name; the identity is never shown.
    page = get(server, f"/api/speakers/{zebra['speaker_id']}").json()
    said = " ".join(line["text"] for e in page["episodes"] for line in e["lines"]).lower()
    assert page["speaker"] == "Carl" and "volcano" in said and "mountains" not in said
    assert "example.org" not in get(server, f"/speakers/{zebra['speaker_id']}").text

    # Asked by the name, the page says that two people spoke under it and links each.
    named = get(server, "/api/speakers/Carl").json()
    assert sorted(p["speaker_id"] for p in named["people"]) == sorted([mountains["speaker_id"], zebra["speaker_id"]])
    named_lines = [line for e in named["episodes"] for line in e["lines"]]
    assert {(line["speaker"], line["speaker_id"]) for line in named_lines} == {
        (mountains["speaker"], mountains["speaker_id"]), (zebra["speaker"], zebra["speaker_id"])}
    html = get(server, "/speakers/Carl").text
    assert "2 people have spoken as" in html and f"/speakers/{zebra['speaker_id']}" in html


def test_one_person_across_a_shows_episodes_is_one_page(server: LiveServer) -> None:
    once = get(server, f"/api/episodes/{EPISODES['Ann once']}/transcript").json()["lines"]
    again = get(server, f"/api/episodes/{EPISODES['Ann again']}/transcript").json()["lines"]
    ann = {line["speaker_id"] for line in once}
    assert len(ann) == 1 and {line["speaker_id"] for line in again} == ann  # one person in both imports
    page = get(server, f"/api/speakers/{ann.pop()}").json()
    assert page["speaker"] == "Ann" and [e["title"] for e in page["episodes"]] == ["Ann again", "Ann once"]
    assert get(server, "/api/speakers/Ann").json()["people"] == []  # one person: the name is theirs alone
    assert get(server, "/api/speakers/0123456789ab").status_code == 404
