"""Words as the index sees them: split, lowercased, accents folded, stemmed by their language.

The embedded index is built with these analyzers, and every backend uses them to find the word
a hit should start playing at (Snowball stemmers, as PostgreSQL's configurations use).
"""

from __future__ import annotations

import unicodedata

import tantivy

from search.languages import STEMMED, UNSTEMMED, language_key

LANGUAGES = [*STEMMED, UNSTEMMED]


def _analyzer(language: str) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
    # Accents go before stemming, so "pres" typed finds "près" said: both stem alike.
    builder = builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
    if language in STEMMED:
        builder = builder.filter(tantivy.Filter.stemmer(STEMMED[language]))
    return builder.build()


ANALYZERS = {language: _analyzer(language) for language in LANGUAGES}
KEYWORD = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()


def fold(word: str) -> str:
    """Lowercase without accents, as the analyzers leave index terms."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def terms(text: str, language: str | None) -> list[str]:
    return ANALYZERS[language_key(language)].analyze(text)
