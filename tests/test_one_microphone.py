"""One person, one microphone (issue 15, item 6).

A speaker whose client offered three audio streams had all three accepted and interleaved in
one slot: the archive cut a new segment at every packet (1,200 in 8 s) and the room produced
no episode. Now the first sending section is the microphone and the others are answered
inactive with an ``extra_audio`` error; the archive, whatever reaches it, starts a speaker's
segments at least a second apart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from contrib.bot import Bot, OpusFile, person_in
from live.ice import install_loopback_candidates
from live.peers import STREAM_SWITCH_S, OneStream
from tests.conftest import LiveServer, ended_and_segmented, joined, live_server, rtp_packet, spoken_opus, wait_until

pytestmark = pytest.mark.timeout(400)
SAID = ("The river rises every spring and floods the lower fields.",
        "Zebras climb the volcano at midnight.", "Pineapples orbit the telescope.")


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("voices")
    return [spoken_opus(directory, f"voice{n}", text) for n, text in enumerate(SAID)]


def directions(sdp: str) -> list[str]:
    """Each audio section's direction in an SDP, in order."""
    sections = sdp.split("m=audio")[1:]
    return [next(line[2:] for line in section.splitlines()
                 if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")) for section in sections]


def test_a_speaker_offering_three_streams_is_heard_archived_and_published_through_one(
        tmp_path: Path, voices: list[Path]) -> None:
    with live_server(tmp_path) as live:
        room_id, host_token = live.open_room(title="Three microphones")
        tracks = [OpusFile(str(voice)) for voice in voices]
        answer, refusal, heard = asyncio.run(_three_microphones(live, room_id, host_token, tracks))

        assert directions(answer) == ["recvonly", "inactive", "inactive"]
        assert "one microphone per person" in refusal["message"] and "2 are answered inactive" in refusal["message"]
        first = {bytes(packet) for packet in tracks[0].packets}
        assert len(heard) >= 0.9 * len(first)  # the listener hears the first stream...
        assert set(heard) <= first  # ...and nothing of the others

        episode = _published(live, room_id)
        with live.db() as db:
            keys = [row[0] for row in db.execute(
                "SELECT t.media_key FROM tracks t JOIN participants p ON p.id = t.participant_id "
                "WHERE t.room_id=? AND p.identity='host-talk'", (room_id,))]
            words = " ".join(row[0] for row in db.execute(
                "SELECT text FROM transcript_segments WHERE episode_id=?", (episode,))).lower()
        assert len(keys) == 1  # one segment, not one a packet
        with av.open(str(live.roomcast.data_dir / "media" / keys[0])) as container:
            archived = [bytes(packet) for packet in container.demux(audio=0) if packet.size]
        assert set(archived) <= first and len(archived) >= 0.9 * len(first)
        assert "river" in words and "zebra" not in words and "telescope" not in words


async def _three_microphones(live: LiveServer, room_id: int, host_token: str,
                             tracks: list[OpusFile]) -> tuple[str, dict, list[bytes]]:
    listener = await joined(live, room_id, live.token(room_id, "lena"), keep_payloads=True)
    host = Bot(live.ws(room_id), host_token)
    await host.join()
    await host.send("take_stage", consent=True)
    await host.wait_state(lambda state: person_in(state, host.identity).get("on_stage"))
    install_loopback_candidates()
    host.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for track in tracks:  # what a client with three microphones (or a script) offers
        host.pc.addTransceiver(track, direction="sendonly")
    answer = await host.exchange()
    refusal = await host.expect("error", lambda message: message["code"] == "extra_audio")
    await host.connected()
    await asyncio.sleep(max(len(track._levels) for track in tracks) * 0.02 + 1.5)
    await host.send("end_room")
    await host.expect("ended")
    heard = [payload for payloads in listener.payloads.values() for payload in payloads]
    for bot in (host, listener):
        await bot.close()
    return answer, refusal, heard


def _published(live: LiveServer, room_id: int) -> int:
    def episode() -> tuple | None:
        with live.db() as db:
            return db.execute("SELECT id, status FROM episodes WHERE room_id=?", (room_id,)).fetchone()

    row = wait_until(lambda: (found := episode()) and found[1] in ("published", "failed") and found, 240,
                     message="the room's episode")
    assert row[1] == "published"
    return row[0]


def test_a_second_stream_is_dropped_while_the_first_flows_and_follows_once_it_stops() -> None:
    taken: list[int] = []
    stream = OneStream(lambda packet, arrival: taken.append(packet.ssrc))
    for n in range(30):  # two streams interleaved, packet by packet
        stream(rtp_packet(1 + n % 2, n, n * 960), 0)
    assert taken == [1] * 15
    time.sleep(STREAM_SWITCH_S + 0.05)  # the first stopped (renegotiated, reconnected): the new one is heard
    stream(rtp_packet(2, 99, 0), 0)
    assert taken[-1] == 2


def test_packets_that_would_cut_a_segment_each_are_dropped_and_the_room_is_kept(archive) -> None:  # type: ignore[no-untyped-def]
    sink, room_id = archive
    for n in range(400):  # 8 s: three interleaved streams, then timestamps leaping a second a packet
        at_s = n * 0.02
        if n < 200:
            sink.write(room_id, "ann", rtp_packet(1 + n % 3, n // 3 if n % 3 else n, n * 960), at_s)
        else:
            sink.write(room_id, "ann", rtp_packet(1, n, n * 960 + (n - 200) * 48_000), at_s)
    spans = ended_and_segmented(archive)
    assert 1 <= len(spans) <= 8  # a segment a second at most, not 400
    assert spans[0][0] == 0.0 and spans[0][1] >= 0.9  # the first stream kept its segment
