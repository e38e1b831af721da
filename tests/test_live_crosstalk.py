"""Crosstalk in a live room: four aiortc speakers whose microphones also carry the others, as a
leaky headset (bleed, -20 dB, 10-40 ms) or a laptop without echo cancellation (echo, -15 dB,
150-300 ms) would. After the room, no word of one is published on another's line.

The tracks are the eval set's real speech (bench._rooms), sent as they are by contrib.bot's
OpusFile. The four start on one cue, once all are on the stage, so each track's copies of the
others arrive when the others speak, as in a room; capture, the embedded worker and the real
Whisper model do the rest. Live transcription reads most of the room while it runs, so this is
about its rounds (gated by the live decision, transcripts.live_decision) and the final pass that
decodes again what they heard differently (transcripts.revisit), not only the import path
(tests/test_crosstalk.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from bench._eval_set import DEFAULT_EVAL_DIR, load_manifest, normalise
from bench._rooms import SPEAKERS, Room, build, load_clips
from contrib.bot import OpusFile
from tests.conftest import LiveServer, joined, live_server, wait_until

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(not (DEFAULT_EVAL_DIR / "manifest.tsv").is_file(),
                       reason=f"the eval set of real speech is not at {DEFAULT_EVAL_DIR}"),
]
NAMES = ("hana", "gil", "ines", "oto")


class Cued(OpusFile):
    """An OpusFile that sends nothing until ``cue`` is set: a speaker on the stage, still quiet."""

    def __init__(self, path: str, cue: asyncio.Event) -> None:
        super().__init__(path)
        self.cue = cue

    async def recv(self) -> av.Packet:
        await self.cue.wait()
        return await super().recv()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-crosstalk")) as server:
        yield server


def run_room(server: LiveServer, room: Room) -> int:
    """The room live: everyone on the stage, then the tracks on one cue, then the end."""
    room_id, host_token = server.open_room(title=f"Crosstalk {room.name}", host_name="Hana")
    length_s = max(t.end_s for t in room.turns) + 3.0

    async def scenario() -> None:
        cue = asyncio.Event()
        host = await joined(server, room_id, host_token, voice=lambda: Cued(str(room.paths[0]), cue))
        await host.send("take_stage", consent=True)
        guests = []
        for name, path in zip(NAMES[1:], room.paths[1:]):
            guest = await joined(server, room_id, server.token(room_id, name),
                                 voice=lambda path=path: Cued(str(path), cue))
            await host.send("invite", identity=guest.identity)
            await guest.expect("invited")
            await guest.send("accept_invite", consent=True)
            guests.append(guest)
        await host.wait_state(lambda s: sum(p["on_stage"] for p in s["participants"]) >= SPEAKERS, timeout=30)
        await asyncio.sleep(2)  # every microphone negotiated before anyone speaks
        cue.set()
        await asyncio.sleep(length_s)
        await host.send("end_room")
        await host.expect("ended")
        for bot in (host, *guests):
            await bot.close()

    asyncio.run(scenario())
    return room_id


def published_lines(server: LiveServer, room_id: int) -> list[dict]:
    def complete() -> bool:
        with server.server.client() as client:
            return client.get(f"/api/rooms/{room_id}/transcript").json()["complete"]

    wait_until(complete, timeout=300, message="room transcript complete")
    with server.server.client() as client:
        response: httpx.Response = client.get(f"/api/rooms/{room_id}/transcript")
    return response.json()["lines"]


@pytest.mark.parametrize("case", ["bleed-20", "echo"])
def test_a_live_room_with_crosstalk_puts_no_word_on_the_wrong_speaker(tmp_path: Path, server: LiveServer,
                                                                      case: str) -> None:
    clips = load_clips(DEFAULT_EVAL_DIR, load_manifest(DEFAULT_EVAL_DIR))[:5]  # four speakers, one overlap
    room = build(tmp_path, clips, case)
    started = time.monotonic()
    lines = published_lines(server, run_room(server, room))
    print(f"{case}: room and transcript in {time.monotonic() - started:.0f} s")
    own = {NAMES[n].title(): set(normalise(" ".join(t.text for t in room.turns if t.speaker == n)).split())
           for n in range(SPEAKERS)}
    everyone = set().union(*own.values())
    heard: dict[str, list[str]] = {name: [] for name in own}
    for line in lines:
        heard[line["speaker"]] += normalise(line["text"]).split()
    # A word only someone else said, on this speaker's lines, is the others' sound transcribed.
    wrong = {name: [w for w in words if w in everyone and w not in own[name]] for name, words in heard.items()}
    assert all(not words for words in wrong.values()), (wrong, [(l["speaker"], l["start"], l["text"]) for l in lines])
    for name, words in own.items():  # and each speaker's own words are there (tiny.en's errors aside)
        found = set(heard[name])
        assert sum(w in found for w in words) >= 0.8 * len(words), (name, heard[name])
    assert np.all(np.diff([line["start"] for line in lines]) >= 0)
