"""The one interface between the SFU and capture: every packet a speaker publishes.

``live`` calls a ``PacketSink`` for each RTP packet it forwards from the stage (muted and
off-stage audio never reaches it); ``capture`` implements it. The app factory wires them,
so neither package imports the other.
"""

from __future__ import annotations

from typing import Protocol

from aiortc.rtp import RtpPacket


class PacketSink(Protocol):
    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        """One forwarded packet (untouched Opus payload, the speaker's RTP timestamp and SSRC),
        arrived ``at_s`` seconds into the room, on its clock (``roomcast.clock``)."""

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        """An RTCP sender report: on the speaker's own clock, ``ntp_s`` was the time of ``rtp_timestamp``."""

    def stop(self, room_id: int, identity: str) -> None:
        """The speaker's track ended for now (left the stage, muted, disconnected)."""

    def room_ended(self, room_id: int) -> None:
        """The room's record says ended: close everything, hand the room on (once)."""

    def problem(self, room_id: int) -> str | None:
        """Why recording stopped in this room (a full disk, say), or None while it records."""


class NoCapture:
    """Used where nothing is archived (tests of forwarding alone, the SFU benchmark)."""

    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        pass

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        pass

    def stop(self, room_id: int, identity: str) -> None:
        pass

    def room_ended(self, room_id: int) -> None:
        pass

    def problem(self, room_id: int) -> str | None:
        return "this server does not record"
