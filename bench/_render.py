"""Runs roomcast's renderer alone in a process, so the benchmark can read its CPU and memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from postprod.render import M4A, MP3, RenderOptions, TrackInput, render


def main() -> None:
    stem, formats, *paths = sys.argv[1:]
    chosen = tuple(f for f in (MP3, M4A) if f.extension in formats.split(","))
    tracks = [TrackInput(f"speaker {n}", Path(p)) for n, p in enumerate(paths, start=1)]
    result = render(tracks, Path(stem), RenderOptions(formats=chosen))
    print(json.dumps({"files": [str(f.path) for f in result.files], "warnings": result.warnings}))


if __name__ == "__main__":
    main()
