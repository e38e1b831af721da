"""Shared fixtures: synthetic conversations with known turns, and the roomcast CLI and server
run as real processes against a data directory (embedded) or PostgreSQL + Redis (scale-out)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest
from aiortc.rtp import RtpPacket

ESPEAK_RATE = 22_050
GAP_S = 0.8
LEAD_S = 0.5
# An episode opens a breath before its first sound and closes a breath after its last
# (postprod.render): a conversation's lead-in and final gap are that much shorter in it.
OPENING_TRIM_S, CLOSING_TRIM_S = LEAD_S - 0.3, GAP_S - 0.6


@dataclass
class Turn:
    speaker: str
    text: str
    start: float = 0.0
    end: float = 0.0


@dataclass
class Conversation:
    """One WAV per speaker, all of the same length, each silent outside its speaker's turns."""

    turns: list[Turn]
    files: dict[str, Path] = field(default_factory=dict)
    duration: float = 0.0

    def track_args(self) -> list[str]:
        return [arg for name, path in self.files.items() for arg in ("--track", f"{name}={path}")]

    def when_said(self, word: str) -> tuple[Turn, float]:
        """The turn that says ``word`` and about when: the length of espeak's speech before it."""
        turn = next(t for t in self.turns if word.lower() in t.text.lower())
        prefix = turn.text[: turn.text.lower().index(word.lower())].strip()
        lead = speak(prefix, VOICES[turn.speaker]).size / ESPEAK_RATE if prefix else 0.0
        return turn, turn.start + lead


VOICES = {"Alice": "en-us", "Bob": "en-gb", "Carol": "en-us+f3"}


def speak(text: str, voice: str, amplitude: int = 100) -> np.ndarray:
    """espeak-ng's speech as float samples at 22.05 kHz."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-a", str(amplitude), "-s", "155", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples = np.frombuffer(wav[44:], dtype="<i2").astype(np.float32) / 32768
    return samples


def write_wav(path: Path, samples: np.ndarray, rate: int = ESPEAK_RATE) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def build_conversation(directory: Path, turns: list[Turn], amplitudes: dict[str, int] | None = None) -> Conversation:
    amplitudes = amplitudes or {}
    clips, cursor = [], LEAD_S
    for turn in turns:
        clip = speak(turn.text, VOICES[turn.speaker], amplitudes.get(turn.speaker, 100))
        turn.start, turn.end = cursor, cursor + clip.size / ESPEAK_RATE
        clips.append(clip)
        cursor = turn.end + GAP_S
    length = int(cursor * ESPEAK_RATE)
    conversation = Conversation(turns, duration=cursor)
    for speaker in dict.fromkeys(t.speaker for t in turns):
        track = np.zeros(length, dtype=np.float32)
        for turn, clip in zip(turns, clips):
            if turn.speaker == speaker:
                start = int(turn.start * ESPEAK_RATE)
                track[start : start + clip.size] = clip
        conversation.files[speaker] = write_wav(directory / f"{speaker.lower()}.wav", track)
    return conversation


DIALOGUE = [
    ("Alice", "Welcome everyone to the show. Tonight we talk about the night sky."),
    ("Bob", "Telescopes changed everything for me when I was a child in Scotland."),
    ("Alice", "Volcanoes are my other passion, especially the ones in Iceland."),
    ("Bob", "Astronomy and geology meet on the surface of the moon."),
]


@pytest.fixture(scope="session")
def conversation(tmp_path_factory: pytest.TempPathFactory) -> Conversation:
    """Alice and Bob taking turns; Bob's file is converted to FLAC to exercise another format."""
    directory = tmp_path_factory.mktemp("speech")
    talk = build_conversation(directory, [Turn(s, t) for s, t in DIALOGUE], amplitudes={"Bob": 35})
    flac = directory / "bob.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(talk.files["Bob"]), str(flac)], check=True)
    talk.files["Bob"] = flac
    silent = directory / "carol.wav"
    write_wav(silent, np.zeros(int(talk.duration * ESPEAK_RATE), dtype=np.float32))
    talk.files["Carol"] = silent  # on stage, never spoke
    return talk


def free_port() -> int:
    """A port for a server of the test's own, which no other socket of this machine is given meanwhile.

    A port merely found free could go to the next bind(0) or outgoing connection (another xdist
    worker's, a client of a server) before the server binds it. Connected once and closed here, it
    waits in TIME_WAIT: for a minute the kernel gives it to neither, and a server that binds with
    SO_REUSEADDR (uvicorn, redis-server) takes it at once (the listener's flag is inherited by the
    connection left waiting, which lets it)."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            accepted.close()  # closed first: this side, bound to the port, is the one left waiting
    return port


@dataclass
class Roomcast:
    """The roomcast CLI bound to one configuration (environment variables)."""

    env: dict[str, str]
    data_dir: Path

    def run(self, *args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "roomcast", *args],
            env=self.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"roomcast {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def run_json(self, *args: str, timeout: float = 600) -> dict:
        result = self.run(*args, "--json", timeout=timeout, check=True)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def spawn(self, *args: str, log: Path) -> subprocess.Popen:
        handle = open(log, "w")
        return subprocess.Popen(
            [sys.executable, "-m", "roomcast", *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def roomcast_env(data_dir: Path, port: int, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")}
    env.update(
        ROOMCAST_DATA_DIR=str(data_dir),
        ROOMCAST_BASE_URL=f"http://127.0.0.1:{port}",
        ROOMCAST_WORKER_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)


# The test files that take longest, longest first: run first, so that under pytest-xdist
# (`make test`: two workers, a file at a time) no long file starts last and runs on alone.
# Measured at 015390f (`make test`'s run, --junitxml, two shared cores): 75-245 s each.
LONGEST_FILES = [
    "test_capture.py", "test_crosstalk.py", "test_import_to_feed.py", "test_scaleout_healing.py",
    "test_node_takeover.py", "test_guest_clips.py", "test_bad_input.py", "test_recovery.py", "test_live_rooms.py",
    "test_feeds.py", "test_live_transcription.py", "test_live_stream.py", "test_show_life.py",
    "test_housekeeping_queue.py",
]


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture scope
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: place for place, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order is kept


SERVER_LOGS: list[Path] = []  # every server a test started, newest last: shown when a test fails
RUNNING_SERVERS: dict[Path, subprocess.Popen] = {}  # by log: a module's server outlives the test that started it
FIRST_LOG = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[FIRST_LOG] = len(SERVER_LOGS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    """A failing test carries the end of the logs of the servers it may have talked to: those still
    running (a module's) and those started since it began (at least the last two)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        running = [log for log, process in RUNNING_SERVERS.items() if process.poll() is None]
        since = SERVER_LOGS[min(item.stash.get(FIRST_LOG, len(SERVER_LOGS)), len(SERVER_LOGS) - 2):]
        for log in list(dict.fromkeys(running + since))[-4:]:
            if log.exists():
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-80:])
                report.sections.append((f"server log {log.name} (last 80 lines)", tail))


def start_server(roomcast: Roomcast, port: int) -> Server:
    log = roomcast.data_dir.parent / f"serve-{port}.log"
    SERVER_LOGS.append(log)
    process = RUNNING_SERVERS[log] = roomcast.spawn("serve", "--port", str(port), log=log)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"roomcast serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return Server(process, base_url, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError(f"roomcast serve did not answer:\n{log.read_text()}")


def stop(process: subprocess.Popen, timeout: float = 60) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def embedded(tmp_path: Path) -> Roomcast:
    data_dir = tmp_path / "data"
    return Roomcast(roomcast_env(data_dir, free_port()), data_dir)


@pytest.fixture
def owls_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The app in this process (FastAPI's TestClient) on a fresh embedded database holding the show
    "owls": (client, the show's creator Authorization header). Each feed answer shows the last
    change (ROOMCAST_FEED_TRUST_S=0)."""
    from fastapi.testclient import TestClient

    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROOMCAST_FEED_TRUST_S", "0")
    get_settings.cache_clear()
    from feeds.feed_cache import feed_cache
    from roomcast.app import create_app
    from roomcast.db import migrate, session_scope
    from roomcast.models import Show
    from roomcast.tokens import mint_creator_token

    migrate()
    feed_cache.clear()
    with session_scope() as session:
        session.add(Show(slug="owls", title="Owls", description="", feed_version=1))
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {mint_creator_token('owls', days=1)}"}
    feed_cache.clear()
    get_settings.cache_clear()


def measure_loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak by FFmpeg's ebur128 filter: a meter roomcast does not use."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    summary = result.stderr[result.stderr.rindex("Summary:") :]
    integrated = float(summary.split("I:")[1].split("LUFS")[0])
    peak = float(summary.split("Peak:")[1].split("dBFS")[0])
    return integrated, peak


def wait_until(predicate, timeout: float, interval: float = 0.5, message: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def worker_lock_held(data_dir: Path) -> bool:
    """Whether an embedded worker still runs on ``data_dir`` (it holds this file's lock)."""
    import fcntl

    lock = data_dir / "worker.lock"
    if not lock.exists():
        return False
    with open(lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def iter_lines(text: str) -> Iterator[str]:
    return (line for line in text.splitlines() if line.strip())


# --- live rooms ---------------------------------------------------------------------------
@dataclass
class LiveServer:
    server: Server
    roomcast: Roomcast
    creator: str  # creator token for the show "talk"

    def api(self, method: str, path: str, **kwargs) -> dict:  # noqa: ANN003
        with self.server.client() as client:
            response = client.request(method, path, headers={"Authorization": f"Bearer {self.creator}"}, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else {}

    def open_room(self, **fields) -> tuple[int, str]:  # noqa: ANN003
        room = self.api("POST", "/api/shows/talk/rooms", json={"title": "Live now", **fields})
        return room["id"], room["host_link"].split("#join=")[1]

    def token(self, room_id: int, identity: str, role: str = "listener") -> str:
        grant = self.api("POST", f"/api/rooms/{room_id}/tokens",
                         json={"identity": identity, "name": identity.title(), "role": role})
        return grant["token"]

    def ws(self, room_id: int) -> str:
        return self.server.base_url.replace("http", "ws") + f"/rooms/{room_id}/ws"

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.roomcast.data_dir / "roomcast.sqlite3")


async def joined(live: LiveServer, room_id: int, token: str, **options):  # noqa: ANN003, ANN201
    """A contrib.bot.Bot in the room: joined, its media negotiated, connected. ``options``: the Bot's
    (``voice=`` a callable giving what it says, ...)."""
    from contrib.bot import Bot

    bot = Bot(live.ws(room_id), token, **options)
    await bot.join()
    await bot.negotiate()
    await bot.connected()
    return bot


async def host_on_stage(live: LiveServer, room_id: int, token: str, speech: Path):  # noqa: ANN201
    """The room's host (a contrib.bot.Bot), connected and speaking ``speech`` on a loop from the stage."""
    from contrib.bot import OpusFile

    host = await joined(live, room_id, token, voice=lambda: OpusFile(str(speech), loop=True))
    await host.send("take_stage", consent=True)
    return host


@contextmanager
def served(directory: Path, **env: str) -> Iterator[tuple[Roomcast, Server]]:
    """`roomcast serve` (with its embedded worker unless ``env`` says otherwise) on a data directory
    of its own under ``directory``, and the CLI bound to it; ``env``: this server's settings
    (ROOMCAST_...=value). Stopped on exit."""
    data_dir, port = directory / "data", free_port()
    roomcast = Roomcast(roomcast_env(data_dir, port, **env), data_dir)
    server = start_server(roomcast, port)
    try:
        yield roomcast, server
    finally:
        stop(server.process)


@contextmanager
def live_server(directory: Path, **env: str) -> Iterator[LiveServer]:
    """A server (see ``served``) with the show "talk" and its creator token."""
    with served(directory, **env) as (roomcast, server):
        roomcast.run("show", "create", "talk", "--title", "Talk", check=True)
        creator = roomcast.run("token", "creator", "talk", check=True).stdout.strip()
        yield LiveServer(server, roomcast, creator)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server shared by a module's tests: no worker, and an empty room ends after 2 s."""
    with live_server(tmp_path_factory.mktemp("live"), ROOMCAST_EMBEDDED_WORKER="false",
                     ROOMCAST_ROOM_GRACE_S="2") as server:
        yield server


def spoken_opus(directory: Path, name: str, text: str, voice: str | None = None, delay_ms: int = 0,
                quiet_after_s: float = 0.0, whole_s: float | None = None) -> Path:
    """espeak-ng saying ``text`` as a bot sends it (Ogg/Opus, mono, 48 kHz, 32 kb/s, 20 ms packets):
    ``delay_ms`` of quiet before it; after it ``quiet_after_s`` of quiet, or quiet up to ``whole_s``
    in all (two such loops, delayed differently, take turns instead of talking over each other)."""
    wav, opus = directory / f"{name}.wav", directory / f"{name}.opus"
    subprocess.run(["espeak-ng", *(["-v", voice] if voice else []), "-w", str(wav), text], check=True)
    filters = ([f"adelay={delay_ms}"] if delay_ms else []) + (
        [f"apad=whole_dur={whole_s}"] if whole_s else [f"apad=pad_dur={quiet_after_s}"] if quiet_after_s else [])
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *(["-af", ",".join(filters)] if filters else []),
                    "-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", str(opus)],
                   check=True)
    return opus


@pytest.fixture(scope="module")
def opus_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_opus(tmp_path_factory.mktemp("opus"), "speech", "Hello everyone, welcome to the room. "
                       "Today we talk about rivers, mountains and the quick brown fox.")


def rtp_packet(ssrc: int, sequence: int, timestamp: int) -> RtpPacket:
    return RtpPacket(payload_type=111, sequence_number=sequence & 0xFFFF, timestamp=timestamp & 0xFFFFFFFF,
                     ssrc=ssrc, payload=bytes([0xFC, sequence & 0xFF]))


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A RoomArchive on a fresh data directory, with a live room 1 to write into."""
    from roomcast.settings import get_settings

    monkeypatch.setenv("ROOMCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ROOMCAST_LIVE_TRANSCRIPTION", "false")
    get_settings.cache_clear()
    from capture.archive import RoomArchive
    from live.rooms import open_room
    from roomcast.db import migrate, session_scope
    from roomcast.models import Show

    migrate()
    with session_scope() as session:
        room_id = open_room(session, Show(slug="captured", title="Captured"), "Captured").id
    yield RoomArchive(), room_id
    get_settings.cache_clear()


def ended_and_segmented(archive) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """End the ``archive`` fixture's room and list its segments, as (start, length), once written."""
    from capture.archive import records
    from roomcast.db import session_scope
    from roomcast.models import Track

    sink, room_id = archive
    sink.room_ended(room_id)
    records.submit(lambda: None).result(30)  # the segments' rows are written
    with session_scope() as session:
        tracks = session.query(Track).filter_by(room_id=room_id).order_by(Track.offset_s)
        return [(track.offset_s, track.duration_s) for track in tracks]
