"""The eval set of real speech (``bench/clips/asr-dev``) and how its words are compared.

Shared by the benchmarks that speak its clips or score what was heard against them: bench.asr,
its live-caption and room scores, bench.stream. Both sides of a comparison are normalised: lower
case, punctuation and hyphens to spaces, word-internal apostrophes kept.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent / "clips" / "asr-dev"  # with its licences (README.md there)
_PUNCTUATION = re.compile(r"[^\w\s']|_|(?<!\w)'|'(?!\w)")


def normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower().replace("-", " ")).split())


def load_manifest(eval_dir: Path) -> list[dict]:
    with open(eval_dir / "manifest.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))
