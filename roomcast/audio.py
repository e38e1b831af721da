"""Reading and writing audio with PyAV (FFmpeg's libraries, no subprocess); shared by capture and postprod."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

MIX_RATE = 48_000
ASR_RATE = 16_000


class UnreadableAudio(ValueError):
    """The file is missing, is not audio, or breaks off in a way the decoder rejects."""


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    duration_s: float


def decode_mono(path: Path, rate: int = MIX_RATE) -> np.ndarray:
    """Decode the first audio stream to mono float32 at ``rate``."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise UnreadableAudio(f"{path}: no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(stream):
                chunks.extend(out.to_ndarray()[0] for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray()[0] for out in resampler.resample(None))
    except av.FFmpegError as error:
        raise UnreadableAudio(f"{path}: {error}") from error
    return np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)


def probe(path: Path) -> AudioInfo:
    """Decode the whole file once: proves it is readable and measures its true duration."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise UnreadableAudio(f"{path}: no audio stream")
            stream = container.streams.audio[0]
            codec, rate = stream.codec_context.name, stream.codec_context.sample_rate
    except av.FFmpegError as error:
        raise UnreadableAudio(f"{path}: {error}") from error
    samples = decode_mono(path, rate)
    if samples.size == 0:
        raise UnreadableAudio(f"{path}: no audio could be decoded")
    return AudioInfo(codec=codec, sample_rate=rate, duration_s=samples.size / rate)


def encode_mp3(samples: np.ndarray, rate: int, destination: Path, bit_rate: int) -> None:
    """Encode mono float samples to a constant-bit-rate MP3."""
    with av.open(str(destination), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        block = 1152 * 64
        for start in range(0, samples.size, block):
            chunk = np.ascontiguousarray(samples[start : start + block], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk[np.newaxis, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
