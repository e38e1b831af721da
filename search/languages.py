"""Which stemmer a transcript's language gets, in each backend.

A segment is stemmed by the rules of the language it was spoken in, so "chevaux" finds "cheval"
in a French show and "running" finds "run" in an English one. Languages without a stemmer here
are indexed word for word (lowercased, accents folded).
"""

from __future__ import annotations

# ISO 639-1 code -> Snowball stemmer name (tantivy) and text search configuration (PostgreSQL).
STEMMED = {
    "en": "english", "fr": "french", "es": "spanish", "nl": "dutch", "de": "german",
    "it": "italian", "pt": "portuguese", "sv": "swedish", "da": "danish", "no": "norwegian",
    "fi": "finnish", "ru": "russian",
}
UNSTEMMED = "other"


def language_key(language: str | None) -> str:
    """'fr-CA' -> 'fr'; anything without a stemmer -> 'other'."""
    code = (language or "").split("-")[0].lower()
    return code if code in STEMMED else UNSTEMMED


def postgres_config(language: str | None) -> str:
    key = language_key(language)
    return STEMMED[key] if key in STEMMED else "simple"
