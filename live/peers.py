"""One participant's WebRTC connection to the SFU: negotiation and its transceivers.

The client always offers. Its first audio section is its microphone: ``sendonly`` while it is
on the stage, ``inactive`` otherwise. Every ``recvonly`` section after it is a slot that the
SFU fills with one speaker's packets. Only Opus is accepted, so packets forward unchanged.
One microphone per person: a further sending section is answered ``inactive`` (three streams
offered at once were once all accepted and interleaved, and the archive cut a new segment at
every packet: 1,200 segments in 8 s, and no episode).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from live.aiortc_internals import negotiated_codecs, offered_direction
from live.forwarding import OutgoingSlot, SenderReport, tap_receiver, tap_sender_reports
from live.ice import rtc_configuration

SENDING = ("sendonly", "sendrecv")
REVERSE = {"sendonly": "recvonly", "recvonly": "sendonly", "sendrecv": "sendrecv", "inactive": "inactive"}
STREAM_SWITCH_S = 0.5  # a microphone's stream that sent nothing for this long may be replaced by another
OPUS = [codec for codec in RTCRtpSender.getCapabilities("audio").codecs if codec.mimeType.lower() == "audio/opus"]


class NegotiationError(Exception):
    """The offer cannot be used (garbage SDP, no audio, a codec other than Opus)."""


class SlotTrack(MediaStreamTrack):
    """Stands in a slot's sender so aiortc negotiates it; its loop waits here, idle, forever.

    (A sender without any track polls every 20 ms; forwarded packets bypass the track.)
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._stopped = asyncio.get_running_loop().create_future()

    async def recv(self):  # noqa: ANN201 - never returns a frame
        await self._stopped
        raise MediaStreamError

    def stop(self) -> None:
        if not self._stopped.done():
            self._stopped.set_result(None)
        super().stop()


class OneStream:
    """A microphone's packets, one RTP stream (SSRC) at a time.

    A section carries one stream; another SSRC appears when the client renegotiates or
    reconnects, and then the old one has stopped. Packets of a second stream while the first
    still flows (a client sending several at once, on purpose or not) are dropped, so
    forwarding, the archive and the live mix never see two voices interleaved under one name.
    """

    def __init__(self, on_packet: Callable[[RtpPacket, int], None]) -> None:
        self.on_packet = on_packet
        self.ssrc: int | None = None
        self.last_at = 0.0

    def __call__(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        now = time.monotonic()
        if packet.ssrc != self.ssrc:
            if self.ssrc is not None and now - self.last_at < STREAM_SWITCH_S:
                return
            self.ssrc = packet.ssrc
        self.last_at = now
        self.on_packet(packet, arrival_time_ms)


@dataclass(frozen=True)
class Answer:
    sdp: str
    not_on_stage: bool  # a sending section was refused: its sender is not on the stage
    extra_audio: int  # sending sections after the microphone, made inactive


class Peer:
    def __init__(self, on_packet: Callable[[RtpPacket, int], None], on_report: SenderReport,
                 on_state: Callable[[str], None]) -> None:
        self.pc = RTCPeerConnection(rtc_configuration())
        self.slots: list[OutgoingSlot] = []
        self.publishing = False
        self._on_packet, self._on_report = OneStream(on_packet), on_report
        self._tapped: set[int] = set()
        self.pc.on("connectionstatechange", lambda: on_state(self.pc.connectionState))

    async def answer(self, sdp: str, may_publish: bool) -> Answer:
        """Answer an offer: one microphone at most, Opus only."""
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as error:  # aiortc raises ValueError, KeyError, IndexError… on bad SDP
            raise NegotiationError(f"the offer cannot be used: {error or type(error).__name__}") from error
        not_on_stage, extra_audio = self._arrange(may_publish)
        try:
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as error:
            raise NegotiationError(f"no answer to this offer: {error or type(error).__name__}") from error
        self._open_slots()
        return Answer(self.pc.localDescription.sdp, not_on_stage, extra_audio)

    def _arrange(self, may_publish: bool) -> tuple[bool, int]:
        """Each section's direction: the first sending one is the microphone, the rest inactive."""
        transceivers = self.pc.getTransceivers()
        if not transceivers or any(t.kind != "audio" for t in transceivers):
            raise NegotiationError("the offer must hold audio sections only")
        microphone, extra = None, 0
        for transceiver in transceivers:
            transceiver.setCodecPreferences(OPUS)
            offered = REVERSE.get(offered_direction(transceiver), "inactive")  # aiortc keeps it from our side
            if offered in SENDING and microphone is None:
                microphone = transceiver
                transceiver.direction = "recvonly" if may_publish else "inactive"
                if may_publish and id(transceiver.receiver) not in self._tapped:
                    tap_receiver(transceiver.receiver, self._on_packet)
                    tap_sender_reports(transceiver.receiver, self._on_report)
                    self._tapped.add(id(transceiver.receiver))
            elif offered in SENDING:
                extra += 1  # one person, one voice: a second microphone would be interleaved with the first
                transceiver.direction = "inactive"
            elif offered == "recvonly":
                if transceiver.sender.track is None:
                    transceiver.sender.replaceTrack(SlotTrack())
                transceiver.direction = "sendonly"
            else:
                transceiver.direction = "inactive"
        self.publishing = microphone is not None and may_publish
        return microphone is not None and not may_publish, extra

    def _open_slots(self) -> None:
        receiving = [t for t in self.pc.getTransceivers() if t.direction == "sendonly" and negotiated_codecs(t)]
        for transceiver in receiving[len(self.slots):]:
            self.slots.append(OutgoingSlot(transceiver, transceiver.sender.transport))

    async def close(self) -> None:
        await self.pc.close()
