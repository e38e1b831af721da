"""Every reach into aiortc's and aioice's internals, in one place, checked when the server starts.

The SFU forwards Opus packets without decoding them, which aiortc's public API does not offer:
its receivers hand packets to a jitter buffer and a decoder, its senders take decoded frames.
So a few private attributes are read or replaced, all of them here and nowhere else. They are
those of the releases pyproject.toml pins (aiortc 1.16, aioice 0.13); ``check`` builds the
objects involved and fails at start-up, naming what is missing, if a release moved any of them,
instead of failing at the first packet of the first room.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aioice.ice
from aiortc import RTCDtlsTransport, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtcpPacket, RtpPacket
from aioice.candidate import Candidate
from aioice.ice import CandidatePair, StunProtocol

OPUS_CLOCK = 48_000
SENDER_COUNTERS = ("_RTCRtpSender__ntp_timestamp", "_RTCRtpSender__rtp_timestamp",
                   "_RTCRtpSender__packet_count", "_RTCRtpSender__octet_count")


# --- negotiation -------------------------------------------------------------------------
def offered_direction(transceiver: RTCRtpTransceiver) -> str | None:
    """The direction the remote offer gave this section, as aiortc stores it (from our side)."""
    return transceiver._offerDirection


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list:
    return transceiver._codecs


def sender_ssrc(sender: RTCRtpSender) -> int:
    return sender._ssrc


# --- receiving: packets taken before the jitter buffer ------------------------------------
def take_rtp(receiver: RTCRtpReceiver, handler: Callable[[RtpPacket, int], None]) -> None:
    """``handler`` gets the receiver's packets instead of its jitter buffer and decoder.

    The receiver's statistics are still fed, so its RTCP receiver reports stay right.
    """
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        statistics = streams.get(packet.ssrc)
        if statistics is None:
            statistics = streams[packet.ssrc] = StreamStatistics(OPUS_CLOCK)
        statistics.add(packet)
        handler(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle_rtp_packet


def follow_rtcp(receiver: RTCRtpReceiver, handler: Callable[[RtcpPacket], None]) -> None:
    """``handler`` sees each RTCP packet the receiver gets, after the receiver has handled it."""
    handle_rtcp_packet: Callable[[RtcpPacket], Awaitable[None]] = receiver._handle_rtcp_packet

    async def handle_and_follow(packet: RtcpPacket) -> None:
        await handle_rtcp_packet(packet)
        handler(packet)

    receiver._handle_rtcp_packet = handle_and_follow


# --- sending: one packet, protected, on the nominated pair --------------------------------
def send_rtp(dtls: RTCDtlsTransport, rtp: bytes) -> bool:
    """Protect and send an RTP packet on the peer's nominated ICE pair; False if not connected.

    aiortc's own ``_send_rtp`` is a chain of four coroutines around the same two calls; for a
    plain UDP pair this is one ``sendto``. A relayed (TURN) pair goes through aioice.
    """
    if dtls._state != DtlsState.CONNECTED:
        return False
    pair = dtls.transport._connection._nominated.get(1)
    if pair is None:
        return False
    data = dtls._tx_srtp.protect(rtp)
    if type(pair.protocol) is StunProtocol:
        pair.protocol.transport.sendto(data, pair.remote_addr)
    else:
        asyncio.ensure_future(pair.protocol.send_data(data, pair.remote_addr))
    return True


def count_sent(sender: RTCRtpSender, ntp: int, timestamp: int, payload_bytes: int) -> None:
    """Keep the sender's RTCP sender reports true to packets sent around it."""
    sender._RTCRtpSender__ntp_timestamp = ntp
    sender._RTCRtpSender__rtp_timestamp = timestamp
    sender._RTCRtpSender__packet_count += 1
    sender._RTCRtpSender__octet_count += payload_bytes


def wrap_encoded_frames(sender: RTCRtpSender, wrap: Callable[[Any], Any]) -> None:
    """Each frame the sender is about to packetize passes through ``wrap`` (bots: audio levels)."""
    next_frame = sender._next_encoded_frame

    async def wrapped(codec: Any) -> Any:
        return wrap(await next_frame(codec))

    sender._next_encoded_frame = wrapped


# --- ICE ----------------------------------------------------------------------------------
def add_host_addresses(more: Callable[[list[str], bool], list[str]]) -> None:
    """aioice's host addresses, as ``more(addresses, use_ipv4)`` makes them (replaces its function)."""
    original = aioice.ice.get_host_addresses

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return more(original(use_ipv4, use_ipv6), use_ipv4)

    aioice.ice.get_host_addresses = host_addresses


# --- the start-up check -------------------------------------------------------------------
def check() -> None:
    """Every attribute above, on real objects; a RuntimeError naming what is missing otherwise."""
    import aiortc

    transceiver = RTCPeerConnection().addTransceiver("audio")
    dtls = transceiver.sender.transport
    pair = CandidatePair(None, Candidate("1", 1, "udp", 1, "127.0.0.1", 9, "host"))  # type: ignore[arg-type]
    wanted: list[tuple[object, str]] = [
        (transceiver, "_offerDirection"), (transceiver, "_codecs"), (transceiver.sender, "_ssrc"),
        (transceiver.sender, "_next_encoded_frame"), *((transceiver.sender, name) for name in SENDER_COUNTERS),
        (transceiver.receiver, "_RTCRtpReceiver__remote_streams"), (transceiver.receiver, "_handle_rtp_packet"),
        (transceiver.receiver, "_handle_rtcp_packet"), (dtls, "_state"), (dtls, "_tx_srtp"),
        (dtls.transport, "_connection"), (getattr(dtls.transport, "_connection", None), "_nominated"),
        (pair, "protocol"), (pair, "remote_addr"), (DtlsState, "CONNECTED"), (aioice.ice, "get_host_addresses"),
    ]
    missing = [f"{type(owner).__name__}.{name}" for owner, name in wanted if not hasattr(owner, name)]
    if missing:
        raise RuntimeError(f"aiortc {aiortc.__version__} / aioice {aioice.__version__} lack what the SFU relies on "
                           f"({', '.join(missing)}): install the releases pyproject.toml pins (aiortc 1.16, aioice 0.13)")
