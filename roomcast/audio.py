"""Reading audio with PyAV (FFmpeg's libraries, no subprocess); shared by capture and postprod."""

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
    """Decode the whole file once, streaming: proves it is readable and measures its true
    duration without holding it (a two-hour track stays a few frames in memory)."""
    samples = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise UnreadableAudio(f"{path}: no audio stream")
            stream = container.streams.audio[0]
            codec, rate = stream.codec_context.name, stream.codec_context.sample_rate
            for frame in container.decode(stream):
                samples += frame.samples
    except av.FFmpegError as error:
        raise UnreadableAudio(f"{path}: {error}") from error
    if samples == 0:
        raise UnreadableAudio(f"{path}: no audio could be decoded")
    return AudioInfo(codec=codec, sample_rate=rate, duration_s=samples / rate)
