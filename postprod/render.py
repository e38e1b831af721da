"""Tracks in, a mastered episode out, in memory that does not grow with the room.

1. Decode each track once into a raw float file, metering its loudness (libebur128) and
   its activity (RMS per 50 ms) on the way.
2. Plan the episode: a gain per speaker (every voice to the same loudness), and the room
   time to keep: off-the-record spans cut, silences longer than a limit shortened.
3. Mix the kept spans block by block, joined by short crossfades, into one raw file, and
   meter it.
4. Master, each output format for itself: measure how much the codec shifts loudness on
   a few excerpts, find the gain that lands on the target after the true-peak limiter by
   metering the limited stream (no encoding), encode, and meter the decoded file; a miss
   (loudness, or a codec's peak overshoot) is corrected and encoded again.

Every pass reads and writes fixed-size blocks, so a two-hour room needs no more memory
than a two-minute one.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import lameenc
import numpy as np
import pyebur128
from scipy.signal import butter, sosfilt, sosfilt_zi

from roomcast.limiter import INTERPOLATOR_TAPS, OVERSAMPLING, TruePeakLimiter, true_peak_envelope
from roomcast.own_speech import gate_gain
from roomcast.timemap import TimeMap

RATE = 48_000
BLOCK = RATE * 4
CROSSFADE_S = 0.02
ACTIVITY_FRAME = RATE // 20  # 50 ms
SILENCE_DBFS = -45.0
LEAD_IN_S, TAIL_OUT_S = 0.3, 0.6  # kept before the first sound and after the last (with shortened silences)
# A second of a track whose peak stays below this is not metered: the loudness gate drops
# anything under -70 LUFS anyway, and tracks are mostly their speaker listening.
UNMETERED_PEAK = np.float32(10 ** (-80 / 20))
SPEAKER_TARGET_LUFS = -23.0
MAX_SPEAKER_GAIN_DB = 24.0
LOUDNESS_TOLERANCE_LU = 0.2
MAX_GAIN_PASSES = 6
WAVEFORM_BINS = 1200
EXCERPT_S = 10
SAMPLE_PIECES, SAMPLE_PIECE_S = 120, 0.5  # a minute of the mix, from all through it
VERIFY_PEAK_MARGIN_DB = 0.3  # true-peak meters differ by a tenth or two; stay clear of the ceiling
RETRY_MISS_LU = 0.3
CODEC_PEAK_GUARD_DB = 0.2
MAX_ENCODES = 4  # within the ±0.5 LU promise; only a larger miss costs a second encode
BLEED_GATE_DB, GATE_FADE_S = -30.0, 0.02  # a track only carrying others: turned down, not cut
CODEC_CUTOFF_HZ = 15_000  # about LAME's own low-pass at 96 kb/s; nothing of speech is lost


@dataclass(frozen=True)
class TrackInput:
    name: str
    path: Path
    offset_s: float = 0.0
    own_speech: list[tuple[float, float]] | None = None  # track seconds; None: the whole track is its own


@dataclass(frozen=True, eq=False)
class OutputFormat:
    extension: str  # "mp3" or "m4a"
    codec: str
    container: str
    bit_rate: int
    mime: str
    options: dict[str, str]


MP3 = OutputFormat("mp3", "lame", "mp3", 96_000, "audio/mpeg", {"quality": "5"})
M4A = OutputFormat("m4a", "aac", "ipod", 96_000, "audio/mp4", {})


@dataclass
class RenderOptions:
    target_lufs: float = -16.0
    ceiling_dbtp: float = -1.0
    formats: tuple[OutputFormat, ...] = (MP3,)
    cuts: list[tuple[float, float]] = field(default_factory=list)  # room seconds, e.g. off the record
    max_silence_s: float | None = None  # silences longer than this are shortened to it
    intro: Path | None = None
    outro: Path | None = None


@dataclass
class SpeakerLevel:
    name: str
    loudness_lufs: float  # before levelling; -inf when silent
    gain_db: float


@dataclass
class EncodedFile:
    path: Path
    format: OutputFormat
    loudness_lufs: float
    true_peak_dbtp: float


@dataclass
class RenderResult:
    files: list[EncodedFile]
    duration_s: float
    time_map: TimeMap
    speakers: list[SpeakerLevel]
    peaks: list[float]
    warnings: list[str]


# --- 1. decoding -----------------------------------------------------------------------------


@dataclass
class DecodedAudio:
    raw: Path
    samples: int
    loudness_lufs: float
    activity: np.ndarray  # RMS per 50 ms frame
    error: str | None = None

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


def decode(path: Path, raw: Path) -> DecodedAudio:
    """Decode to 48 kHz mono float32 in ``raw``; a stream that breaks off keeps what came before."""
    meter = pyebur128.R128State(1, RATE, pyebur128.MeasurementMode.MODE_I)
    activity = _Activity()
    samples, error, batch = 0, None, []
    with open(raw, "wb") as out:

        def flush() -> None:
            nonlocal samples
            data = np.concatenate(batch) if len(batch) > 1 else batch[0]
            batch.clear()
            out.write(data.tobytes())
            if np.abs(data).max() > UNMETERED_PEAK:
                meter.add_frames(data, data.size)
            activity.add(data)
            samples += data.size

        try:
            with av.open(str(path)) as container:
                for data in _samples(container):
                    batch.append(data)
                    if len(batch) >= 64:  # about a second of 20 ms frames per write
                        flush()
        except (av.FFmpegError, IndexError) as exc:
            error = f"{path.name}: {exc}"
        if batch:
            flush()
    loudness = pyebur128.get_loudness_global(meter) if samples >= RATE // 2 else -math.inf
    loudness = loudness if math.isfinite(loudness) and loudness > -70 else -math.inf
    return DecodedAudio(raw, samples, loudness, activity.result(), error)


def _samples(container) -> Iterator[np.ndarray]:  # type: ignore[no-untyped-def]
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


# --- 2. planning -----------------------------------------------------------------------------


def speaker_gain(name: str, loudness: float) -> SpeakerLevel:
    if not math.isfinite(loudness):
        return SpeakerLevel(name, loudness, 0.0)
    return SpeakerLevel(name, loudness, min(MAX_SPEAKER_GAIN_DB, SPEAKER_TARGET_LUFS - loudness))


def room_activity(tracks: list[tuple[DecodedAudio, float, float]], frames: int) -> np.ndarray:
    """Loudest levelled speaker per 50 ms frame of room time (tracks: audio, offset_s, gain)."""
    combined = np.zeros(frames, dtype=np.float32)
    for audio, offset_s, gain in tracks:
        first = round(offset_s * RATE / ACTIVITY_FRAME)
        values = audio.activity[: max(0, frames - first)] * gain
        np.maximum(combined[first : first + values.size], values, out=combined[first : first + values.size])
    return combined


def edges(silent: np.ndarray, duration: float) -> list[tuple[float, float]]:
    """The quiet before the first sound and after the last, less a breath: an episode opens on
    its first word and closes just after its last, not on a room's setting-up and leaving."""
    sound = np.flatnonzero(~silent)
    if sound.size == 0:
        return []
    frame_s = ACTIVITY_FRAME / RATE
    first, last = sound[0] * frame_s - LEAD_IN_S, (sound[-1] + 1) * frame_s + TAIL_OUT_S
    return [span for span in ((0.0, first), (last, duration)) if span[1] - span[0] > 0]


def kept_spans(duration: float, cuts: list[tuple[float, float]], activity: np.ndarray, max_silence_s: float | None) -> list[tuple[float, float]]:
    removed = [(max(0.0, a), min(duration, b)) for a, b in cuts if b > a]
    if max_silence_s is not None:
        silent = activity < 10 ** (SILENCE_DBFS / 20)
        removed += edges(silent, duration)
        frame_s = ACTIVITY_FRAME / RATE
        run_start = None
        for index, quiet in enumerate(np.append(silent, False)):
            if quiet and run_start is None:
                run_start = index
            elif not quiet and run_start is not None:
                start, end = run_start * frame_s, index * frame_s
                if end - start > max_silence_s:
                    removed.append((start + max_silence_s / 2, end - max_silence_s / 2))
                run_start = None
    kept, cursor = [], 0.0
    for start, end in sorted(removed):
        if start > cursor:
            kept.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < duration:
        kept.append((cursor, duration))
    return [(a, b) for a, b in kept if b - a > 2 * CROSSFADE_S]


# --- 3. mixing -------------------------------------------------------------------------------


Reader = Callable[[int, int], np.ndarray]


def crossfaded(pieces: list[tuple[Reader, int, int]]) -> Iterator[np.ndarray]:
    """Blocks of the pieces (reader, first sample, end sample) played in turn, each join
    overlapped by an equal-power crossfade."""
    fade = int(CROSSFADE_S * RATE)
    ramp = np.linspace(0, np.pi / 2, fade, dtype=np.float32)
    fade_in, fade_out = np.sin(ramp), np.cos(ramp)
    tail: np.ndarray | None = None
    for number, (read, start, end) in enumerate(pieces):
        last_piece = number == len(pieces) - 1
        position = start
        while position < end:
            count = min(BLOCK, end - position)
            if 0 < end - position - count < fade:
                count = end - position  # never leave less than a crossfade for the last block
            block = read(position, count)
            if position == start and tail is not None:
                block[:fade] = tail * fade_out + block[:fade] * fade_in
                tail = None
            position += count
            if position >= end and not last_piece:
                block, tail = block[:-fade], block[-fade:].copy()
            if block.size:
                yield block
    if tail is not None:
        yield tail


def mix_reader(tracks: list[tuple[DecodedAudio, float, float]],
               own: list[list[tuple[float, float]] | None] | None = None) -> Reader:
    """The levelled tracks summed; a track is turned down (BLEED_GATE_DB, 20 ms fades) where it
    carries only the others: their bleed mixed back in sounds like a comb filter and an echo."""
    own = own or [None] * len(tracks)

    def read(start: int, count: int) -> np.ndarray:
        out = np.zeros(count, dtype=np.float32)
        for (audio, offset_s, gain), spans in zip(tracks, own):
            first = start - round(offset_s * RATE)
            samples = audio.read(first, count) * np.float32(gain)
            if spans is not None:
                samples *= gate_gain(first / RATE, count, RATE, spans, BLEED_GATE_DB, GATE_FADE_S)
            out += samples
        return out

    return read


def band_limited(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Low-pass at the codecs' own cut-off, so that what is metered here is what the encoder
    keeps (an MP3 at 96 kb/s drops the top octave and, with it, measured loudness)."""
    sections = butter(8, CODEC_CUTOFF_HZ, fs=RATE, output="sos")
    state = sosfilt_zi(sections) * 0.0
    for block in blocks:
        filtered, state = sosfilt(sections, block, zi=state)
        yield filtered.astype(np.float32, copy=False)


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


# --- 4. mastering ----------------------------------------------------------------------------


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


class _LameSink:
    """MP3 through lameenc: LAME itself, about three times faster here than the LAME build
    inside PyAV's wheel (6 min of audio at quality 5: 2.4 CPU s against 5.0 at quality 7)."""

    def __init__(self, path: Path, fmt: OutputFormat) -> None:
        self.file = open(path, "wb")
        self.encoder = lameenc.Encoder()
        self.encoder.set_bit_rate(fmt.bit_rate // 1000)
        self.encoder.set_in_sample_rate(RATE)
        self.encoder.set_channels(1)
        self.encoder.set_quality(int(fmt.options.get("quality", "5")))

    def write(self, block: np.ndarray) -> None:
        pcm = np.clip(np.rint(block * 32767), -32768, 32767).astype("<i2")
        self.file.write(self.encoder.encode(pcm.tobytes()))

    def close(self) -> None:
        self.file.write(self.encoder.flush())
        self.file.close()


class _AvSink:
    """Any encoder FFmpeg has, through PyAV (AAC here)."""

    def __init__(self, path: Path, fmt: OutputFormat) -> None:
        self.container = av.open(str(path), "w", format=fmt.container)
        self.stream = self.container.add_stream(fmt.codec, rate=RATE, layout="mono", options=fmt.options)
        self.stream.bit_rate = fmt.bit_rate
        self.position = 0

    def write(self, block: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block)[np.newaxis, :], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = RATE, self.position
        self.container.mux(self.stream.encode(frame))
        self.position += block.size

    def close(self) -> None:
        self.container.mux(self.stream.encode(None))
        self.container.close()


def encode(blocks: Iterator[np.ndarray], destinations: dict[OutputFormat, Path], peaks: np.ndarray, bin_size: int) -> None:
    sinks = [(_LameSink if fmt.codec == "lame" else _AvSink)(path, fmt) for fmt, path in destinations.items()]
    try:
        position = 0
        for block in blocks:
            _accumulate_peaks(peaks, block, position, bin_size)
            for sink in sinks:
                sink.write(block)
            position += block.size
    finally:
        for sink in sinks:
            sink.close()


def _accumulate_peaks(peaks: np.ndarray, block: np.ndarray, position: int, bin_size: int) -> None:
    """Fold a block into the per-bin peaks: one reduceat over the bins it spans."""
    first, last = position // bin_size, (position + block.size - 1) // bin_size
    edges = np.arange(first, last + 1) * bin_size - position
    edges[0] = 0
    maxima = np.maximum.reduceat(np.abs(block), edges)
    bins = np.minimum(np.arange(first, last + 1), peaks.size - 1)
    np.maximum.at(peaks, bins, maxima)


def decoded_blocks(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        batch: list[np.ndarray] = []
        for data in _samples(container):
            batch.append(data)
            if len(batch) >= 64:
                yield np.concatenate(batch)
                batch.clear()
        if batch:
            yield np.concatenate(batch)


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


# --- the whole render ------------------------------------------------------------------------


def render(tracks: list[TrackInput], destination_stem: Path, options: RenderOptions) -> RenderResult:
    """Write ``destination_stem.<ext>`` for each format and report what was made."""
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="roomcast-render-", dir=destination_stem.parent) as scratch:
        work = Path(scratch)
        decoded = []
        for number, track in enumerate(tracks):
            audio = decode(track.path, work / f"track-{number}.raw")
            if audio.error:
                warnings.append(f"{track.name}: the track breaks off after {audio.samples / RATE:.1f} s ({audio.error})")
            decoded.append(audio)
        speakers = [speaker_gain(t.name, a.loudness_lufs) for t, a in zip(tracks, decoded)]
        warnings += [f"{s.name}: track is silent" for s in speakers if not math.isfinite(s.loudness_lufs)]
        placed = [(a, t.offset_s, 10 ** (s.gain_db / 20)) for t, a, s in zip(tracks, decoded, speakers)]

        room_samples = max((round(t.offset_s * RATE) + a.samples for t, a in zip(tracks, decoded)), default=0)
        duration = room_samples / RATE
        activity = room_activity(placed, math.ceil(room_samples / ACTIVITY_FRAME))
        kept = kept_spans(duration, options.cuts, activity, options.max_silence_s)

        pieces: list[tuple[Reader, int, int]] = []
        intro = decode(options.intro, work / "intro.raw") if options.intro else None
        outro = decode(options.outro, work / "outro.raw") if options.outro else None
        if intro is not None:
            pieces.append((intro.read, 0, intro.samples))
        read_room = mix_reader(placed, [t.own_speech for t in tracks])
        pieces += [(read_room, round(a * RATE), round(b * RATE)) for a, b in kept]
        if outro is not None:
            pieces.append((outro.read, 0, outro.samples))
        lead = intro.samples / RATE - CROSSFADE_S if intro is not None else 0.0
        # Only what was cut on purpose is "not kept": the quiet trimmed or shortened is not a cut.
        cuts = [(max(0.0, a), min(duration, b)) for a, b in options.cuts if min(duration, b) > max(0.0, a)]
        time_map = TimeMap.from_kept(kept, CROSSFADE_S, lead, cuts)

        mix = RawFile(work / "mix.raw")
        mix_meter = pyebur128.R128State(1, RATE, pyebur128.MeasurementMode.MODE_I)
        mix.write_all(band_limited(crossfaded(pieces)), mix_meter)
        mix_loudness = pyebur128.get_loudness_global(mix_meter)

        files, peaks = _master_and_encode(mix, mix_loudness, destination_stem, options, warnings)
    return RenderResult(files, mix.samples / RATE, time_map, speakers, peaks, warnings)


def _master_and_encode(
    mix: RawFile, mix_loudness: float, stem: Path, options: RenderOptions, warnings: list[str]
) -> tuple[list[EncodedFile], list[float]]:
    silent = not math.isfinite(mix_loudness) or mix_loudness < -70
    if silent:
        warnings.append("the episode is silent")
    envelope = envelope_of(mix, mix.path.with_name("envelope.raw"))
    # Always WAVEFORM_BINS bins (a ceil'd bin size left 1199 for some lengths); the remainder
    # samples fold into the last bin.
    bin_size = max(1, mix.samples // WAVEFORM_BINS)
    peaks = np.zeros(max(1, min(WAVEFORM_BINS, math.ceil(mix.samples / bin_size))), dtype=np.float32)
    files = []
    for number, fmt in enumerate(options.formats):
        # Each codec moves loudness and peaks its own way (AAC overshoots far more than
        # MP3), so each format is mastered for itself.
        path = stem.with_suffix(f".{fmt.extension}")
        waveform = peaks if number == 0 else np.zeros_like(peaks)
        files.append(_master_one(mix, envelope, mix_loudness, path, fmt, options, silent, waveform, bin_size))
    top = float(peaks.max()) or 1.0
    return files, [round(float(p) / top, 3) for p in peaks]


def _master_one(
    mix: RawFile, envelope: RawFile, mix_loudness: float, path: Path, fmt: OutputFormat, options: RenderOptions,
    silent: bool, peaks: np.ndarray, bin_size: int,
) -> EncodedFile:
    ceiling, aim, gain, sample = options.ceiling_dbtp, options.target_lufs, 0.0, None
    limiter = TruePeakLimiter(RATE, ceiling)
    allowed_peak = options.ceiling_dbtp - VERIFY_PEAK_MARGIN_DB
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
        miss = result.loudness_lufs - options.target_lufs
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
