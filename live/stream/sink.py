"""The live streams' side of the kernel's ``PacketSink``: the SFU's packets, and the room's events.

A room's stream starts with the room's first event on this node (its first person joining)
and ends with the room. Nothing here may raise into the SFU: forwarding goes on whatever the
stream does.
"""

from __future__ import annotations

import asyncio
import logging

from aiortc.rtp import RtpPacket

from live.stream.room_stream import RoomStream
from roomcast.events import EventKind, Marker
from roomcast.packets import RoomEvent
from roomcast.storage import MediaStore, get_media_store

log = logging.getLogger(__name__)


class LiveStreams:
    def __init__(self, store: MediaStore | None = None) -> None:
        self.store = store  # None: the configured media store, read when a stream starts
        self.rooms: dict[int, RoomStream] = {}

    def get(self, room_id: int) -> RoomStream | None:
        stream = self.rooms.get(room_id)
        return None if stream is None or stream.ended else stream

    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        stream = self.get(room_id)
        if stream is not None:
            stream.packet(identity, packet.ssrc, packet.timestamp, packet.payload)

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        pass  # the jitter buffer follows arrival times; a drifting clock is anchored again

    def stop(self, room_id: int, identity: str) -> None:
        stream = self.rooms.get(room_id)
        if stream is not None:
            stream.pause(identity)

    def room_events(self, room_id: int, at_s: float, events: list[RoomEvent]) -> None:
        stream = self.rooms.get(room_id)
        if stream is None:
            try:
                stream = self.rooms[room_id] = RoomStream(self.store or get_media_store(), room_id)
            except Exception:
                log.exception("room %s: the live stream could not start", room_id)
                return
        for kind, _, data in events:
            if kind == EventKind.marker:
                stream.set_topic(Marker.from_data(data).title)
            elif kind in (EventKind.off_record_start, EventKind.off_record_end):
                stream.set_off_record(kind == EventKind.off_record_start)

    def room_ended(self, room_id: int) -> None:
        stream = self.rooms.pop(room_id, None)
        if stream is not None:
            asyncio.ensure_future(stream.end())

    def problem(self, room_id: int) -> str | None:
        return None  # the stream's health is not the recording's

    async def close_all(self) -> None:
        for room_id in list(self.rooms):
            stream = self.rooms.pop(room_id)
            await stream.end()


live_streams = LiveStreams()  # this process's streams; the app factory tees the SFU's packets to it
