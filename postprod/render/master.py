"""Mastering: the gain that lands the limited mix on the target loudness, found by metering
(not assumed), each output format for itself.

How much the codec shifts loudness is measured on a few excerpts; the gain is searched on
half-second pieces from all through the mix, then confirmed on the whole; the episode is
encoded and the decoded file metered, and a miss (loudness, or a codec's peak overshoot) is
corrected and encoded again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyebur128

from postprod.render.decode import BLOCK, RATE, RawFile, decoded_blocks
from postprod.render.encode import OutputFormat, encode
from roomcast.limiter import INTERPOLATOR_TAPS, OVERSAMPLING, TruePeakLimiter, true_peak_envelope

LOUDNESS_TOLERANCE_LU = 0.2
MAX_GAIN_PASSES = 6
WAVEFORM_BINS = 1200
EXCERPT_S = 10
SAMPLE_PIECES, SAMPLE_PIECE_S = 120, 0.5  # a minute of the mix, from all through it
VERIFY_PEAK_MARGIN_DB = 0.3  # true-peak meters differ by a tenth or two; stay clear of the ceiling
RETRY_MISS_LU = 0.3
CODEC_PEAK_GUARD_DB = 0.2
MAX_ENCODES = 4  # within the ±0.5 LU promise; only a larger miss costs a second encode


@dataclass
class EncodedFile:
    path: Path
    format: OutputFormat
    loudness_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class Targets:
    loudness_lufs: float = -16.0
    ceiling_dbtp: float = -1.0


def envelope_of(mix: RawFile, path: Path) -> RawFile:
    """The mix's true-peak envelope, once: that of the mix times G is G times this."""
    context = INTERPOLATOR_TAPS // OVERSAMPLING

    def blocks() -> Iterator[np.ndarray]:
        for start in range(0, mix.samples, BLOCK):
            count = min(BLOCK, mix.samples - start)
            lo = max(0, start - context)
            window = mix.read(lo, start + count + context - lo)
            yield true_peak_envelope(window)[start - lo : start - lo + count]

    envelope = RawFile(path)
    envelope.write_all(blocks())
    return envelope


def mastered(mix: RawFile, envelope: RawFile, gain_db: float, limiter: TruePeakLimiter,
             first: int = 0, length: int | None = None) -> Iterator[np.ndarray]:
    gain, reach = np.float32(10 ** (gain_db / 20)), limiter.reach
    end = mix.samples if length is None else min(mix.samples, first + length)
    for start in range(first, end, BLOCK if length is None else max(1, length)):
        count = min(BLOCK if length is None else length, end - start)
        lo, hi = max(0, start - reach), min(mix.samples, start + count + reach)
        window = mix.read(lo, hi - lo) * gain
        yield limiter.apply(window, envelope.read(lo, hi - lo) * gain)[start - lo : start - lo + count]


def measure(blocks: Iterator[np.ndarray], true_peak: bool = False) -> tuple[float, float]:
    mode = pyebur128.MeasurementMode.MODE_I | (pyebur128.MeasurementMode.MODE_TRUE_PEAK if true_peak else 0)
    meter = pyebur128.R128State(1, RATE, mode)
    for block in blocks:
        meter.add_frames(block, block.size)
    loudness = pyebur128.get_loudness_global(meter)
    peak = 20 * math.log10(max(pyebur128.get_true_peak(meter, 0), 1e-10)) if true_peak else -math.inf
    return loudness, peak


@dataclass
class Sample:
    """Half-second pieces from all through the mix, with their envelope: how much loudness the
    limiter takes at a given gain is found on these first, at a fiftieth of the cost."""

    mix: RawFile
    envelope: RawFile
    loudness: float

    @classmethod
    def of(cls, mix: RawFile, envelope: RawFile, scratch: Path) -> Sample:
        piece = int(SAMPLE_PIECE_S * RATE)
        count = max(1, min(SAMPLE_PIECES, mix.samples // piece))
        starts = [int(mix.samples * (i + 0.5) / count) - piece // 2 for i in range(count)]
        parts = {}
        for name, source in (("mix", mix), ("envelope", envelope)):
            parts[name] = RawFile(scratch / f"sample-{name}.raw")
            parts[name].write_all(source.read(max(0, start), piece) for start in starts)
        loudness, _ = measure(iter([parts["mix"].read(0, parts["mix"].samples)]))
        return cls(parts["mix"], parts["envelope"], loudness)


def gain_for_target(mix: RawFile, envelope: RawFile, mix_loudness: float, target: float, limiter: TruePeakLimiter,
                    sample: Sample | None = None) -> float:
    """The gain that lands the limited mix on ``target``: limiting costs loudness, so it is
    found by measuring, not assumed. The search runs on the sample first (the limiter's loss
    there, added to the plain gain), then confirms, and if need be corrects, on the whole."""
    gain, slope = target - mix_loudness, 1.0
    if sample is not None and math.isfinite(sample.loudness):
        gain, slope = _secant(sample.mix, sample.envelope, gain, slope, target - mix_loudness + sample.loudness, limiter)
    return _secant(mix, envelope, gain, slope, target, limiter)[0]


def _secant(mix: RawFile, envelope: RawFile, gain: float, slope: float, target: float,
            limiter: TruePeakLimiter) -> tuple[float, float]:
    """Secant steps on the limited stream's loudness; returns the gain and the last slope."""
    previous = None
    for _ in range(MAX_GAIN_PASSES):
        loudness, _ = measure(mastered(mix, envelope, gain, limiter))
        error = target - loudness
        if abs(error) <= LOUDNESS_TOLERANCE_LU / 2:
            break
        if previous is not None and gain != previous[0]:
            slope = min(1.0, max(0.15, (loudness - previous[1]) / (gain - previous[0])))
        previous = (gain, loudness)
        gain += error / slope
    return gain, slope


def codec_effect(mix: RawFile, envelope: RawFile, gain_db: float, limiter: TruePeakLimiter, fmt: OutputFormat,
                 scratch: Path) -> tuple[float, float]:
    """How much the codec moves loudness (LU), and the true peak it leaves (dBTP), measured on
    a few excerpts of the master: aiming off by them spares a second encode of the episode."""
    excerpt = min(mix.samples, EXCERPT_S * RATE)
    starts = sorted({max(0, int(mix.samples * f) - excerpt // 2) for f in (0.25, 0.5, 0.75)})
    pieces = [next(mastered(mix, envelope, gain_db, limiter, start, excerpt)) for start in starts]
    sample = np.concatenate(pieces)
    path = scratch / f"calibration.{fmt.extension}"
    encode(iter([sample]), {fmt: path}, np.zeros(1, np.float32), sample.size + 1)
    before, _ = measure(iter([sample]))
    after, peak = measure(decoded_blocks(path), true_peak=True)
    return (after - before if math.isfinite(before) and math.isfinite(after) else 0.0), peak


def master_and_encode(
    mix: RawFile, mix_loudness: float, stem: Path, formats: tuple[OutputFormat, ...], targets: Targets,
    warnings: list[str],
) -> tuple[list[EncodedFile], list[float]]:
    """Each format mastered and encoded to ``stem.<ext>``; the waveform's peaks (0-1) of the first."""
    silent = not math.isfinite(mix_loudness) or mix_loudness < -70
    if silent:
        warnings.append("the episode is silent")
    envelope = envelope_of(mix, mix.path.with_name("envelope.raw"))
    # Always WAVEFORM_BINS bins (a ceil'd bin size left 1199 for some lengths); the remainder
    # samples fold into the last bin.
    bin_size = max(1, mix.samples // WAVEFORM_BINS)
    peaks = np.zeros(max(1, min(WAVEFORM_BINS, math.ceil(mix.samples / bin_size))), dtype=np.float32)
    files = []
    for number, fmt in enumerate(formats):
        # Each codec moves loudness and peaks its own way (AAC overshoots far more than
        # MP3), so each format is mastered for itself.
        path = stem.with_suffix(f".{fmt.extension}")
        waveform = peaks if number == 0 else np.zeros_like(peaks)
        files.append(_master_one(mix, envelope, mix_loudness, path, fmt, targets, silent, waveform, bin_size))
    top = float(peaks.max()) or 1.0
    return files, [round(float(p) / top, 3) for p in peaks]


def _master_one(
    mix: RawFile, envelope: RawFile, mix_loudness: float, path: Path, fmt: OutputFormat, targets: Targets,
    silent: bool, peaks: np.ndarray, bin_size: int,
) -> EncodedFile:
    ceiling, aim, gain, sample = targets.ceiling_dbtp, targets.loudness_lufs, 0.0, None
    limiter = TruePeakLimiter(RATE, ceiling)
    allowed_peak = targets.ceiling_dbtp - VERIFY_PEAK_MARGIN_DB
    if not silent:
        # The codec's effect hardly depends on the exact gain: measure it at the first guess.
        # Aim off by its loudness shift; limit lower by the peaks it adds beyond what is
        # allowed (the whole episode has more peaks than the excerpts: a guard on top).
        shift, codec_peak = codec_effect(mix, envelope, aim - mix_loudness, limiter, fmt, mix.path.parent)
        aim -= shift
        if codec_peak > allowed_peak - CODEC_PEAK_GUARD_DB:
            ceiling -= codec_peak - (allowed_peak - CODEC_PEAK_GUARD_DB)
            limiter = TruePeakLimiter(RATE, ceiling)
        sample = Sample.of(mix, envelope, mix.path.parent)
        gain = gain_for_target(mix, envelope, mix_loudness, aim, limiter, sample)
    for _attempt in range(MAX_ENCODES):
        peaks[:] = 0
        encode(mastered(mix, envelope, gain, limiter), {fmt: path}, peaks, bin_size)
        result = EncodedFile(path, fmt, *measure(decoded_blocks(path), true_peak=True))
        miss = result.loudness_lufs - targets.loudness_lufs
        if silent or (abs(miss) <= RETRY_MISS_LU and result.true_peak_dbtp <= allowed_peak):
            break
        if abs(miss) > RETRY_MISS_LU:  # the encoder moved loudness more than calibrated
            aim -= miss
        if result.true_peak_dbtp > allowed_peak:
            # The codec overshoots the limiter (AAC by up to 2.4 dB after heavy limiting):
            # limit lower by the excess.
            ceiling -= result.true_peak_dbtp - allowed_peak + 0.25
            limiter = TruePeakLimiter(RATE, ceiling)
        gain = gain_for_target(mix, envelope, mix_loudness, aim, limiter, sample)
    return result
