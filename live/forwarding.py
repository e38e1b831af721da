"""Selective forwarding: a speaker's Opus packets go to every subscriber as they are.

aiortc's own path (a MediaRelay into one sender per peer) decodes every packet and encodes it
again for each listener, which costs tens of milliseconds of CPU per listener per second. Here
the packet is taken from the speaker's receiver before aiortc's jitter buffer, and for each
subscriber only the 12-byte RTP header is rewritten (SSRC, payload type, sequence number,
timestamp) before SRTP protection and one ``sendto``. What this takes of aiortc's and aioice's
internals is in ``live.aiortc_internals``; the rest is plain Python.

Each subscriber has a few receiving transceivers, "slots", filled with whoever is speaking
(``live.loudest``). A slot keeps its outgoing stream continuous when its speaker changes, or
pauses while they are quiet, so a browser sees one long stream with the right gaps.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Callable

from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpTransceiver
from aiortc.rtp import RtcpPacket, RtcpSrPacket, RtpPacket

from live.aiortc_internals import (OPUS_CLOCK, count_sent, follow_rtcp, negotiated_codecs, send_rtp, sender_ssrc,
                                   take_rtp)

HEADER = struct.Struct("!BBHII")
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)
SenderReport = Callable[[int, float, int], None]  # SSRC, the sender's NTP time (s), RTP timestamp


class OutgoingSlot:
    """One receiving transceiver of one subscriber, fed by whichever speaker owns its index."""

    def __init__(self, transceiver: RTCRtpTransceiver, dtls: RTCDtlsTransport) -> None:
        self.sender = transceiver.sender
        self.ssrc = sender_ssrc(transceiver.sender)
        self.payload_type = negotiated_codecs(transceiver)[0].payloadType
        self.dtls = dtls
        self.packets = 0
        self._source: int | None = None  # the incoming SSRC this slot now carries
        self._seq_offset = random.randrange(1 << 16)
        self._ts_offset = random.randrange(1 << 32)
        self._last_seq: int | None = None
        self._last_ts: int | None = None
        self._last_time = 0.0

    def forward(self, packet: RtpPacket, now: float, ntp: int) -> None:
        marker = packet.marker
        if packet.ssrc != self._source:
            self._follow(packet, now)
            marker = 1  # the first packet of a talkspurt (RFC 3551): the receiver may adapt its delay
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        timestamp = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        header = HEADER.pack(0x80, (marker << 7) | self.payload_type, seq, timestamp, self.ssrc)
        if send_rtp(self.dtls, header + packet.payload):
            self.packets += 1
            self._last_seq, self._last_ts, self._last_time = seq, timestamp, now
            count_sent(self.sender, ntp, timestamp, len(packet.payload))

    def pause(self) -> None:
        """Nothing is sent for a while (a quiet speaker); the next packet starts a talkspurt."""
        self._source = None

    def _follow(self, packet: RtpPacket, now: float) -> None:
        """A new source: continue our sequence and timestamps, the pause kept as wall time."""
        self._source = packet.ssrc
        if self._last_seq is None:
            return
        elapsed = int(max(now - self._last_time, 0.02) * OPUS_CLOCK)
        self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
        self._ts_offset = (self._last_ts + elapsed - packet.timestamp) & 0xFFFFFFFF


def tap_receiver(receiver: RTCRtpReceiver, on_packet: Callable[[RtpPacket, int], None]) -> None:
    """Take a speaker's packets before aiortc's jitter buffer and decoder: nothing is depayloaded
    or decoded, and the decoder thread stays idle."""
    take_rtp(receiver, on_packet)


def tap_sender_reports(receiver: RTCRtpReceiver, on_report: SenderReport) -> None:
    """Hand on a speaker's RTCP sender reports: their sample clock against their real time."""
    def report(packet: RtcpPacket) -> None:
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            on_report(packet.ssrc, info.ntp_timestamp / (1 << 32) - NTP_EPOCH_OFFSET, info.rtp_timestamp)

    follow_rtcp(receiver, report)


def ntp_now() -> int:
    seconds = time.time() + NTP_EPOCH_OFFSET
    return (int(seconds) << 32) | int((seconds % 1) * (1 << 32))
