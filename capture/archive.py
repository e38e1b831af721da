"""Every speaker's track archived as it arrives: the SFU's packet sink.

Each stint of a speaker is a run of Ogg/Opus segments under ``rooms/{room}/archive/``, cut
where capture.stint says. A segment starts where its first packet arrived on the room's clock;
inside it, packets sit at their RTP timestamps, so lost packets stay gaps of the right length
(concealed frames) instead of collapsing. Each segment is a ``Track`` row from the moment it
opens, so the room's end, or a crash, finds all of them. Packets are noted as they come and
muxed together every 200 ms: PyAV called for each packet in turn, its code cold every time,
cost several times more than the same work done in one pass.

When the room ends the segments are closed and the room goes to the pipeline, once.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from aiortc.rtp import RtpPacket
from sqlalchemy import select

from capture.ogg_opus import RATE, OggOpusWriter
from capture.stint import DRIFT_LIMIT_S, MAX_FILLED_GAP, MIN_SEGMENT_S, SEGMENT_S, Segment, Stint
from roomcast.bookkeeping import PipelineRun
from roomcast.db import session_scope
from roomcast.models import Participant, Room, RoomStatus, Track
from roomcast.packets import RoomEvent
from roomcast.settings import get_settings
from roomcast.storage import get_media_store
from roomcast.text import slugify

log = logging.getLogger(__name__)
BATCH_S = 0.2  # packets wait this long to be muxed together; with 200 ms pages, on disk within 0.4 s
# One thread, so the database work is done in the order it was asked for: a segment's row is
# written before anything that updates it, and the event loop never waits for the database.
records = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture-records")


class RoomArchive:
    """The PacketSink that capture gives the SFU (see ``roomcast/packets.py``)."""

    def __init__(self) -> None:
        self.store = get_media_store()
        self.stints: dict[tuple[int, str], Stint] = {}
        self.problems: dict[int, str] = {}
        self.inbox: list[tuple[int, str, RtpPacket, float]] = []
        self._drain_scheduled = False

    def problem(self, room_id: int) -> str | None:
        return self.problems.get(room_id)

    def write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        """Noted now, written within 200 ms: muxing a batch costs a fraction of muxing packet by packet."""
        self.inbox.append((room_id, identity, packet, at_s))
        if not self._drain_scheduled:
            self._drain_scheduled = True
            try:
                asyncio.get_running_loop().call_later(BATCH_S, self.drain)
            except RuntimeError:  # no event loop (a script, a test): write at once
                self.drain()

    def drain(self) -> None:
        self._drain_scheduled = False
        batch, self.inbox = self.inbox, []
        for room_id, identity, packet, at_s in batch:
            if room_id in self.problems:
                continue
            try:
                self._write(room_id, identity, packet, at_s)
            except OSError as error:  # a full disk, most likely: the room goes on, unrecorded
                self._stop_recording(room_id, error)

    def _write(self, room_id: int, identity: str, packet: RtpPacket, at_s: float) -> None:
        stint = self.stints.get((room_id, identity))
        if stint is None:
            stint = self.stints[(room_id, identity)] = Stint(identity)
        churning = stint.opened_at_s is not None and at_s - stint.opened_at_s < MIN_SEGMENT_S
        if packet.ssrc != stint.ssrc:  # a new stream (renegotiated, reconnected): its own segment
            if churning and stint.segment is not None:
                return  # a second stream interleaved with the first: the first keeps the segment
            self._close(stint)
            stint.new_stream(packet.ssrc)
        timestamp = stint.extend(packet.timestamp)
        stint.heard(packet, timestamp)
        segment = stint.segment
        if segment is not None:
            pts = timestamp - segment.first_timestamp
            if pts < segment.writer.samples:
                return  # late or duplicate: the segment has moved on
            gap = pts - segment.writer.samples > MAX_FILLED_GAP
            if gap and churning:
                return  # timestamps leaping about: not a reason for a segment a packet
            due = pts > SEGMENT_S * RATE or (abs(stint.drift_s - segment.drift_at_start_s) > DRIFT_LIMIT_S
                                             and not churning)
            if gap or stint.ready_to_cut(due, timestamp, at_s):
                self._close(stint)
                segment = None
        if segment is None:
            segment = self._open(room_id, stint, timestamp, at_s)
        segment.add(packet.payload, timestamp - segment.first_timestamp, at_s, stint.drift_s)
        stint.last_timestamp = timestamp

    def sender_report(self, room_id: int, identity: str, ssrc: int, ntp_s: float, rtp_timestamp: int) -> None:
        stint = self.stints.get((room_id, identity))
        if stint is not None and stint.ssrc == ssrc:
            stint.report(ntp_s, rtp_timestamp)

    def stop(self, room_id: int, identity: str) -> None:
        self.drain()
        stint = self.stints.get((room_id, identity))
        if stint is not None:
            try:
                self._close(stint)
            except OSError as error:
                self._stop_recording(room_id, error)
            stint.ssrc = None

    def _stop_recording(self, room_id: int, error: OSError) -> None:
        """Close what can be closed; the pages already on disk stay readable (each has its CRC)."""
        reason = f"recording stopped: {error.strerror or error}"
        log.error("room %s: %s", room_id, reason)
        self.problems[room_id] = reason
        for (room, _), stint in self.stints.items():
            if room == room_id and stint.segment is not None:
                segment, stint.segment = stint.segment, None
                try:
                    segment.writer.close()
                except OSError:
                    pass  # the trailer did not fit: the last complete page ends the file
                records.submit(settle_track, segment.track_id, str(self.store.path(segment.key)),
                               segment.start_s).add_done_callback(_log_failure)

    def room_events(self, room_id: int, at_s: float, events: list[RoomEvent]) -> None:
        pass  # the timeline is recorded by live itself (live.records); the archive keeps every packet

    def room_ended(self, room_id: int) -> None:
        self.drain()
        for (room, _), stint in list(self.stints.items()):
            if room == room_id:
                try:
                    self._close(stint)
                except OSError as error:
                    self._stop_recording(room_id, error)
                del self.stints[(room, stint.identity)]
        self.problems.pop(room_id, None)
        records.submit(hand_to_pipeline, room_id).add_done_callback(_log_failure)

    # --- segments -------------------------------------------------------------------------
    def _open(self, room_id: int, stint: Stint, first_timestamp: int, start_s: float) -> Segment:
        key = f"rooms/{room_id}/archive/{slugify(stint.identity, 'speaker')}/{stint.count:04d}.opus"
        stint.count += 1
        stint.opened_at_s, stint.cut_due_at_s = start_s, None
        path = self.store.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The row is asked for first: a crash finds every segment but one opened in its last moments.
        track_id = records.submit(add_track, room_id, stint.identity, key, start_s)
        segment = Segment(track_id, key, OggOpusWriter(path), first_timestamp, start_s, stint.drift_s)
        stint.segment = segment
        return segment

    def _close(self, stint: Stint) -> None:
        segment, stint.segment = stint.segment, None
        if segment is None:
            return
        segment.writer.close()
        size = self.store.size(segment.key)
        records.submit(finish_track, segment.track_id, segment.writer.duration_s, size,
                       segment.start_s).add_done_callback(_log_failure)


# --- the database side (in the capture-records thread) --------------------------------------
def add_track(room_id: int, identity: str, key: str, start_s: float) -> int:
    with session_scope() as session:
        person = session.scalars(
            select(Participant).where(Participant.room_id == room_id, Participant.identity == identity)).first()
        if person is None:
            person = Participant(room_id=room_id, identity=identity, display_name=identity)
            session.add(person)
            session.flush()
        track = Track(room_id=room_id, participant_id=person.id, media_key=key, codec="opus", sample_rate=RATE,
                      duration_s=0.0, offset_s=round(start_s, 4), size_bytes=0)
        session.add(track)
        session.flush()
        track_id = track.id
    follow(room_id)
    return track_id


_followed: set[int] = set()  # rooms whose live transcription this process has started


def follow(room_id: int) -> None:
    """Start live transcription with the room's first segment (see transcripts.live_tasks)."""
    if room_id in _followed or not get_settings().live_transcription:
        return
    from roomcast.pipeline import start_live_transcription

    _followed.add(room_id)
    start_live_transcription(room_id)


def finish_track(track_id: Future[int], duration_s: float, size: int, start_s: float) -> None:
    with session_scope() as session:
        track = session.get(Track, track_id.result())  # done: it ran before, in this thread
        track.duration_s, track.size_bytes, track.offset_s = round(duration_s, 4), size, round(max(start_s, 0.0), 4)


def settle_track(track_id: Future[int], path: str, start_s: float) -> None:
    """A segment cut short by an error: its length is what can be read back."""
    import av

    samples = 0
    try:
        with av.open(path) as container:
            for packet in container.demux(audio=0):
                if packet.size and packet.pts is not None:
                    samples = max(samples, packet.pts + (packet.duration or 960))
    except (av.FFmpegError, OSError):
        pass
    size = Path(path).stat().st_size if Path(path).exists() else 0
    finish_track(track_id, samples / RATE, size, start_s)


def hand_to_pipeline(room_id: int) -> None:
    """Exactly once per room: a room that already has a run is left alone. Two nodes may hand the
    same room over at once (one took it over from the other, frozen, which then resumed): the room's
    row is locked while one looks for a run and adds it (PostgreSQL; SQLite's one writer needs none)."""
    from roomcast.pipeline import dispatch, prepare_run

    with session_scope() as session:
        room = session.get(Room, room_id, with_for_update=True)
        if room.status not in (RoomStatus.ended, RoomStatus.interrupted):
            return
        if session.scalars(select(PipelineRun).where(PipelineRun.room_id == room_id)).first() is not None:
            return
        for track in list(room.tracks):
            if track.duration_s < 0.1:
                session.delete(track)  # a segment that never got a packet
        session.flush()
        session.refresh(room)
        if not room.tracks:
            log.info("room %s ended with nothing said on stage: no episode", room_id)
            return
        prepare_run(session, room)
    dispatch(room_id)


def _log_failure(future) -> None:  # noqa: ANN001
    if future.exception() is not None:
        log.error("capture: %s", future.exception(), exc_info=future.exception())
