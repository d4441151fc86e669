"""Spelling repair of transcribed words against a word-frequency lexicon.

Whisper's smaller models often miss one letter of an Indonesian word: "tertip" for
"tertib", "merosod" for "merosot", "tikatnya" for "tiketnya". A word that is in no
Indonesian word list but is one edit away from a common word is most likely such a
miss, and is replaced by the most frequent such word. The lexicon is wordfreq's word
frequencies for the transcript's language, plus the show's glossary (whose terms are
also candidates, spelled the glossary's way).

Left alone: words of fewer than MIN_LETTERS letters, words with digits or inner
punctuation, capitalized words inside a sentence (names, which no word list covers)
unless the fix is a glossary term, and words the lexicon knows. Deleting a letter is
only tried towards glossary terms: the small lexicon lacks many affixed forms
("menangkapi"), and a deletion would turn them into their stem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Transcript languages with a lexicon here. Tuned on Indonesian only.
LANGUAGES = ("id",)
# A candidate must be at least this common: 3.0 on the Zipf scale is once per million words.
MIN_ZIPF = 3.0
MIN_LETTERS = 4
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD_RE = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")


@dataclass
class Lexicon:
    zipf: dict[str, float]  # lower-case word -> Zipf frequency
    spelling: dict[str, str]  # lower-case glossary word -> its spelling


def load_lexicon(language: str | None, glossary: list[str] | tuple[str, ...] = ()) -> Lexicon | None:
    """The lexicon for a transcript language, or None where there is none."""
    if language not in LANGUAGES:
        return None
    import wordfreq

    zipf = {w: math.log10(f) + 9 for w, f in wordfreq.get_frequency_dict(language).items() if f > 0}
    spelling = {}
    for term in glossary:
        for word in term.split():
            key = word.lower()
            if key.isalpha():
                zipf.setdefault(key, 0.0)  # known, however rare
                spelling[key] = word
    return Lexicon(zipf, spelling)


def _one_edit(word: str) -> tuple[set[str], set[str], set[str]]:
    """Words one edit away: by a substitution or transposition, an insertion, a deletion."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    substituted = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    transposed = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    inserted = {a + c + b for a, b in splits for c in _LETTERS}
    deleted = {a + b[1:] for a, b in splits if b}
    return (substituted | transposed) - {word}, inserted, deleted


def respell(word: str, lexicon: Lexicon, sentence_start: bool) -> str:
    """word (with any surrounding punctuation) repaired, or unchanged."""
    match = _WORD_RE.match(word)
    if not match:
        return word
    prefix, core, suffix = match.groups()
    key = core.lower()
    if len(key) < MIN_LETTERS or key in lexicon.zipf or core.isupper() or not key.isascii():
        return word
    same_length, longer, shorter = _one_edit(key)
    terms = [c for c in same_length | longer | shorter if c in lexicon.spelling]
    if terms:  # a near miss of a glossary term, even a name's
        candidates = terms
    elif core[0].isupper() and not sentence_start:
        return word  # a name: no word list has it
    else:
        # Same length first: a letter heard wrong (final "b" heard as "p": "tertip") is
        # the commonest miss, and a longer word is often another word ("tertipu").
        candidates = [c for c in same_length if lexicon.zipf.get(c, 0.0) >= MIN_ZIPF]
        candidates = candidates or [c for c in longer if lexicon.zipf.get(c, 0.0) >= MIN_ZIPF]
        if not candidates:
            return word
    best = max(candidates, key=lambda c: (lexicon.zipf[c], c))
    fixed = lexicon.spelling.get(best) or (best.capitalize() if core[0].isupper() else best)
    return prefix + fixed + suffix


def respell_words(words: list[str], lexicon: Lexicon) -> list[str]:
    """Each word of a running text repaired; a word after . ? ! starts a sentence."""
    out = []
    for i, word in enumerate(words):
        sentence_start = i == 0 or words[i - 1].rstrip()[-1:] in ".?!"
        out.append(respell(word, lexicon, sentence_start))
    return out
