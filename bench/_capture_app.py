"""`roomcast serve`'s app for bench.capture: the archive as the SFU's sink, switched by signals.

    python -m bench._capture_app PORT

SIGUSR1 switches archiving on, SIGUSR2 off (receiving alone). One server process measures
both, window after window, so the comparison is not drowned in the noise between processes.
Each speaker's segment carries on across the windows switched off, as if they had not been
there: otherwise every window would close and open a segment per speaker (a second of gap
does that), a cost that a real room pays every five minutes, not every few seconds.
"""

from __future__ import annotations

import signal
import sys

import uvicorn
from aiortc.rtp import RtpPacket

from capture.archive import RoomArchive
from capture.stint import Stint
from live.registry import live_rooms
from roomcast.app import create_app
from roomcast.db import migrate


class SwitchedArchive:
    """The archive while ``on``; while off, packets are received and dropped here."""

    def __init__(self, archive: RoomArchive) -> None:
        self.archive, self.on = archive, True
        self.resuming: set[tuple[int, str]] = set()

    def switch(self, on: bool) -> None:
        if on and not self.on:
            self.resuming = set(self.archive.stints)
        self.on = on

    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        if not self.on:
            return
        if (room_id, identity) in self.resuming:
            self.resuming.discard((room_id, identity))
            self._close_the_gap(self.archive.stints[(room_id, identity)], packet.timestamp)
        self.archive.write(room_id, identity, packet, at_s)

    def _close_the_gap(self, stint: Stint, timestamp: int) -> None:
        """Shift the open segment's RTP origin so this packet follows its last one directly."""
        self.archive.drain()
        if stint.segment is not None and stint.ssrc is not None:
            extended = stint.extend(timestamp)
            stint.segment.first_timestamp = extended - stint.segment.writer.samples
            stint.last_timestamp = extended

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        if self.on:
            self.archive.sender_report(room_id, identity, ssrc, ntp_s, rtp_timestamp)

    def stop(self, room_id: int, identity: str) -> None:
        self.archive.stop(room_id, identity)

    def room_ended(self, room_id: int) -> None:
        self.archive.room_ended(room_id)

    def problem(self, room_id: int) -> str | None:
        return self.archive.problem(room_id)


if __name__ == "__main__":
    migrate()
    app = create_app()
    switch = SwitchedArchive(RoomArchive())
    live_rooms.sink = switch
    signal.signal(signal.SIGUSR1, lambda *_: switch.switch(True))
    signal.signal(signal.SIGUSR2, lambda *_: switch.switch(False))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
