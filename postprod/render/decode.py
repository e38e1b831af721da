"""Decoding: each track once into a raw float file, metered on the way (loudness and activity).

Raw files are 48 kHz mono float32 on disk, read back in blocks (``RawFile``), so no pass of the
render holds a whole track in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pyebur128

RATE = 48_000
BLOCK = RATE * 4
ACTIVITY_FRAME = RATE // 20  # 50 ms
# A second of a track whose peak stays below this is not metered: the loudness gate drops
# anything under -70 LUFS anyway, and tracks are mostly their speaker listening.
UNMETERED_PEAK = np.float32(10 ** (-80 / 20))


@dataclass
class DecodedAudio:
    raw: Path
    samples: int
    loudness_lufs: float
    activity: np.ndarray  # RMS per 50 ms frame
    error: str | None = None
    not_finite: int = 0  # samples the decoder gave as NaN or infinite, written as silence

    def read(self, start: int, count: int) -> np.ndarray:
        return read_raw(self.raw, self.samples, start, count)


def read_raw(path: Path, samples: int, start: int, count: int) -> np.ndarray:
    """Samples [start, start + count) of a raw float32 file of ``samples``; zeros outside it."""
    out = np.zeros(count, dtype=np.float32)
    a, b = max(start, 0), min(start + count, samples)
    if a < b:
        with open(path, "rb") as handle:
            handle.seek(a * 4)
            out[a - start : b - start] = np.fromfile(handle, dtype=np.float32, count=b - a)
    return out


class RawFile:
    """A float32 stream on disk: written once, then read in blocks as often as needed."""

    def __init__(self, path: Path) -> None:
        self.path, self.samples = path, 0

    def write_all(self, blocks: Iterator[np.ndarray], meter: pyebur128.R128State | None = None) -> None:
        with open(self.path, "wb") as out:
            for block in blocks:
                out.write(block.tobytes())
                self.samples += block.size
                if meter is not None:
                    meter.add_frames(block, block.size)

    def read(self, start: int, count: int) -> np.ndarray:
        return read_raw(self.path, self.samples, start, count)


def decode(path: Path, raw: Path) -> DecodedAudio:
    """Decode to 48 kHz mono float32 in ``raw``; a stream that breaks off keeps what came before."""
    meter = pyebur128.R128State(1, RATE, pyebur128.MeasurementMode.MODE_I)
    activity = _Activity()
    samples, not_finite, error, batch = 0, 0, None, []
    with open(raw, "wb") as out:

        def flush() -> None:
            nonlocal samples, not_finite
            data = np.concatenate(batch) if len(batch) > 1 else batch[0]
            batch.clear()
            finite = np.isfinite(data)
            if not finite.all():
                # A NaN from the decoder (a float file, a damaged stream) spread through the mix,
                # the limiter and the waveform ("invalid value" warnings, a silent episode):
                # it is silence here, once (issue 15, item 12).
                not_finite += int(data.size - np.count_nonzero(finite))
                data = np.where(finite, data, np.float32(0))
            out.write(data.tobytes())
            if np.abs(data).max() > UNMETERED_PEAK:
                meter.add_frames(data, data.size)
            activity.add(data)
            samples += data.size

        try:
            with av.open(str(path)) as container:
                for data in samples_of(container):
                    batch.append(data)
                    if len(batch) >= 64:  # about a second of 20 ms frames per write
                        flush()
        except (av.FFmpegError, IndexError) as exc:
            error = f"{path.name}: {exc}"
        if batch:
            flush()
    loudness = pyebur128.get_loudness_global(meter) if samples >= RATE // 2 else -math.inf
    loudness = loudness if math.isfinite(loudness) and loudness > -70 else -math.inf
    return DecodedAudio(raw, samples, loudness, activity.result(), error, not_finite)


def samples_of(container) -> Iterator[np.ndarray]:  # type: ignore[no-untyped-def]
    """The first audio stream as 48 kHz mono float32 arrays; frames already in that shape
    (Opus from capture) skip the resampler."""
    stream = container.streams.audio[0]
    resampler = None
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.InvalidDataError:
            continue  # one damaged packet costs its 20 ms, not the rest of the track
        for frame in frames:
            if frame.sample_rate == RATE and frame.layout.nb_channels == 1 and frame.format.name in ("flt", "fltp"):
                # The array keeps the frame's buffer alive; no copy needed.
                yield np.frombuffer(frame.planes[0], dtype=np.float32, count=frame.samples)
                continue
            resampler = resampler or av.AudioResampler(format="flt", layout="mono", rate=RATE)
            for chunk in resampler.resample(frame):
                yield chunk.to_ndarray()[0]
    if resampler is not None:
        for chunk in resampler.resample(None):
            yield chunk.to_ndarray()[0]


def decoded_blocks(path: Path) -> Iterator[np.ndarray]:
    """An encoded file read back, about a second at a time (to meter what was encoded)."""
    with av.open(str(path)) as container:
        batch: list[np.ndarray] = []
        for data in samples_of(container):
            batch.append(data)
            if len(batch) >= 64:
                yield np.concatenate(batch)
                batch.clear()
        if batch:
            yield np.concatenate(batch)


class _Activity:
    """RMS per 50 ms frame, over a stream that arrives in arbitrary pieces."""

    def __init__(self) -> None:
        self.rms: list[np.ndarray] = []
        self.pending = np.zeros(0, dtype=np.float32)

    def add(self, data: np.ndarray) -> None:
        data = np.concatenate([self.pending, data]) if self.pending.size else data
        whole = data.size - data.size % ACTIVITY_FRAME
        self.rms.append(np.sqrt(np.square(data[:whole]).reshape(-1, ACTIVITY_FRAME).mean(axis=1)))
        self.pending = data[whole:]

    def result(self) -> np.ndarray:
        return np.concatenate(self.rms) if self.rms else np.zeros(0, dtype=np.float32)
