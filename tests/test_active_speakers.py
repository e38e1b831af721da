"""A stage of 12 with 3 forwarded: a listener hears exactly who speaks, and the archive has everyone.

Twelve aiortc bots on the stage send a quiet room's packets (pink noise at -70 dBFS, the RFC
6464 level in each packet as a browser sends it) until told to say their own sentence, so
every payload a listener receives names its speaker. They take turns, then two speak at once.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import av
import httpx
import pytest

from contrib.bot import Bot
from contrib.bot_voices import Talker
from tests.conftest import LiveServer

pytestmark = pytest.mark.timeout(300)
NAMES = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lee"]
UTTERANCE = 100  # packets: two seconds of each speaker's sentence


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    directory = tmp_path_factory.mktemp("stage")
    speech = []
    for index, name in enumerate(NAMES):
        wav, opus = directory / f"{name}.wav", directory / f"{name}.opus"
        subprocess.run(["espeak-ng", "-p", str(20 + 5 * index), "-w", str(wav),
                        f"This is {name}, speaker number {index + 1}, talking about rivers and the sea."], check=True)
        encode(wav, opus)
        speech.append(opus)
    quiet = directory / "quiet.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=a=0.0003:c=pink:r=48000:s=7", "-t", "4",
                    "-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k", str(quiet)], check=True)
    return speech, quiet


def encode(wav: Path, opus: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "48000", "-ac", "1", "-c:a", "libopus",
                    "-b:a", "32k", "-frame_duration", "20", str(opus)], check=True)


def owners(talkers: dict[str, Talker]) -> dict[bytes, str]:
    """Each payload that only one speaker's sentence holds, with its speaker."""
    seen: dict[bytes, set[str]] = {}
    for name, talker in talkers.items():
        for payload, _ in talker.speech[:UTTERANCE]:
            seen.setdefault(payload, set()).add(name)
    for payload, _ in next(iter(talkers.values())).quiet:
        seen.setdefault(payload, set()).add("quiet")
    return {payload: next(iter(names)) for payload, names in seen.items() if len(names) == 1}


def heard_between(listener: Bot, payload_owner: dict[bytes, str], start: float, end: float) -> dict[str, list[int]]:
    """Who the listener received in [start, end), and in which of its slots."""
    heard: dict[str, list[int]] = {}
    for slot, payloads in listener.payloads.items():
        for payload, at in zip(payloads, listener.arrivals[slot], strict=True):
            if start <= at < end and payload in payload_owner:
                heard.setdefault(payload_owner[payload], []).append(slot)
    return heard


def first_heard_index(listener: Bot, talker: Talker, after: float) -> int | None:
    """Which packet of the talker's sentence the listener received first after ``after``."""
    index_of = {payload: index for index, (payload, _) in enumerate(talker.speech[:UTTERANCE])}
    arrivals = [(at, index_of[payload]) for slot, payloads in listener.payloads.items()
                for payload, at in zip(payloads, listener.arrivals[slot], strict=True)
                if at >= after and payload in index_of]
    return min(arrivals)[1] if arrivals else None


def first_loud_index(talker: Talker) -> int:
    return next(index for index, (_, level) in enumerate(talker.speech) if level < 50)


def test_a_listener_hears_exactly_who_speaks_and_everyone_is_archived(live: LiveServer, voices) -> None:  # noqa: ANN001
    speech, quiet = voices
    room_id, host_token = live.open_room(title="A full stage")
    talkers = {name: Talker(str(path), str(quiet)) for name, path in zip(NAMES, speech, strict=True)}
    tokens = [host_token] + [live.token(room_id, name, "speaker") for name in NAMES[1:]]
    payload_owner = owners(talkers)
    turns: list[tuple[list[str], float, float]] = []

    async def speak(names: list[str]) -> None:
        start = time.monotonic()
        for name in names:
            talkers[name].speak(UTTERANCE)
        await asyncio.sleep(UTTERANCE * 0.02 + 0.3)
        turns.append((names, start, time.monotonic()))
        await asyncio.sleep(1.2)  # a turn ends: the next speaker may take a quiet one's slot

    async def scenario() -> None:
        stage = [Bot(live.ws(room_id), token, voice=lambda t=talker: t)
                 for token, talker in zip(tokens, talkers.values(), strict=True)]
        listener = Bot(live.ws(room_id), live.token(room_id, "lou"), keep_payloads=True)
        for bot in stage:
            await bot.join()
            await bot.send("take_stage", consent=True)
            await bot.negotiate(publish=True)
        await listener.join()
        await listener.negotiate()
        await listener.wait_state(lambda state: sum(p["on_stage"] for p in state["participants"]) == 12)
        await listener.connected()
        for bot in stage:
            await bot.connected()
        deadline = time.monotonic() + 10
        while len(listener._slots) < 3 and time.monotonic() < deadline:  # renegotiated up to the 3 slots
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        quiet_start = time.monotonic()
        await asyncio.sleep(1.5)
        turns.append(([], quiet_start, time.monotonic()))
        for names in (["dan"], ["fay"], ["hal"], ["jon"], ["dan"], ["kim", "lee"]):
            await speak(names)
        assert len(listener._slots) == 3
        await stage[0].send("end_room")
        await listener.expect("ended")
        for bot in [*stage, listener]:
            await bot.close()
        return listener

    listener = asyncio.run(scenario())
    for names, start, end in turns:
        heard = heard_between(listener, payload_owner, start, end)
        if names:  # the quiet after a sentence flows for half a second (pauses between words)
            heard.pop("quiet", None)
        assert set(heard) == set(names), f"during {names or 'silence'} the listener heard {sorted(heard)}"
        for name in names:
            assert len(set(heard[name])) == 1, f"{name} moved between slots mid-sentence"
            first = first_heard_index(listener, talkers[name], start)
            assert first is not None and first <= first_loud_index(talkers[name]) + 3, \
                f"{name}'s sentence was cut: first heard packet {first}"
    # everyone is archived in full, though the listener only ever heard five of them
    seconds = archived_seconds(live, room_id)
    sent = {name: talker.sent * 0.02 for name, talker in talkers.items()}
    assert len(seconds) == 12
    for identity, archived in seconds.items():
        name = "ann" if identity.startswith("host") else identity
        assert archived >= sent[name] - 1.5, f"{identity}: {archived:.1f} s archived of {sent[name]:.1f} s sent"


def archived_seconds(live: LiveServer, room_id: int, timeout: float = 20) -> dict[str, float]:
    """Seconds archived per identity, once the room's last pages are written (its end closes them)."""
    auth = {"Authorization": f"Bearer {live.creator}"}
    deadline = time.monotonic() + timeout
    with live.server.client() as client:
        while True:
            seconds: dict[str, float] = {}
            archive = client.get(f"/api/rooms/{room_id}/archive", headers=auth).json()
            try:
                for segment in archive["segments"]:
                    download = client.get(segment["download"], headers=auth)
                    download.raise_for_status()
                    seconds[segment["identity"]] = seconds.get(segment["identity"], 0.0) + decoded_seconds(download.content)
                return seconds
            except (httpx.HTTPStatusError, av.error.FFmpegError) as error:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the archive does not decode: {archive}") from error
                time.sleep(0.5)


def decoded_seconds(data: bytes) -> float:
    import io

    with av.open(io.BytesIO(data)) as container:
        return sum(frame.samples for frame in container.decode(audio=0)) / 48_000
