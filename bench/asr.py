"""Transcription accuracy and cost on real speech, and speaker attribution on a generated room.

    python -m bench.asr [--eval-dir ../shared/eval/asr-dev] [--languages en,fr,es]

Word error rate per language over the FLEURS clips (and JFK) in the eval set, both sides
normalised (lower case; punctuation and hyphens to spaces; word-internal apostrophes kept),
with the model roomcast picks for that language (tiny.en for English, base otherwise); CPU
seconds per second of speech for the whole run; and, on a generated four-speaker room,
words that land in a speaker's transcript outside that speaker's own turns. Last line: JSON
with wer_en, wer_fr, wer_es, cpu_s_per_speech_s, misattributed_words, ready_after_end_s
(null: live transcription is not built yet).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import sys
import tempfile
from pathlib import Path

import jiwer

DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "asr-dev"
_PUNCTUATION = re.compile(r"[^\w\s']|_|(?<!\w)'|'(?!\w)")


def normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower().replace("-", " ")).split())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_manifest(eval_dir: Path) -> list[dict]:
    with open(eval_dir / "manifest.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\"))


def word_errors(clips: list[dict], eval_dir: Path) -> tuple[dict[str, float], float, float]:
    from postprod.transcription import transcribe_file

    by_language: dict[str, tuple[list[str], list[str]]] = {}
    speech_s, start = 0.0, cpu_seconds()
    for clip in clips:
        language = clip["language"]
        utterances = transcribe_file(eval_dir / clip["file"], language)
        hypothesis = normalise(" ".join(u.text for u in utterances))
        references, hypotheses = by_language.setdefault(language, ([], []))
        references.append(normalise(clip["reference"]))
        hypotheses.append(hypothesis)
        speech_s += float(clip["duration_s"])
        print(f"{clip['id']}: {jiwer.wer(references[-1], hypothesis or '-'):.3f}", file=sys.stderr)
    wer = {language: jiwer.wer(refs, [h or "-" for h in hyps]) for language, (refs, hyps) in by_language.items()}
    return wer, cpu_seconds() - start, speech_s


def misattributed_words(work: Path) -> int:
    """Words placed in a speaker's transcript outside that speaker's own turns (± 0.5 s)."""
    from bench._speech import RATE, generate_room_with_turns
    from postprod.transcript import merge
    from postprod.transcription import transcribe_file

    paths, turns = generate_room_with_turns(work, minutes=2)
    per_speaker = [(f"speaker {n}", None, 0.0, transcribe_file(path, "en")) for n, path in enumerate(paths, start=1)]
    wrong = 0
    for line in merge(per_speaker):
        number = int(line.speaker.split()[-1]) - 1
        own = [(a / RATE - 0.5, b / RATE + 0.5) for speaker, a, b in turns if speaker == number]
        wrong += sum(1 for w in line.words if not any(a <= w["start"] <= b for a, b in own))
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--languages", default="en,fr,es")
    args = parser.parse_args()
    if not (args.eval_dir / "manifest.tsv").is_file():
        sys.exit(f"no eval set at {args.eval_dir} (expected manifest.tsv)")
    work = Path(tempfile.mkdtemp(prefix="roomcast-bench-asr-"))
    os.environ.setdefault("ROOMCAST_DATA_DIR", str(work / "data"))  # where the base model is assembled
    os.environ.setdefault("ROOMCAST_WORKER_CONCURRENCY", "1")
    languages = args.languages.split(",")
    clips = [c for c in load_manifest(args.eval_dir) if c["language"] in languages]
    wer, cpu, speech = word_errors(clips, args.eval_dir)
    figures = {f"wer_{language}": round(value, 4) for language, value in sorted(wer.items())}
    figures.update(
        clips=len(clips), speech_s=round(speech, 1), cpu_s=round(cpu, 1),
        cpu_s_per_speech_s=round(cpu / speech, 4), misattributed_words=misattributed_words(work),
        ready_after_end_s=None,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
