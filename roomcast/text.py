"""Small text helpers shared by every package."""

from __future__ import annotations

import re
import unicodedata

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$|^[a-z0-9]$")


def slugify(value: str, fallback: str = "item") -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48]
    return slug or fallback


def clean_line(value: str) -> str:
    """One line of display text: control characters removed, whitespace collapsed."""
    printable = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    return " ".join(printable.split())
