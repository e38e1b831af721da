"""Capture: what aiortc speakers say on stage is archived as Ogg/Opus and becomes the episode.

The speakers send Ogg/Opus files' packets unencoded, so the archive can be checked against
exactly what was sent: its duration, with packet loss kept as gaps of the right length.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from capture.ogg_opus import OggOpusWriter
from contrib.bot import Bot, OpusFile
from tests.conftest import (
    LiveServer,
    Roomcast,
    free_port,
    joined,
    live_server,
    roomcast_env,
    spoken_opus,
    start_server,
    stop,
    write_wav,
)

pytestmark = pytest.mark.timeout(400)


def decoded_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0)) / 48_000


def episode_status(live: LiveServer, room_id: int, timeout: float = 240) -> str | None:
    """The room's episode once the pipeline is done with it (published or failed)."""
    deadline, status = time.monotonic() + timeout, None
    while time.monotonic() < deadline and status not in ("published", "failed"):
        time.sleep(1)
        with live.db() as db:
            row = db.execute("SELECT status FROM episodes WHERE room_id=?", (room_id,)).fetchone()
        status = row[0] if row else None
    return status


def test_a_gap_in_the_packets_stays_a_gap(tmp_path: Path, opus_speech: Path) -> None:
    with av.open(str(opus_speech)) as source:
        packets = [bytes(p) for p in source.demux(audio=0) if p.size]
    writer = OggOpusWriter(tmp_path / "gap.opus")
    for index, payload in enumerate(packets):
        if not 40 <= index < 70:  # 600 ms lost
            writer.write(payload, index * 960)
    writer.close()
    with av.open(str(tmp_path / "gap.opus")) as container:  # mono, and no pre-skip trims its start
        decoded = [frame.to_ndarray() for frame in container.decode(audio=0)]
    assert all(frame.shape[0] == 1 for frame in decoded)
    assert sum(frame.shape[1] for frame in decoded) == len(packets) * 960


@pytest.fixture(scope="module")
def recording_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with its embedded worker: rooms end in published episodes."""
    with live_server(tmp_path_factory.mktemp("capture")) as server:
        yield server


def lossy(bot: Bot, rate: float, burst_every: int = 150, burst: int = 8) -> None:
    """Drop the bot's outgoing RTP: `rate` at random, plus a burst of `burst` packets now and then."""
    transport = bot._mic.sender.transport
    send_rtp = transport._send_rtp
    counter = {"n": 0}
    chance = random.Random(7)

    async def maybe_send(data: bytes) -> None:
        if 128 <= data[0] < 192 and not 192 <= data[1] <= 223:  # RTP, not RTCP
            counter["n"] += 1
            if chance.random() < rate or counter["n"] % burst_every < burst:
                return
        await send_rtp(data)

    transport._send_rtp = maybe_send


@pytest.fixture(scope="module")
def secret_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_opus(tmp_path_factory.mktemp("secret"), "secret", "Between us: the zebra plans to climb the volcano.")


def test_a_live_room_is_archived_and_published(recording_server: LiveServer, opus_speech: Path,
                                               secret_speech: Path) -> None:
    live = recording_server
    room_id, host_token = live.open_room(title="Captured live", host_name="Hank")
    hank_voice, gus_voice = OpusFile(str(opus_speech)), OpusFile(str(secret_speech))

    async def scenario() -> None:
        hank = await joined(live, room_id, host_token, voice=lambda: hank_voice)
        gus = await joined(live, room_id, live.token(room_id, "gus"), voice=lambda: gus_voice)
        assert hank.state["recording"] is True
        await hank.send("marker", title="Rivers and mountains")
        await hank.send("take_stage", consent=True)
        await asyncio.sleep(0.5)
        lossy(hank, rate=0.05)
        await asyncio.sleep(7)  # hank's speech is about 6 s
        await hank.send("off_record", on=True)
        await gus.wait_state(lambda s: s["off_record"])
        await hank.send("invite", identity="gus")
        await gus.expect("invited")
        await gus.send("accept_invite", consent=True)
        await asyncio.sleep(6)  # gus's secret is about 3 s
        await hank.send("off_record", on=False)
        await gus.send("clip", title="The secret")
        await gus.send("off_record", on=True)
        assert (await gus.expect("error"))["code"] == "forbidden"
        await asyncio.sleep(1)
        await hank.send("end_room")
        await hank.expect("ended")
        for bot in (hank, gus):
            await bot.close()

    asyncio.run(scenario())
    sent = {"host-talk": len(hank_voice.packets) * 0.02, "gus": len(gus_voice.packets) * 0.02}

    assert episode_status(live, room_id) == "published"

    with live.db() as db:
        tracks = db.execute("SELECT p.identity, t.media_key, t.duration_s, t.offset_s FROM tracks t "
                            "JOIN participants p ON p.id = t.participant_id WHERE t.room_id=?", (room_id,)).fetchall()
        words = " ".join(row[0] for row in db.execute(
            "SELECT s.text FROM transcript_segments s JOIN episodes e ON e.id = s.episode_id WHERE e.room_id=?",
            (room_id,))).lower()
        kinds = [row[0] for row in db.execute("SELECT kind FROM room_events WHERE room_id=? ORDER BY id", (room_id,))]
        chapters_key = db.execute("SELECT chapters_key FROM episodes WHERE room_id=?", (room_id,)).fetchone()[0]
    media = live.roomcast.data_dir / "media"
    # The speaker's whole speech, packet loss kept as gaps: within 50 ms of what was sent, in however
    # many segments. A bot starved of CPU for seconds sends late, its sender reports (aiortc's: the
    # last packet's send time) then say its clock drifted, and the archive starts a new one: with
    # two test workers running, hank's first segment once held 5.42 s of the 6.12 s sent (since,
    # one late report is not enough: see tests/test_archive_segments.py).
    for identity in sent:
        segments = [(key, duration) for who, key, duration, _ in tracks if who == identity]
        assert abs(sum(decoded_seconds(media / key) for key, _ in segments) - sent[identity]) <= 0.05, segments
        assert abs(sum(duration for _, duration in segments) - sent[identity]) <= 0.05, segments
    offsets = {identity: min(o for who, _, _, o in tracks if who == identity) for identity in sent}
    assert offsets["gus"] - offsets["host-talk"] > 6  # gus came on after hank had finished
    # archived, but off the record: not in the episode's transcript
    # (tiny.en heard espeak's "brown fox" as "roundpox" once, at load 8, where a segment began: "quick" it keeps)
    assert "quick" in words and "mountains" in words
    assert "zebra" not in words and "volcano" not in words
    assert {"marker", "clip", "off_record_start", "off_record_end", "consent", "stage_join"} <= set(kinds)
    assert "Rivers and mountains" in (media / chapters_key).read_text()


def test_a_crash_loses_at_most_a_second(tmp_path: Path, opus_speech: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    roomcast = Roomcast(roomcast_env(data_dir, port), data_dir)
    roomcast.run("show", "create", "talk", "--title", "Talk", check=True)
    creator = roomcast.run("token", "creator", "talk", check=True).stdout.strip()
    live = LiveServer(start_server(roomcast, port), roomcast, creator)
    room_id, host_token = live.open_room(title="Cut short")
    voice = OpusFile(str(opus_speech), loop=True)

    async def speak_until_the_crash() -> float:
        hank = await joined(live, room_id, host_token, voice=lambda: voice)
        await hank.send("take_stage", consent=True)
        await asyncio.sleep(8)
        assert (data_dir / "media" / "rooms" / str(room_id) / "live" / "live.m3u8").exists()  # its HLS stream
        live.server.process.kill()  # kill -9, in the middle of a sentence
        spoken = len(voice.packets) * 0.02
        await hank.close()
        return spoken

    spoken = asyncio.run(speak_until_the_crash())
    live.server.process.wait()
    restarted = start_server(roomcast, port)
    try:
        assert episode_status(live, room_id) == "published"
        with live.db() as db:
            room_status = db.execute("SELECT status FROM rooms WHERE id=?", (room_id,)).fetchone()[0]
            keys = [row[0] for row in db.execute("SELECT media_key FROM tracks WHERE room_id=?", (room_id,))]
        archived = sum(decoded_seconds(data_dir / "media" / key) for key in keys)
        assert room_status == "interrupted"
        assert spoken - 1.0 <= archived <= spoken + 0.05, (spoken, archived)
        # The stream the dead process left unfinished is gone, not served for ever without its end.
        assert not (data_dir / "media" / "rooms" / str(room_id) / "live").exists()
        with live.server.client() as client:
            assert client.get(f"/rooms/{room_id}/live.m3u8").status_code == 404
            assert client.get(f"/rooms/{room_id}/listen").status_code == 404
    finally:
        stop(restarted.process)


def test_the_creator_lists_downloads_and_deletes_the_archive(recording_server: LiveServer,
                                                              opus_speech: Path, tmp_path: Path) -> None:
    live = recording_server
    room_id, host_token = live.open_room(title="Archive me")
    voice = OpusFile(str(opus_speech))

    async def scenario() -> None:
        hank = await joined(live, room_id, host_token, voice=lambda: voice)
        await hank.send("take_stage", consent=True)
        await asyncio.sleep(2)
        with live.server.client() as client:  # not while the room is live
            assert client.delete(f"/api/rooms/{room_id}/archive",
                                 headers={"Authorization": f"Bearer {live.creator}"}).status_code == 409
        await asyncio.sleep(5)
        await hank.send("end_room")
        await hank.expect("ended")
        await hank.close()

    asyncio.run(scenario())
    auth = {"Authorization": f"Bearer {live.creator}"}
    with live.server.client() as client:
        assert client.get(f"/api/rooms/{room_id}/archive").status_code == 401
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # deleting waits for the episode
            archive = client.get(f"/api/rooms/{room_id}/archive", headers=auth).json()
            if client.delete(f"/api/rooms/{room_id}/archive", headers=auth).status_code != 409:
                break
            segment = archive["segments"][0]
            download = client.get(segment["download"], headers=auth)
            time.sleep(1)
        assert archive["bytes"] == sum(s["size_bytes"] for s in archive["segments"]) > 0
        assert archive["disk_free_bytes"] > 0 and segment["identity"] == "host-talk"
        assert download.status_code == 200 and download.headers["content-type"] == "audio/ogg"
        (tmp_path / "segment.opus").write_bytes(download.content)
        assert abs(decoded_seconds(tmp_path / "segment.opus") - segment["duration_s"]) <= 0.05  # the file listed
        assert abs(archive["seconds"] - len(voice.packets) * 0.02) <= 0.05  # all that was said, in however many segments
        assert client.get(f"/api/rooms/{room_id}/archive", headers=auth).json()["segments"] == []
        assert client.get(segment["download"], headers=auth).status_code == 404
    assert not (live.roomcast.data_dir / "media" / f"rooms/{room_id}/archive").exists()


def click_file(directory: Path, seconds: int, click_s: float, seed: int) -> Path:
    """``seconds`` of near-silence with one sharp click at ``click_s``, as Ogg/Opus."""
    samples = np.random.default_rng(seed).normal(0, 0.002, seconds * 48_000).astype(np.float32)
    at = int(click_s * 48_000)
    samples[at : at + 96] = 0.9
    wav, opus = directory / "click.wav", directory / "click.opus"
    write_wav(wav, samples, rate=48_000)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", "64k", str(opus)],
                   check=True)
    return opus


@pytest.fixture(scope="module")
def click(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return click_file(tmp_path_factory.mktemp("click"), seconds=4, click_s=2.5, seed=1)


async def two_speakers(live: LiveServer, room_id: int, host_token: str, voices: dict[str, OpusFile],
                       meanwhile: Callable[[Bot, Bot], Awaitable[None]]) -> None:
    """The host ("host-talk") takes the stage, ``meanwhile`` runs (bringing "cam" up when it
    likes), then the host ends the room."""
    hank = await joined(live, room_id, host_token, voice=lambda: voices["host-talk"])
    cam = await joined(live, room_id, live.token(room_id, "cam", "speaker"), voice=lambda: voices["cam"])
    await hank.send("take_stage", consent=True)
    await meanwhile(hank, cam)
    await hank.send("end_room")
    await hank.expect("ended")
    for bot in (hank, cam):
        await bot.close()


def segments_of(live: LiveServer, room_id: int) -> list[tuple[str, str, float]]:
    """(speaker, media key, offset on the room clock) of every archived segment."""
    with live.db() as db:
        return db.execute(
            "SELECT p.identity, t.media_key, t.offset_s FROM tracks t JOIN participants p ON p.id = t.participant_id "
            "WHERE t.room_id=?", (room_id,)).fetchall()


def clicks_on_the_room_clock(live: LiveServer, segments: list[tuple[str, str, float]]) -> dict[str, float]:
    """Where each speaker's loudest sample lies on the room clock, across their segments."""
    loudest: dict[str, tuple[float, float]] = {}  # speaker -> (peak, where)
    for identity, key, offset in segments:
        with av.open(str(live.roomcast.data_dir / "media" / key)) as container:
            audio = np.abs(np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]))
        if audio.max() > loudest.get(identity, (0.0, 0.0))[0]:
            loudest[identity] = (float(audio.max()), offset + int(np.argmax(audio)) / 48_000)
    return {identity: at for identity, (_, at) in loudest.items()}


def test_a_click_heard_by_two_speakers_lines_up_within_20_ms(recording_server: LiveServer, click: Path) -> None:
    """Two speakers start at different moments; the archive puts both tracks on one clock."""
    live = recording_server
    room_id, host_token = live.open_room(title="Click")
    voices = {"host-talk": OpusFile(str(click)), "cam": OpusFile(str(click))}

    async def meanwhile(hank: Bot, cam: Bot) -> None:
        await asyncio.sleep(1.3)
        await cam.send("take_stage", consent=True)
        await asyncio.sleep(6)

    asyncio.run(two_speakers(live, room_id, host_token, voices, meanwhile))
    time.sleep(1)
    on_the_room_clock = clicks_on_the_room_clock(live, segments_of(live, room_id))
    # the same click in the same file: they were played ``started`` apart, so they must lie that far apart
    started = voices["host-talk"]._started - voices["cam"]._started
    assert abs((on_the_room_clock["host-talk"] - on_the_room_clock["cam"]) - started) <= 0.020


@pytest.fixture(scope="module")
def late_click(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return click_file(tmp_path_factory.mktemp("late-click"), seconds=12, click_s=10.0, seed=2)


def test_a_speaker_whose_clock_runs_slow_stays_aligned(recording_server: LiveServer, late_click: Path) -> None:
    """One speaker's sample clock runs 0.4 % slow (exaggerated, to show in seconds): their RTCP
    sender reports say so, and the archive starts new segments so that a click ten seconds in
    still lines up with the other speaker's, which a single segment would put 40 ms off."""
    live = recording_server
    room_id, host_token = live.open_room(title="Drift")
    voices = {"host-talk": OpusFile(str(late_click)), "cam": OpusFile(str(late_click), pace=1.004)}

    async def meanwhile(hank: Bot, cam: Bot) -> None:
        await asyncio.sleep(0.7)
        await cam.send("take_stage", consent=True)
        await asyncio.sleep(13.5)

    asyncio.run(two_speakers(live, room_id, host_token, voices, meanwhile))
    time.sleep(1)
    segments = segments_of(live, room_id)
    assert sum(1 for identity, _, _ in segments if identity == "cam") >= 2, segments  # the drift started new ones
    clicks = clicks_on_the_room_clock(live, segments)
    heard = {who: voices[who]._started + 10.0 * voices[who].pace for who in voices}  # when each click was sent
    measured = clicks["host-talk"] - clicks["cam"]
    assert abs(measured - (heard["host-talk"] - heard["cam"])) <= 0.020, (measured, heard, clicks, segments)


@pytest.fixture
def small_disk(tmp_path: Path):  # noqa: ANN201
    """A 96 KiB filesystem for the media: about twenty seconds of one speaker."""
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("needs to mount a small tmpfs (root)")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_stops_recording_cleanly_and_the_room_goes_on(tmp_path: Path, small_disk: Path,
                                                                  opus_speech: Path) -> None:
    with live_server(tmp_path, ROOMCAST_MEDIA_DIR=str(small_disk), ROOMCAST_EMBEDDED_WORKER="false") as live:
        room_id, host_token = live.open_room(title="Filling up")

        async def scenario() -> None:
            hank = await joined(live, room_id, host_token, voice=lambda: OpusFile(str(opus_speech), loop=True))
            ear = await joined(live, room_id, live.token(room_id, "ear"))
            await hank.send("take_stage", consent=True)
            warning = await hank.expect("warning", timeout=60)
            assert warning["code"] == "recording_stopped" and "space" in warning["message"].lower()
            await hank.wait_state(lambda s: s["recording"] is False)
            before = ear.packets_heard  # the room stays live: the stage is still heard
            await asyncio.sleep(1.5)
            assert ear.packets_heard - before > 50
            await hank.send("ping")
            await hank.expect("pong")
            await hank.send("end_room")
            await hank.expect("ended")
            for bot in (hank, ear):
                await bot.close()

        asyncio.run(scenario())
        time.sleep(1)
        with live.db() as db:
            key, duration = db.execute("SELECT media_key, duration_s FROM tracks WHERE room_id=?", (room_id,)).fetchone()
        # what was written stays valid: it decodes, as long as the database says
        assert duration > 5 and abs(decoded_seconds(small_disk / key) - duration) <= 0.25


def test_a_step_of_the_system_clock_moves_nothing_on_the_timeline(tmp_path: Path, click: Path) -> None:
    """NTP (or an operator) steps the server's wall clock ten minutes ahead mid-room: tracks
    stay aligned and events stay where they happened."""
    step = tmp_path / "clock-step"
    step.write_text("0")
    with live_server(tmp_path, ROOMCAST_EMBEDDED_WORKER="false", PYTHONPATH=str(Path(__file__).parent / "stepped_clock"),
                     ROOMCAST_TEST_CLOCK_STEP_FILE=str(step)) as live:
        room_id, host_token = live.open_room(title="Stepped")
        voices = {"host-talk": OpusFile(str(click)), "cam": OpusFile(str(click))}
        marker_sent: list[float] = []

        async def meanwhile(hank: Bot, cam: Bot) -> None:
            await asyncio.sleep(1.0)
            step.write_text("600")
            await asyncio.sleep(0.5)
            await cam.send("take_stage", consent=True)
            await asyncio.sleep(1.0)
            marker_sent.append(time.monotonic() - voices["host-talk"]._started)
            await hank.send("marker", title="After the step")
            await asyncio.sleep(5)

        asyncio.run(two_speakers(live, room_id, host_token, voices, meanwhile))
        time.sleep(1)
        segments = segments_of(live, room_id)
        with live.db() as db:
            marker_at = db.execute("SELECT at_s FROM room_events WHERE room_id=? AND kind='marker'",
                                   (room_id,)).fetchone()[0]
        on_the_room_clock = clicks_on_the_room_clock(live, segments)
        started = voices["host-talk"]._started - voices["cam"]._started
        assert abs((on_the_room_clock["host-talk"] - on_the_room_clock["cam"]) - started) <= 0.020
        # the host's first packet and the marker: as far apart on the timeline as they were sent
        hank_start = min(offset for identity, _, offset in segments if identity == "host-talk")
        assert abs((marker_at - hank_start) - marker_sent[0]) <= 0.5, (marker_at, hank_start, marker_sent)
