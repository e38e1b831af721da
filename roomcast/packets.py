"""The one interface between the SFU and what consumes its audio: every packet a speaker publishes.

``live`` calls a ``PacketSink`` for each RTP packet it forwards from the stage (muted and
off-stage audio never reaches it), and for each change on the room's timeline. ``capture``
implements it (the archive), and so does the live mix (``live.stream``); the app factory
wires them through a ``PacketTee``, so the SFU does not know who listens, and capture and
live do not import each other.
"""

from __future__ import annotations

from typing import Protocol

from aiortc.rtp import RtpPacket

from roomcast.events import Event

RoomEvent = Event  # the old name, kept while capture/ and live/ move to roomcast.events.Event


class PacketSink(Protocol):
    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        """One forwarded packet (untouched Opus payload, the speaker's RTP timestamp and SSRC),
        arrived ``at_s`` seconds into the room, on its clock (``roomcast.clock``)."""

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        """An RTCP sender report: on the speaker's own clock, ``ntp_s`` was the time of ``rtp_timestamp``."""

    def stop(self, room_id: int, identity: str) -> None:
        """The speaker's track ended for now (left the stage, muted, disconnected)."""

    def room_events(self, room_id: int, at_s: float, events: list[Event]) -> None:
        """What just happened in the room (a join, a marker, off the record), ``at_s`` into it."""

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

    def room_events(self, room_id: int, at_s: float, events: list[Event]) -> None:
        pass

    def room_ended(self, room_id: int) -> None:
        pass

    def problem(self, room_id: int) -> str | None:
        return "this server does not record"


class PacketTee:
    """Every call to each sink in turn. ``problem`` is the recording's: the first sink's."""

    def __init__(self, recording: PacketSink, *others: PacketSink) -> None:
        self.recording, self.sinks = recording, (recording, *others)

    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        for sink in self.sinks:
            sink.write(room_id, identity, packet, at_s)

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        for sink in self.sinks:
            sink.sender_report(room_id, identity, ssrc, ntp_s, rtp_timestamp)

    def stop(self, room_id: int, identity: str) -> None:
        for sink in self.sinks:
            sink.stop(room_id, identity)

    def room_events(self, room_id: int, at_s: float, events: list[Event]) -> None:
        for sink in self.sinks:
            sink.room_events(room_id, at_s, events)

    def room_ended(self, room_id: int) -> None:
        for sink in self.sinks:
            sink.room_ended(room_id)

    def problem(self, room_id: int) -> str | None:
        return self.recording.problem(room_id)
