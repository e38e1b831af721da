"""A speaker's stint in the archive: its stream's clock, and where its segments are cut.

A stint (on stage and unmuted, until they mute, leave the stage or go) is a run of Ogg/Opus
segments (capture.archive). A gap over a second, or five minutes of audio, starts a new
segment, in a pause of the speaker's where their packets carry levels (up to ten seconds
later). So does a speaker's sample clock drifting 10 ms from real time, as their RTCP sender
reports tell: a sound card a hundred parts per million off would otherwise move the end of a
five-minute segment by 30 ms. A report sent late reads as drift (aiortc's pairs its last
packet's RTP time with the moment that packet went out): the least late of the last three is
believed, so a sender's passing hiccup does not cut its speech into segments, each transcribed
without the other. A speaker's segments start at least a second apart: packets that would start
one sooner (two streams interleaved, timestamps leaping about) are dropped, so a misbehaving
client cannot cut its track into a segment per packet (once 1,200 in 8 s, which lost the
room's episode).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

from aiortc.rtp import RtpPacket

from capture.ogg_opus import RATE, OggOpusWriter

SEGMENT_S = 300.0
MAX_FILLED_GAP = RATE  # a second of loss is concealed; a longer silence starts a new segment
DRIFT_LIMIT_S = 0.010  # a sample clock this far off real time, since the segment began: a new one
# Sender reports weighed together. Judged one by one, a report from a bot starved of CPU (two
# busy loops beside the captions test) cut its monologue into 3 segments in 1 run of 6, each
# transcribed alone: "he lit the lamp | and watched the ships pass by the rocks. In winter" came
# out as "he lit the ramp. | and watch the ship's last time at August, it..." (so did CI's, once).
# Weighed by three: 1 segment in 6 runs of 6; a clock 0.4 % slow still starts new ones.
REPORTS_WEIGHED = 3
# A segment due to end (five minutes, a drifting clock) ends where the speaker pauses: each segment
# is transcribed on its own, and a cut mid-phrase costs about a word (the 11 English eval clips,
# each cut once in the middle of its speech: 25 word errors of 233, against 15 whole). Half a
# second under -50 dBov (the packets' RFC 6464 levels, however sparse: DTX) is a pause; ten
# seconds without one, a cut.
PAUSE_LEVEL, PAUSE_S, CUT_WAIT_S = 50, 0.5, 10.0
MIN_SEGMENT_S = 1.0  # a speaker's segments start at least this far apart on the room's clock


@dataclass
class Segment:
    track_id: Future[int]  # the Track row, being written in the records thread
    key: str
    writer: OggOpusWriter
    first_timestamp: int  # extended RTP timestamp of the segment's first sample
    start_s: float  # on the room's clock: the earliest any packet's arrival puts the first sample
    drift_at_start_s: float = 0.0  # the speaker's clock drift (see Stint) when the segment began

    def add(self, payload: bytes, pts: int, at_s: float, drift_s: float) -> None:
        self.writer.write(payload, pts)
        # The packet that waited least in the network gives the truest start (jitter only delays);
        # its media time is taken back to real time by what the sender's clock drifted since.
        start_s = at_s - pts / RATE + (drift_s - self.drift_at_start_s)
        if start_s < self.start_s:
            self.start_s = start_s


@dataclass
class Stint:
    """One speaker's archive state: the RTP timestamp unwrapper and the open segment."""

    identity: str
    ssrc: int | None = None
    last_timestamp: int | None = None  # extended (unwrapped) RTP timestamp
    segment: Segment | None = None
    count: int = 0  # segments so far, for file names
    # When (sender's real time) the stream's media time was zero, by its latest reports: lateness
    # only adds to it. The origin is the least of the first REPORTS_WEIGHED.
    report_offsets: list[float] = field(default_factory=list)
    clock_origin: float | None = None
    drift_s: float = 0.0  # how far the sample clock has run ahead of the sender's real time since
    opened_at_s: float | None = None  # when the last segment opened, on the room's clock
    quiet_since: int | None = None  # extended RTP timestamp of the packets under PAUSE_LEVEL up to now
    cut_due_at_s: float | None = None  # when the open segment was first due to end, while it is

    def heard(self, packet: RtpPacket, timestamp: int) -> None:
        level = packet.extensions.audio_level
        if level is not None and level[1] < PAUSE_LEVEL:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = timestamp  # packets without a level: no pause to wait for

    def ready_to_cut(self, due: bool, timestamp: int, at_s: float) -> bool:
        """A segment due to end ends now if the speaker is pausing, or has not for CUT_WAIT_S."""
        if not due:
            self.cut_due_at_s = None
            return False
        if self.cut_due_at_s is None:
            self.cut_due_at_s = at_s
        pausing = self.quiet_since is not None and timestamp - self.quiet_since >= PAUSE_S * RATE
        return pausing or at_s - self.cut_due_at_s >= CUT_WAIT_S

    def new_stream(self, ssrc: int) -> None:
        self.ssrc, self.last_timestamp, self.clock_origin, self.drift_s = ssrc, None, None, 0.0
        self.report_offsets, self.quiet_since = [], None

    def report(self, ntp_s: float, rtp_timestamp: int) -> None:
        """A sender report: the drift is judged once REPORTS_WEIGHED have come, from the least late."""
        offset = ntp_s - self.extend(rtp_timestamp) / RATE
        self.report_offsets = (self.report_offsets + [offset])[-REPORTS_WEIGHED:]
        if len(self.report_offsets) < REPORTS_WEIGHED:
            return
        least_late = min(self.report_offsets)
        if self.clock_origin is None:
            self.clock_origin = least_late
        self.drift_s = self.clock_origin - least_late

    def extend(self, timestamp: int) -> int:
        if self.last_timestamp is None:
            return timestamp
        delta = (timestamp - self.last_timestamp) & 0xFFFFFFFF
        if delta >= 1 << 31:
            delta -= 1 << 32  # an older (reordered) packet
        return self.last_timestamp + delta
