"""Waveform pictures of an episode: peaks JSON for the player, and a PNG (via PyAV's encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

ACCENT = np.array([91, 60, 196], dtype=np.uint8)
BACKGROUND = np.array([255, 255, 255], dtype=np.uint8)


def to_waveform_json(peaks: list[float], duration_s: float) -> str:
    return json.dumps({"version": 1, "duration": round(duration_s, 3), "peaks": peaks})


def write_png(peaks: list[float], path: Path, width: int = 1200, height: int = 160) -> None:
    image = np.tile(BACKGROUND, (height, width, 1))
    if peaks:
        # Peaks are 0-1; anything else (a NaN) would be cast to an arbitrary bar height.
        values = np.clip(np.nan_to_num(np.asarray(peaks, dtype=np.float64)), 0.0, 1.0)
        columns = np.interp(np.arange(width) * len(peaks) / width, np.arange(len(peaks)), values)
        half = np.maximum(1, (columns * (height / 2 - 2)).astype(int))
        rows = np.arange(height)[:, None]
        middle = height // 2
        image[(rows >= middle - half) & (rows <= middle + half)] = ACCENT
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
