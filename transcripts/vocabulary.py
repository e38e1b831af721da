"""The show's own words: its title, its people, the topics marked, as Whisper should spell them.

tiny.en hears names as the words they sound like ("eye towels" for "Night Owls", "telescope set
mid-night" for "Telescopes at Midnight"). The vocabulary goes to Whisper as ``hotwords`` only
where the plain decoding came close to a name and missed it (``near_miss``); where even the
hinted decoding misses a name whose letters it heard nearly all of, in another order of spaces
(``respelled``), the name's spelling is put in their place.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from transcripts.utterances import Utterance, Word

NEAR_MISS_RATIO = 0.7
# Letters this alike, spaces aside, are the name heard and cut differently: "telescopesetmidnight"
# against "telescopesatmidnight" is 0.95; "eyetowels" against "nightowls" 0.67 (left to the hint).
RESPELL_RATIO = 0.9


def vocabulary(*phrases: str | None, limit: int = 60) -> str | None:
    """The show's own words for Whisper's prompt (faster-whisper's ``hotwords``): the show's title,
    the speakers' names, the topics marked. Without them tiny.en wrote "Night Owls" as "eye
    towels". Duplicates go; the list is cut at ``limit`` words (well inside the prompt's room)."""
    seen: dict[str, str] = {}
    for phrase in phrases:
        cleaned = " ".join((phrase or "").split())
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned)
    words = ", ".join(seen.values()).split()
    return " ".join(words[:limit]) or None


def vocabulary_phrases(hotwords: str | None) -> list[str]:
    return [p for p in (plain(p) for p in (hotwords or "").split(",")) if p]


def near_miss(text: str, phrase: str, ratio: float = NEAR_MISS_RATIO) -> bool:
    """Whether some run of words in ``text`` sounds like ``phrase`` when spelled out ("eye towels"
    for "night owls", "ann post" for "ann host"): their letters are this alike."""
    words, size = text.split(), len(phrase.split())
    target = phrase.replace(" ", "")
    for n in {max(1, size - 1), size, size + 1}:
        for start in range(0, len(words) - n + 1):
            if SequenceMatcher(None, "".join(words[start : start + n]), target).ratio() >= ratio:
                return True
    return False


def echoes_prompt(utterance: Utterance, hotwords: str | None) -> bool:
    """Whisper writing out its prompt instead of the audio: a segment made only of the vocabulary's
    phrases ("Speaker 1, Speaker 2, Speaker" in place of a turn's last word, seen on a bench room)."""
    if not hotwords:
        return False
    phrases = {plain(p) for p in hotwords.split(",") if plain(p)}
    text = plain(utterance.text)
    if not text:
        return False
    for phrase in sorted(phrases, key=len, reverse=True):
        text = text.replace(phrase, " ")
    vocabulary_words = {word for phrase in phrases for word in phrase.split()}
    return all(word in vocabulary_words for word in text.split())  # what is left: a phrase cut short


def respelled_all(utterances: list[Utterance], hotwords: str | None, missed: list[str]) -> list[Utterance]:
    """Each missed name (plain) respelled wherever its letters were heard, as the show spells it."""
    names = [name.strip() for name in (hotwords or "").split(",") if plain(name) in missed]
    out = []
    for utterance in utterances:
        for name in names:
            utterance = respelled(utterance, name)
        out.append(utterance)
    return out


def respelled(utterance: Utterance, phrase: str) -> Utterance:
    """``utterance`` with the run of words that spells ``phrase``'s letters (RESPELL_RATIO) written
    as ``phrase``; the run's time is shared among the name's words by their length."""
    target, size = _letters(phrase), len(phrase.split())
    words, best = utterance.words, None
    for n in range(max(1, size - 1), size + 2):
        for start in range(0, len(words) - n + 1):
            ratio = SequenceMatcher(None, "".join(_letters(w.word) for w in words[start:start + n]), target).ratio()
            if ratio >= RESPELL_RATIO and (best is None or ratio > best[0]):
                best = (ratio, start, n)
    if best is None:
        return utterance
    _, start, n = best
    run = words[start:start + n]
    tail = run[-1].word[len(run[-1].word.rstrip(".,;:!?")):]  # the sentence's punctuation stays
    spelled = _spread(run, phrase.split(), tail)
    new_words = words[:start] + spelled + words[start + n:]
    return replace(utterance, words=new_words, text=" ".join(w.word for w in new_words))


def _spread(run: list[Word], names: list[str], tail: str) -> list[Word]:
    begin, end = run[0].start, run[-1].end
    lengths = [len(name) for name in names]
    total, at, out = sum(lengths), begin, []
    probability = min(w.probability for w in run)
    for index, (name, length) in enumerate(zip(names, lengths)):
        until = end if index == len(names) - 1 else round(at + (end - begin) * length / total, 3)
        out.append(replace(run[0], start=round(at, 3), end=until, probability=probability,
                           word=name + (tail if index == len(names) - 1 else "")))
        at = until
    return out


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def plain(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())
