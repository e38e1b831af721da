"""One speaker's packets, played out a fixed delay after they arrive, in RTP order.

A packet's place on the mix's timeline is where its stream's first packet arrived plus its
RTP time since then: so lost packets stay gaps of the right length and reordered ones fall
back into place. The mix reads ``DELAY_S`` behind real time, which is the jitter a packet
may have and still be heard. A stream that drifts away from that (a sender's clock running
fast or slow, a pause the sender did not mark, a new SSRC) is anchored again where its
packets now arrive: a skip of a few milliseconds, never a growing delay.
"""

from __future__ import annotations

import heapq
import logging

import av
import numpy as np

log = logging.getLogger(__name__)
RATE = 48_000
DELAY_S = 0.12  # jitter absorbed; browsers on a decent network stay within 30 ms
MAX_LEAD = int(0.4 * RATE)  # a packet due this far after its arrival: the sender's clock runs ahead
LATE_BEFORE_REANCHOR = 3
FORGET_S = 30.0  # late packets in a row before the stream is anchored again


class SpeakerInput:
    """Decodes with FFmpeg's native Opus decoder: half the CPU of libopus through PyAV here,
    and it gives float samples, which the mix sums."""

    def __init__(self) -> None:
        self.decoder = av.CodecContext.create("opus", "r")
        self.decoder.rate, self.decoder.layout = RATE, "mono"
        self.ssrc: int | None = None
        self.origin: tuple[int, int] = (0, 0)  # (extended RTP timestamp, mix position) of the anchor
        self.last_timestamp = 0
        self.queue: list[tuple[int, int, bytes]] = []  # (mix position, arrival order, payload)
        self.carry: tuple[int, np.ndarray] | None = None  # decoded samples past the last block
        self.late_run = 0
        self.late = self.received = 0
        self.last_arrival = 0
        self._order = 0

    def add(self, ssrc: int, timestamp: int, payload: bytes, arrival: int, cursor: int) -> None:
        """A packet that arrived at mix position ``arrival``; the mix has played up to ``cursor``."""
        self.received += 1
        self.last_arrival = arrival
        if ssrc != self.ssrc:
            self.ssrc, self.last_timestamp = ssrc, timestamp
            self._anchor(timestamp, arrival)
        extended = self._extend(timestamp)
        position = self.origin[1] + extended - self.origin[0]
        if position > arrival + MAX_LEAD:
            self._anchor(extended, arrival)
            position = arrival
        if position < cursor:
            self.late += 1
            self.late_run += 1
            if self.late_run >= LATE_BEFORE_REANCHOR:
                self._anchor(extended, arrival)
                self.late_run = 0
            return
        self.late_run = 0
        self._order += 1
        heapq.heappush(self.queue, (position, self._order, payload))

    def idle(self, cursor: int) -> bool:
        """Nothing queued and nothing heard for ``FORGET_S``."""
        return not self.queue and self.carry is None and cursor - self.last_arrival > FORGET_S * RATE

    def render(self, start: int, out: np.ndarray) -> bool:
        """Add this speaker's samples for ``[start, start + len(out))`` into ``out``; True if any."""
        end = start + out.size
        heard = False
        if self.carry is not None:
            position, samples = self.carry
            self.carry = None
            heard = self._place(position, samples, start, out)
        while self.queue and self.queue[0][0] < end:
            position, _, payload = heapq.heappop(self.queue)
            for frame in self.decoder.decode(av.Packet(payload)):
                # The plane itself: to_ndarray() stacks planes, which cost more than the decode here.
                samples = np.frombuffer(frame.planes[0], dtype=np.float32, count=frame.samples)
                heard = self._place(position, samples, start, out) or heard
                position += samples.size
        return heard

    def _place(self, position: int, samples: np.ndarray, start: int, out: np.ndarray) -> bool:
        end = start + out.size
        if position + samples.size > end:  # the rest belongs to the next block
            split = max(end - position, 0)
            self.carry = (position + split, samples[split:])
            samples = samples[:split]
        if position < start:  # reached the mix after its time (rare: the queue is ordered)
            samples, position = samples[start - position:], start
        if samples.size == 0:
            return False
        out[position - start:position - start + samples.size] += samples
        return True

    def _anchor(self, timestamp: int, arrival: int) -> None:
        self.origin = (timestamp, arrival)
        self.last_timestamp = timestamp

    def _extend(self, timestamp: int) -> int:
        delta = (timestamp - self.last_timestamp) & 0xFFFFFFFF
        if delta >= 1 << 31:
            delta -= 1 << 32  # an older (reordered) packet
        extended = self.last_timestamp + delta
        self.last_timestamp = max(self.last_timestamp, extended)
        return extended
