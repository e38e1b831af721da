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
SLACK_S = 0.5  # a word's start may lie this far outside its turn (bench._room_scores does the same)


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
    room_id = run_room(server, room)
    lines = published_lines(server, room_id)
    print(f"{case}: room and transcript in {time.monotonic() - started:.0f} s")
    with server.db() as db:  # the cue, on the room's clock: where the tracks' first packets arrived
        (cue_s,) = db.execute("SELECT min(offset_s) FROM tracks WHERE room_id = ?", (room_id,)).fetchone()
    # Each word is placed on the cue's clock and must lie in a turn of its own speaker (± 0.5 s):
    # a word in someone else's turn only is the others' sound transcribed under this name.
    wrong = []
    for line in lines:
        speaker = NAMES.index(line["speaker"].lower())
        for word in line["words"]:
            at = word["start"] - cue_s
            inside = [t.speaker for t in room.turns if t.start_s - SLACK_S <= at <= t.end_s + SLACK_S]
            if speaker not in inside:
                wrong.append((line["speaker"], word["word"], round(at, 2), inside))
    assert wrong == [], (wrong, [(line["speaker"], line["start"], line["text"]) for line in lines])
    for number in range(SPEAKERS):  # and each speaker's own words are there (tiny.en's errors aside)
        said = normalise(" ".join(t.text for t in room.turns if t.speaker == number)).split()
        found = set(normalise(" ".join(line["text"] for line in lines if line["speaker"] == NAMES[number].title())).split())
        assert sum(w in found for w in said) >= 0.8 * len(said), (NAMES[number], found)
    assert np.all(np.diff([line["start"] for line in lines]) >= 0)
