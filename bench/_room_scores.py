"""Rooms of real speech (bench._rooms) through the real pipeline, scored against their turns.

Each room is imported with ``roomcast import --wait`` into one embedded data directory (its own
worker, SQLite, the default settings: silences shortened, the time map applied), and the
published transcript is read back from the database. Reference turns are placed on the episode
with the episode's own time map, so the scores are about words, not about cuts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import jiwer

from bench._rooms import CASES, Room, build, load_clips

SLACK_S = 0.5  # a word's start may lie this far outside its turn


@dataclass
class RoomScore:
    name: str
    misattributed_words: int  # words on a speaker outside that speaker's own turns
    invented_words: int  # words in nobody's turn
    wer: float  # per-speaker word error rate: a word on the wrong speaker counts twice
    layout: int = 5  # bench._rooms.layout's seed
    errors: int = 0  # the WER's numerator and denominator, so layouts can be pooled
    words: int = 0

    @property
    def case(self) -> str:
        """The room's case in bench._rooms.CASES: its name, less any "@layout"."""
        return self.name.split("@")[0]


def roomcast(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "ROOMCAST_DATA_DIR": str(data_dir)}
    done = subprocess.run([str(Path(sys.executable).with_name("roomcast")), *args], env=env, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode:
        raise RuntimeError(f"roomcast {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def import_room(data_dir: Path, room: Room) -> int:
    tracks = [arg for number, path in enumerate(room.paths) for arg in ("--track", f"Speaker {number + 1}={path}")]
    view = json.loads(roomcast(data_dir, "import", "bench", "--title", room.name, *tracks, "--wait", "--json").splitlines()[-1])
    if view["status"] not in ("published", "review"):
        raise RuntimeError(f"room {room.name}: episode {view['status']}")
    return int(view["id"])


def score(data_dir: Path, room: Room, episode_id: int, layout: int = 5) -> RoomScore:
    from bench._eval_set import normalise
    from roomcast.timemap import TimeMap

    with sqlite3.connect(data_dir / "roomcast.sqlite3") as db:
        (time_map,) = db.execute("SELECT time_map FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        rows = db.execute("SELECT speaker, words FROM transcript_segments WHERE episode_id = ? ORDER BY start_s",
                          (episode_id,)).fetchall()
    mapping = TimeMap.from_json(json.loads(time_map) if isinstance(time_map, str) else time_map)
    turns = [(t.speaker, mapping.to_episode(t.start_s), mapping.to_episode(t.end_s), t.text) for t in room.turns]
    words = [(int(speaker.split()[-1]) - 1, w) for speaker, payload in rows for w in json.loads(payload)]
    misattributed = invented = 0
    hypotheses: dict[int, list[str]] = {}
    for speaker, word in words:
        inside = [t for t in turns if t[1] - SLACK_S <= word["start"] <= t[2] + SLACK_S]
        invented += not inside
        misattributed += bool(inside) and all(t[0] != speaker for t in inside)
        hypotheses.setdefault(speaker, []).append(word["word"])
    speakers = sorted({t[0] for t in turns})
    references = [normalise(" ".join(t[3] for t in turns if t[0] == s)) for s in speakers]
    guesses = [normalise(" ".join(hypotheses.get(s, []))) or "-" for s in speakers]
    counted = jiwer.process_words(references, guesses)
    errors = counted.substitutions + counted.deletions + counted.insertions
    words = counted.hits + counted.substitutions + counted.deletions  # the reference words, as jiwer counted them
    return RoomScore(room.name, misattributed, invented, round(counted.wer, 4), layout, errors, words)


def score_rooms(work: Path, eval_dir: Path, manifest: list[dict], cases: list[str] | None = None,
                layouts: tuple[int, ...] = (5,)) -> list[RoomScore]:
    """Each case in each layout (bench._rooms.layout's seed: the same clips, placed differently)."""
    data_dir = work / "rooms-data"
    roomcast(data_dir, "show", "create", "bench", "--title", "Bench Rooms", "--author", "roomcast", "--language", "en")
    clips = load_clips(eval_dir, manifest)
    scores = []
    for layout in layouts:
        for case in cases or list(CASES):
            room = build(work / f"rooms-{layout}", clips, case, layout)
            if layout != layouts[0]:
                room = replace(room, name=f"{case}@{layout}")
            scores.append(score(data_dir, room, import_room(data_dir, room), layout))
            print(f"room {room.name}: {scores[-1]}", file=sys.stderr)
    return scores


def room_figures(scores: list[RoomScore]) -> dict:
    """The issue's keys from the first layout; with more layouts, the same pooled over all of them."""
    first = [s for s in scores if s.layout == scores[0].layout] if scores else []
    figures = _case_figures(first)
    if len(first) < len(scores):
        pooled = {}
        for s in scores:
            errors, words = pooled.get(s.case, (0, 0))
            pooled[s.case] = (errors + s.errors, words + s.words)
        wer = {case: round(errors / words, 4) for case, (errors, words) in pooled.items() if words}
        figures["layouts"] = sorted({s.layout for s in scores})
        figures["wer_room_pooled"] = wer
        figures["wer_room_clean_pooled"] = wer.get("clean")
        figures["wer_room_bleed_max_pooled"] = max((w for case, w in wer.items() if case != "clean"), default=None)
        figures["misattributed_words_bleed_all_layouts"] = sum(s.misattributed_words for s in scores if s.case != "clean")
        figures["invented_words_all_layouts"] = sum(s.invented_words for s in scores)
    return figures


def _case_figures(scores: list[RoomScore]) -> dict:
    crosstalk = [s for s in scores if s.name != "clean"]
    clean = next((s for s in scores if s.name == "clean"), None)
    figures = {
        "misattributed_words_bleed": sum(s.misattributed_words for s in crosstalk),
        "invented_words": sum(s.invented_words for s in scores),
        "wer_room_bleed_max": max((s.wer for s in crosstalk), default=None),
        "rooms": {s.name: {"wer": s.wer, "misattributed": s.misattributed_words, "invented": s.invented_words}
                  for s in scores},
    }
    if clean is not None:
        figures["wer_room_clean"] = clean.wer
    return figures


NAMES_SCRIPT = [  # (speaker, line): a room that says the show's and its people's names
    (0, "Welcome back to Night Owls, the show for people who stay up late."),
    (0, "I am Ann Host, and tonight Bob Ferreira is here with me."),
    (1, "Thank you Ann Host. It is good to be on Night Owls again."),
    (0, "Our first topic tonight is Telescopes at Midnight."),
]
NAMES = ("Night Owls", "Ann Host", "Bob Ferreira", "Telescopes at Midnight")


def name_accuracy(work: Path) -> float:
    """Share of the names said (show, people, the topic marked) that the published transcript spells right."""
    import numpy as np

    from bench._speech import RATE, speak, write_opus
    from bench._eval_set import normalise

    data_dir, folder = work / "names-data", work / "names"
    folder.mkdir(parents=True, exist_ok=True)
    voices = ("en-us", "en-gb")
    tracks = [np.zeros(RATE, np.float32) for _ in voices]
    topic_at = 0.0
    for speaker, line in NAMES_SCRIPT:
        clip = speak(line, voices[speaker]) * np.float32(0.5)
        if "topic" in line:
            topic_at = tracks[speaker].size / RATE
        for number in range(len(tracks)):
            tracks[number] = np.concatenate([tracks[number], clip if number == speaker else np.zeros_like(clip),
                                             np.zeros(RATE // 2, np.float32)])
    paths = []
    for number, samples in enumerate(tracks):
        paths.append(folder / f"{number}.ogg")
        write_opus(paths[-1], samples)
    roomcast(data_dir, "show", "create", "night-owls", "--title", "Night Owls", "--author", "Ann Host", "--language", "en")
    args = ["--track", f"Ann Host={paths[0]}", "--track", f"Bob Ferreira={paths[1]}",
            "--marker", f"{topic_at:.1f}=Telescopes at Midnight"]
    view = json.loads(roomcast(data_dir, "import", "night-owls", "--title", "Episode 1", *args, "--wait", "--json").splitlines()[-1])
    with sqlite3.connect(data_dir / "roomcast.sqlite3") as db:
        text = normalise(" ".join(t for (t,) in db.execute("SELECT text FROM transcript_segments WHERE episode_id = ?",
                                                           (view["id"],))))
    said = [name for _, line in NAMES_SCRIPT for name in NAMES if name in line]
    heard = {name: text.count(normalise(name)) for name in NAMES}
    right = sum(min(heard[name], said.count(name)) for name in set(said))
    return round(right / len(said), 3)
