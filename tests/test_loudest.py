"""live.loudest and live.voice_activity: who fills a listener's slots, and what a packet's level is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import pytest
from aiortc.rtp import RtpPacket

from live.loudest import EVICT_QUIET_S, Choice, Forwarding
from live.voice_activity import AUDIBLE_HOLD_S, Voice, VoiceActivity, packet_level


def voices(**last_loud: float) -> dict[str, Voice]:
    return {name: Voice(last_loud=at) for name, at in last_loud.items()}


def test_a_free_slot_is_taken_at_once_and_the_longest_quiet_gives_way() -> None:
    choice = Choice(3)
    assert choice.fill(["ann", "bob"]) and choice.held == ["ann", "bob", None]
    now = 100.0
    assert choice.consider("cat", voices(ann=now - 5, bob=now - 2, cat=now), now)
    assert choice.held == ["ann", "bob", "cat"]
    assert choice.consider("dan", voices(ann=now - 5, bob=now - 2, cat=now - 3, dan=now), now)
    assert choice.held == ["dan", "bob", "cat"]  # ann had been quiet the longest


def test_a_cough_does_not_take_the_slot_of_someone_in_mid_sentence() -> None:
    choice = Choice(2)
    choice.fill(["ann", "bob"])
    now = 50.0
    talking = voices(ann=now - 0.1, bob=now - (EVICT_QUIET_S - 0.2), cat=now)
    assert not choice.consider("cat", talking, now)
    assert choice.held == ["ann", "bob"]
    assert choice.consider("cat", voices(ann=now - 0.1, bob=now - EVICT_QUIET_S, cat=now), now)
    assert choice.held == ["ann", "cat"]


def test_a_stage_member_never_holds_themselves() -> None:
    choice = Choice(3, excluded="ann")
    choice.fill(["ann", "bob"])
    assert choice.held == ["bob", None, None]
    assert not choice.consider("ann", voices(ann=1.0, bob=0.0), 1.0)


def packet(level: int | None, payload: bytes = b"\xf8\xff\xfe", seq: int = 0) -> RtpPacket:
    rtp = RtpPacket(payload_type=111, sequence_number=seq, timestamp=seq * 960, ssrc=1234, payload=payload)
    if level is not None:
        rtp.extensions.audio_level = (False, level)
    return rtp


class FakeSlot:
    def __init__(self) -> None:
        self.forwarded: list[int] = []
        self.pauses = 0

    def forward(self, rtp: RtpPacket, now: float, ntp: int) -> None:
        self.forwarded.append(rtp.sequence_number)

    def pause(self) -> None:
        self.pauses += 1


def test_only_what_is_heard_is_sent_and_a_newcomer_is_heard_from_their_second_loud_packet() -> None:
    slots = {"lou": [FakeSlot(), FakeSlot()]}
    forwarding = Forwarding(2, lambda: [("lou", False, slots["lou"])])
    forwarding.set_stage(["ann", "bob", "cat"])
    held = forwarding.held_by("lou")
    assert len(held) == 2 and "cat" not in held  # a free slot each for the first two

    now = 10.0
    for seq in range(5):  # quiet packets (a browser's in silence) are not sent at all
        forwarding.forward("ann", packet(90, seq=seq), now + seq * 0.02, 0)
    assert all(slot.forwarded == [] for slot in slots["lou"])

    now = 20.0  # cat starts speaking; ann and bob have never spoken
    forwarding.forward("cat", packet(30, seq=100), now, 0)
    assert "cat" not in forwarding.held_by("lou")  # one loud packet (a click) claims nothing
    forwarding.forward("cat", packet(30, seq=101), now + 0.02, 0)
    cat_slot = slots["lou"][forwarding.held_by("lou").index("cat")]
    assert cat_slot.forwarded == [101]
    quiet_from, pauses = now + 0.04, cat_slot.pauses
    for seq in range(102, 130):  # cat stops: the pause's first half second still flows, then nothing
        forwarding.forward("cat", packet(127, seq=seq), quiet_from + (seq - 102) * 0.02, 0)
    held_on = len(cat_slot.forwarded) - 1  # quiet packets sent after the last loud one
    assert round(AUDIBLE_HOLD_S / 0.02) - 2 <= held_on <= round(AUDIBLE_HOLD_S / 0.02) and cat_slot.pauses == pauses + 1


def test_a_level_is_read_from_the_extension_or_measured(opus_speech: Path, tmp_path: Path) -> None:
    assert packet_level(packet(42), Voice()) == 42
    silence = tmp_path / "silence.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "1",
                    "-c:a", "libopus", "-b:a", "32k", str(silence)], check=True)
    speech_levels = measured(opus_speech)
    assert min(speech_levels) < 30 and max(measured(silence)) == 127
    activity = VoiceActivity()
    with av.open(str(opus_speech)) as container:
        for index, source in enumerate(p for p in container.demux(audio=0) if p.size):
            voice = activity.heard("ann", packet(None, bytes(source), index), index * 0.02)
    assert voice.meter is not None and voice.last_loud > 0  # no extension: decoded and measured


def measured(path: Path) -> list[int]:
    voice = Voice()
    with av.open(str(path)) as container:
        return [packet_level(packet(None, bytes(p)), voice) for p in container.demux(audio=0) if p.size]


@pytest.mark.parametrize("size", [1, 3])
def test_slots_needed_never_exceeds_the_others_on_the_stage(size: int) -> None:
    forwarding = Forwarding(size, lambda: [])
    forwarding.set_stage(["ann", "bob"])
    assert forwarding.slots_needed("ann") == min(size, 1)
    assert forwarding.slots_needed("lou") == min(size, 2)
