"""Small text helpers shared by every package."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints, TypeAdapter, ValidationError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$|^[a-z0-9]$")


def slugify(value: str, fallback: str = "item") -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48]
    return slug or fallback


def clean_line(value: str) -> str:
    """One line of display text: control characters removed, whitespace collapsed."""
    printable = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(printable.split())


# --- the one rule for text that people type ------------------------------------------------
# Every user-supplied string (API bodies, CLI options, room messages) is cleaned by these two
# functions before it is checked and stored, and the feed applies them again to what is
# already stored: a control character such as \x0b is not XML, so one in a title made lxml
# refuse the whole feed ("All strings must be XML compatible") for every subscriber.
_NOT_PROSE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """Prose (descriptions, show notes): line breaks and tabs kept; control characters,
    lone surrogates and non-characters (none of which XML 1.0 can carry) removed."""
    return _NOT_PROSE.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _cleaned(clean: Callable[[str], str]) -> BeforeValidator:
    # Other types pass through untouched, for pydantic to reject with its usual message.
    return BeforeValidator(lambda value: clean(value) if isinstance(value, str) else value)


def Line(max_length: int = 255, min_length: int = 0) -> Any:  # noqa: N802 (a type, used as one)
    """A one-line string (titles, names, labels) for pydantic models: cleaned, then its length checked."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), _cleaned(clean_line)]


def Prose(max_length: int = 20_000) -> Any:  # noqa: N802
    """Free text (descriptions, show notes): cleaned, then capped."""
    return Annotated[str, StringConstraints(max_length=max_length), _cleaned(clean_text)]


def check_text(kind: Any, value: str | None) -> str | None:
    """``value`` cleaned and checked as ``kind`` (a Line or Prose) outside pydantic models, as the CLI
    does; ``ValueError`` says what is wrong in one line."""
    if value is None:
        return None
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as error:
        raise ValueError(error.errors()[0]["msg"]) from None
