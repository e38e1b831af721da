"""Who on the stage is making sound, packet by packet, from the level each packet carries.

Browsers (and aiortc) put the RFC 6464 audio level in every Opus packet's header extension:
the packet's loudness in -dBov, 0 the loudest, 127 silence. It costs nothing to read, so it
drives the speaking rings, the choice of whom each listener hears (``live.loudest``) and the
gate that leaves a quiet speaker's packets unsent. A client that does not send the extension
has its packets decoded here instead (about 0.1 ms each, so 5 ms of CPU per second per such
speaker, measured with PyAV's Opus decoder on this machine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import av
import numpy as np
from aiortc.rtp import RtpPacket

SPEAKING_LEVEL = 50  # -dBov: louder than -50 dBov is someone speaking (rings, and a claim on a slot)
AUDIBLE_LEVEL = 65  # -dBov: louder than -65 dBov is forwarded (soft onsets and word endings)
SPEAKING_HOLD_S = 0.6  # a ring stays lit this long after the last loud packet
AUDIBLE_HOLD_S = 0.5  # packets keep flowing this long after the last audible one: pauses between words
ONSET_PACKETS = 2  # loud packets in a row that make a claim on a slot: a click does not


@dataclass
class Voice:
    """One stage member's recent sound."""

    last_loud: float = -math.inf  # the last packet louder than SPEAKING_LEVEL
    last_audible: float = -math.inf  # the last packet louder than AUDIBLE_LEVEL
    loud_run: int = 0  # loud packets in a row, up to now
    meter: OpusLevel | None = None  # only for a client whose packets carry no level

    def speaking(self, now: float) -> bool:
        return now - self.last_loud < SPEAKING_HOLD_S

    def audible(self, now: float) -> bool:
        return now - self.last_audible < AUDIBLE_HOLD_S

    def claims(self) -> bool:
        """Loud for long enough to take a listener's slot from someone quiet."""
        return self.loud_run >= ONSET_PACKETS


class VoiceActivity:
    """Every stage member's ``Voice``, fed with their packets as they arrive."""

    def __init__(self) -> None:
        self.voices: dict[str, Voice] = {}

    def heard(self, identity: str, packet: RtpPacket, now: float) -> Voice:
        voice = self.voices.get(identity)
        if voice is None:
            voice = self.voices[identity] = Voice()
        level = packet_level(packet, voice)
        if level < AUDIBLE_LEVEL:
            voice.last_audible = now
        if level < SPEAKING_LEVEL:
            voice.last_loud = now
            voice.loud_run += 1
        else:
            voice.loud_run = 0
        return voice

    def forget(self, identity: str) -> None:
        self.voices.pop(identity, None)

    def speaking(self, now: float) -> set[str]:
        return {identity for identity, voice in self.voices.items() if voice.speaking(now)}


def packet_level(packet: RtpPacket, voice: Voice) -> int:
    """The packet's level in -dBov: from its header extension, or measured where it has none."""
    extension = packet.extensions.audio_level
    if extension is not None:
        return extension[1]
    if voice.meter is None:
        voice.meter = OpusLevel()
    return voice.meter.level(packet.payload)


class OpusLevel:
    """Decodes one speaker's packets to measure them, as RFC 6465's appendix computes the level."""

    def __init__(self) -> None:
        self._decoder = av.CodecContext.create("opus", "r")
        self._decoder.sample_rate = 48_000
        self._decoder.layout = "mono"

    def level(self, payload: bytes) -> int:
        try:
            frames = self._decoder.decode(av.Packet(payload))
        except av.error.FFmpegError:  # a damaged packet: silence, it takes nobody's slot
            return 127
        if not frames:
            return 127
        samples = frames[0].to_ndarray()
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float32))))
        return 127 if rms <= 0 else min(127, max(0, round(-20 * math.log10(rms))))
