"""One participant's WebRTC connection to the SFU: negotiation and its transceivers.

The client always offers. Its first audio section is its microphone: ``sendonly`` while it is
on the stage, ``inactive`` otherwise. Every ``recvonly`` section after it is a slot that the
SFU fills with one speaker's packets. Only Opus is accepted, so packets forward unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from live.forwarding import OutgoingSlot, SenderReport, tap_receiver, tap_sender_reports
from live.ice import rtc_configuration

SENDING = ("sendonly", "sendrecv")
REVERSE = {"sendonly": "recvonly", "recvonly": "sendonly", "sendrecv": "sendrecv", "inactive": "inactive"}
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


class Peer:
    def __init__(self, on_packet: Callable[[RtpPacket, int], None], on_report: SenderReport,
                 on_state: Callable[[str], None]) -> None:
        self.pc = RTCPeerConnection(rtc_configuration())
        self.slots: list[OutgoingSlot] = []
        self.publishing = False
        self._on_packet, self._on_report = on_packet, on_report
        self._tapped: set[int] = set()
        self.pc.on("connectionstatechange", lambda: on_state(self.pc.connectionState))

    async def answer(self, sdp: str, may_publish: bool) -> tuple[str, bool]:
        """Answer an offer; returns the answer and whether a sending track was refused."""
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as error:  # aiortc raises ValueError, KeyError, IndexError… on bad SDP
            raise NegotiationError(f"the offer cannot be used: {error or type(error).__name__}") from error
        refused = self._arrange(may_publish)
        try:
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as error:
            raise NegotiationError(f"no answer to this offer: {error or type(error).__name__}") from error
        self._open_slots()
        return self.pc.localDescription.sdp, refused

    def _arrange(self, may_publish: bool) -> bool:
        refused, self.publishing = False, False
        transceivers = self.pc.getTransceivers()
        if not transceivers or any(t.kind != "audio" for t in transceivers):
            raise NegotiationError("the offer must hold audio sections only")
        for transceiver in transceivers:
            transceiver.setCodecPreferences(OPUS)
            offered = REVERSE.get(transceiver._offerDirection, "inactive")  # aiortc keeps it from our side
            if offered in SENDING:
                self.publishing = may_publish
                refused = refused or not may_publish
                transceiver.direction = "recvonly" if may_publish else "inactive"
                if may_publish and id(transceiver.receiver) not in self._tapped:
                    tap_receiver(transceiver.receiver, self._on_packet)
                    tap_sender_reports(transceiver.receiver, self._on_report)
                    self._tapped.add(id(transceiver.receiver))
            elif offered == "recvonly":
                if transceiver.sender.track is None:
                    transceiver.sender.replaceTrack(SlotTrack())
                transceiver.direction = "sendonly"
            else:
                transceiver.direction = "inactive"
        return refused

    def _open_slots(self) -> None:
        receiving = [t for t in self.pc.getTransceivers() if t.direction == "sendonly" and t._codecs]
        for transceiver in receiving[len(self.slots):]:
            self.slots.append(OutgoingSlot(transceiver, transceiver.sender.transport))

    async def close(self) -> None:
        await self.pc.close()
