"""Transcription accuracy and cost on real speech, and speaker attribution on a generated room.

    python -m bench.asr [--eval-dir bench/clips/asr-dev] [--languages en,fr,es]
                        [--live-minutes 60] [--live-speed 4] [--rooms clean,bleed-20,...,echo]
                        [--room-layouts 5] [--parts clips,rooms,names,captions,live]

Word error rate per language over the FLEURS clips (and JFK) in the eval set, both sides
normalised (lower case; punctuation and hyphens to spaces; word-internal apostrophes kept),
with the model roomcast picks for that language (tiny.en for English, base otherwise), and
in the same run the anchor: that model on each whole clip with faster-whisper's defaults
(beam 5, language detected), as the eval set's README measured it. CPU seconds per second of
speech per model. On a generated four-speaker room: words that land in a speaker's transcript
outside that speaker's own turns. And a one-hour, four-speaker room replayed faster than real
time while live transcription follows it (bench._live_room): seconds from its end until
every track is transcribed. Rooms of the eval set's real English speech with known turns
(bench._rooms: clean; bleed at -20, -30, -40, -50 dB, 10-40 ms late; an echo at -15 dB,
150-300 ms late; three overlaps and two long silences in each) through the real import
pipeline (bench._room_scores). Last line: JSON with wer_en, wer_fr, wer_es, anchor_wer_*,
cpu_s_per_speech_s (the English default, tiny.en), cpu_s_per_speech_s_base,
misattributed_words, ready_after_end_s, misattributed_words_bleed (all bleed and echo rooms),
wer_room_clean, wer_room_bleed_max, invented_words (all rooms), per room its figures, and
name_accuracy (a room that says the show's and its people's names, imported as that show),
caption_delay_p50_s and caption_delay_p95_s (a live room of two aiortc speakers taking turns
with the English clips: from the end of a word to its caption on the room's transcript API,
bench._live_captions) and caption_words_matched. ``--parts`` runs only some of it (the JSON then
holds only their keys): ``--parts rooms --rooms bleed-20,clean`` scores two rooms in a few minutes.
``--room-layouts 5,6,7`` scores each room in three layouts of the same clips and adds the
figures pooled over them (``wer_room_clean_pooled``, ``wer_room_bleed_max_pooled``): a room
holds 233 reference words, and tiny.en's errors move by two or three between layouts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

import jiwer

from bench._eval_set import DEFAULT_EVAL_DIR, load_manifest, normalise
from bench._live_captions import caption_delays
from bench._room_scores import name_accuracy, room_figures, score_rooms
from bench._rooms import CASES


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def word_errors(clips: list[dict], eval_dir: Path, anchor: bool = False) -> tuple[dict, dict, dict]:
    """WER per language; CPU and speech seconds per model. ``anchor``: the model on whole clips."""
    from transcripts.track_progress import transcribe_file
    from transcripts.whisper_models import model_for_language

    by_language: dict[str, tuple[list[str], list[str]]] = {}
    cpu: dict[str, float] = {}
    speech: dict[str, float] = {}
    for clip in clips:
        language, model = clip["language"], model_for_language(clip["language"])
        start = cpu_seconds()
        if anchor:
            hypothesis = normalise(anchor_transcript(eval_dir / clip["file"], model))
        else:
            hypothesis = normalise(" ".join(u.text for u in transcribe_file(eval_dir / clip["file"], language)))
        cpu[model] = cpu.get(model, 0.0) + cpu_seconds() - start
        speech[model] = speech.get(model, 0.0) + float(clip["duration_s"])
        references, hypotheses = by_language.setdefault(language, ([], []))
        references.append(normalise(clip["reference"]))
        hypotheses.append(hypothesis)
        label = "anchor " if anchor else ""
        print(f"{label}{clip['id']}: {jiwer.wer(references[-1], hypothesis or '-'):.3f}", file=sys.stderr)
    wer = {language: jiwer.wer(refs, [h or "-" for h in hyps]) for language, (refs, hyps) in by_language.items()}
    return wer, cpu, speech


def anchor_transcript(path: Path, model_name: str) -> str:
    """faster-whisper as it comes: the whole clip, beam 5, the language detected."""
    from transcripts.transcription import get_model
    from roomcast.audio import read_excerpt

    model = get_model(model_name)
    language = "en" if model_name.endswith(".en") else None
    segments, _ = model.transcribe(read_excerpt(path, 0.0, 3600.0).samples, language=language, beam_size=5)
    return " ".join(s.text for s in segments)


def misattributed_words(work: Path) -> int:
    """Words placed in a speaker's transcript outside that speaker's own turns (± 0.5 s)."""
    from bench._speech import RATE, generate_room_with_turns
    from transcripts.lines import merge
    from transcripts.track_progress import transcribe_file

    paths, turns = generate_room_with_turns(work, minutes=2)
    per_speaker = [(f"speaker {n}", None, 0.0, transcribe_file(path, "en")) for n, path in enumerate(paths, start=1)]
    wrong = 0
    for line in merge(per_speaker):
        number = int(line.speaker.split()[-1]) - 1
        own = [(a / RATE - 0.5, b / RATE + 0.5) for speaker, a, b in turns if speaker == number]
        wrong += sum(1 for w in line.words if not any(a <= w["start"] <= b for a, b in own))
    return wrong


PARTS = ("clips", "rooms", "names", "captions", "live")


def clip_figures(eval_dir: Path, manifest: list[dict], languages: list[str]) -> dict:
    """WER per language and CPU per second of speech on the eval clips, with the anchor's."""
    from transcripts.transcription import get_model
    from transcripts.whisper_models import model_for_language

    clips = [c for c in manifest if c["language"] in languages]
    for model in {model_for_language(language) for language in languages}:
        get_model(model)  # loading is paid once per worker, not per second of speech
    wer, cpu, speech = word_errors(clips, eval_dir)
    anchor_wer, anchor_cpu, _ = word_errors(clips, eval_dir, anchor=True)
    figures: dict = {f"wer_{language}": round(value, 4) for language, value in sorted(wer.items())}
    figures.update({f"anchor_wer_{language}": round(value, 4) for language, value in sorted(anchor_wer.items())})
    for model in cpu:
        suffix = "" if model == model_for_language("en") else f"_{model}"
        figures[f"cpu_s_per_speech_s{suffix}"] = round(cpu[model] / speech[model], 4)
        figures[f"anchor_cpu_s_per_speech_s{suffix}"] = round(anchor_cpu[model] / speech[model], 4)
    figures.update(clips=len(clips), speech_s=round(sum(speech.values()), 1))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--languages", default="en,fr,es")
    parser.add_argument("--live-minutes", type=float, default=60.0)
    parser.add_argument("--live-speakers", type=int, default=4)
    parser.add_argument("--live-speed", type=float, default=4.0, help="times faster than real time")
    parser.add_argument("--rooms", default=",".join(CASES), help="which rooms of real speech to score")
    parser.add_argument("--room-layouts", default="5",
                        help="bench._rooms layouts (seeds) to score each room in; the issue's keys are the first's, "
                             "and with more, *_pooled keys sum their errors (233 words a layout: one error is 0.0043)")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts to run (default: all)")
    args = parser.parse_args()
    if not (args.eval_dir / "manifest.tsv").is_file():
        sys.exit(f"no eval set at {args.eval_dir} (expected manifest.tsv)")
    work = Path(tempfile.mkdtemp(prefix="roomcast-bench-asr-"))
    os.environ.setdefault("ROOMCAST_DATA_DIR", str(work / "data"))  # where the base model is assembled
    os.environ.setdefault("ROOMCAST_WORKER_CONCURRENCY", "2")
    from bench._live_room import simulate

    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        sys.exit(f"unknown parts {sorted(parts - set(PARTS))}: choose from {','.join(PARTS)}")
    figures: dict = {}
    manifest = load_manifest(args.eval_dir)
    if "clips" in parts:
        figures.update(clip_figures(args.eval_dir, manifest, args.languages.split(",")))
        figures["misattributed_words"] = misattributed_words(work)
    if "rooms" in parts:
        layouts = tuple(int(seed) for seed in args.room_layouts.split(","))
        figures.update(room_figures(score_rooms(work, args.eval_dir, manifest, [r for r in args.rooms.split(",") if r],
                                                layouts)))
    if "names" in parts:
        figures["name_accuracy"] = name_accuracy(work)
    if "captions" in parts:
        english = [args.eval_dir / c["file"] for c in manifest if c["language"] == "en"]
        figures.update(caption_delays(english, work))
    if "live" in parts:
        figures.update(simulate(work, args.live_minutes, args.live_speakers, args.live_speed))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
