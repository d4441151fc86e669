"""Spelling repair of transcribed words against an Indonesian lexicon.

Whisper's smaller models often miss one letter of an Indonesian word: "tertip" for
"tertib", "merosod" for "merosot", "tikatnya" for "tiketnya", "memberiksa" for
"memeriksa". A word that the lexicon does not know but is one edit away from a common
word is most likely such a miss, and is replaced by the most frequent such word.

The lexicon: wordfreq's word frequencies for the transcript's language (the candidates,
and their order), Sastrawi's 30,000 root words, and Sastrawi's stemmer for affixed forms
no list holds ("menangkapi" is me-N- + tangkap + -i), plus the show's glossary (whose
terms are also candidates, spelled the glossary's way). A word is known when a list has
it or when its stem is a common root word (of STEM_MIN_LETTERS letters or more, at least
MIN_ZIPF common): "tertip" stems to "tip", too short to vouch for it.

A word that is one edit from no common word, but is two common words run together
("bagitimnya", "pemiliklahan"), or a common word and a one-letter miss of another
("riburupia" -> "ribu rupiah"), is split in two; two words of which one is in no word
list but which together are a common one ("atrak si", "ke hormatan") are joined, and so
is a passive verb written apart ("di sambut"). A repair is written in its standard
spelling (baku.py): "personial" becomes "personel", not the web's "personil".

Left alone: words of fewer than MIN_LETTERS letters, words with digits or inner
punctuation, words in capitals (acronyms) and capitalized words inside a sentence
(names, which no word list covers) unless the fix is a glossary term, glossary terms
wherever they stand, and known words.
A final "h" unheard is tried first (Indonesian says it weakly: "pili" is "pilih"), then a
letter heard wrong, then a letter missing, then one too many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import baku
from .sentences import ends_sentence
from .words import LETTERS_RE

# Transcript languages with a lexicon here. Tuned on Indonesian only.
LANGUAGES = ("id",)
# A candidate must be at least this common: 3.0 on the Zipf scale is once per million words.
MIN_ZIPF = 3.0
MIN_LETTERS = 4
STEM_MIN_LETTERS = 4
SPLIT_MIN_LETTERS = 4
SPLIT_MIN_ZIPF = 3.5
SPLIT_MISS_MIN_LETTERS = 5
SPLIT_MISS_MIN_ZIPF = 4.0
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Lexicon:
    zipf: dict[str, float]  # lower-case word -> Zipf frequency
    spelling: dict[str, str]  # lower-case glossary word -> its spelling
    roots: frozenset[str] = frozenset()  # root words (Sastrawi's kata dasar)
    stem: Callable[[str], str] | None = None  # a lower-case word's root (Sastrawi's stemmer)
    standard: dict[str, str] = field(default_factory=dict)  # non-standard form -> standard (baku.py)
    _known: dict[str, bool] = field(default_factory=dict, repr=False)

    def listed(self, key: str) -> bool:
        """Whether a lower-case word is in a word list (the frequencies or the root words)."""
        return key in self.zipf or key in self.roots

    def knows(self, key: str) -> bool:
        """Whether a lower-case word is a word: listed, or an affixed form of a common root."""
        if self.listed(key):
            return True
        if self.stem is None:
            return False
        if key not in self._known:
            root = self.stem(key)
            self._known[key] = (
                root != key and root in self.roots and len(root) >= STEM_MIN_LETTERS
                and self.zipf.get(root, 0.0) >= MIN_ZIPF
            )  # fmt: skip
        return self._known[key]


def sastrawi_roots() -> frozenset[str]:
    """Sastrawi's root-word dictionary (kata dasar), as its stemmer uses it."""
    import Sastrawi

    path = Path(Sastrawi.__file__).parent / "Stemmer" / "data" / "kata-dasar.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


def load_lexicon(language: str | None, glossary: list[str] | tuple[str, ...] = ()) -> Lexicon | None:
    """The lexicon for a transcript language, or None where there is none."""
    if language not in LANGUAGES:
        return None
    import wordfreq
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    zipf = {w: math.log10(f) + 9 for w, f in wordfreq.get_frequency_dict(language).items() if f > 0}
    spelling = {}
    for term in glossary:
        for word in term.split():
            key = word.lower()
            if key.isalpha():
                zipf.setdefault(key, 0.0)  # known, however rare
                spelling[key] = word
    standard = {form: std for form, std in baku.load_table().items() if form not in spelling}  # the glossary wins
    stemmer = StemmerFactory().create_stemmer()
    return Lexicon(zipf, spelling, sastrawi_roots(), stemmer.stem, standard)


def _one_edit(word: str) -> tuple[set[str], set[str], set[str]]:
    """Words one edit away: by a substitution or transposition, an insertion, a deletion."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    substituted = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    transposed = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    inserted = {a + c + b for a, b in splits for c in _LETTERS}
    deleted = {a + b[1:] for a, b in splits if b}
    return (substituted | transposed) - {word}, inserted, deleted


def repair(key: str, lexicon: Lexicon, min_zipf: float = MIN_ZIPF) -> str | None:
    """The word at least min_zipf common that a lower-case word most likely misses by one letter.

    A final "h" unheard first: Indonesian says it weakly ("rupia", "pili", "bersi" are
    "rupiah", "pilih", "bersih", not "rusia", "pipi", "versi"). Then the same length: a
    letter heard wrong (final "b" heard as "p": "tertip") is the commonest miss, and a
    longer word is often another word ("tertipu"). Of several, the most common.
    """
    if not key.endswith("h") and lexicon.zipf.get(key + "h", 0.0) >= min_zipf:
        return key + "h"
    for edits in _one_edit(key):
        candidates = [c for c in edits if lexicon.zipf.get(c, 0.0) >= min_zipf]
        if candidates:
            return max(candidates, key=lambda c: (lexicon.zipf[c], c))
    return None


def respell(word: str, lexicon: Lexicon, sentence_start: bool) -> str:
    """word (with any surrounding punctuation) repaired, or unchanged."""
    match = LETTERS_RE.match(word)
    if not match:
        return word
    prefix, core, suffix = match.groups()
    key = core.lower()
    if len(key) < MIN_LETTERS or key in lexicon.spelling or not key.isascii():
        return word
    if lexicon.listed(key):
        return word
    same_length, longer, shorter = _one_edit(key)
    terms = [c for c in same_length | longer | shorter if c in lexicon.spelling]
    if terms:  # a near miss of a glossary term, even a name's, even at a sentence's start or in capitals
        best = max(terms, key=lambda c: (lexicon.zipf[c], c))
    elif core.isupper():
        return word  # an acronym
    elif core[0].isupper() and not sentence_start or lexicon.knows(key):
        return word  # a name (no word list has it), or a known affixed form
    elif (repaired := repair(key, lexicon)) is not None:
        best = lexicon.standard.get(repaired, repaired)  # in its standard spelling: "personil" -> "personel"
    else:
        parts = split_in_two(key, lexicon)
        if parts is None:
            return word
        first = parts[0].capitalize() if core[0].isupper() else parts[0]
        return f"{prefix}{first} {parts[1]}{suffix}"
    fixed = lexicon.spelling.get(best) or (best.capitalize() if core[0].isupper() else best)
    return prefix + fixed + suffix


# Clitics written together with the word before them ("timnya", "dialah"): never split off.
_CLITICS = frozenset(["nya", "lah", "kah", "tah", "mu", "ku"])


def split_in_two(key: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """Two common words that a lower-case word is run together from ("bagitimnya" -> "bagi timnya").

    Each part has SPLIT_MIN_LETTERS letters or more and is at least SPLIT_MIN_ZIPF common
    (the second may be an affixed form the lexicon knows); of several splits, the one
    whose rarer part is commonest. Short parts are too often a name's syllables ("Mug abe").
    """
    best, best_score = None, SPLIT_MIN_ZIPF
    for k in range(SPLIT_MIN_LETTERS, len(key) - SPLIT_MIN_LETTERS + 1):
        a, b = key[:k], key[k:]
        if b in _CLITICS:
            continue
        score = min(lexicon.zipf.get(a, 0.0), lexicon.zipf.get(b, SPLIT_MIN_ZIPF if lexicon.knows(b) else 0.0))
        if score >= best_score:
            best, best_score = (a, b), score
    return best or _split_with_a_miss(key, lexicon)


def _split_with_a_miss(key: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """A common word run together with a one-letter miss of another ("riburupia" -> "ribu rupiah").

    The miss has SPLIT_MISS_MIN_LETTERS letters or more and its repair is at least
    SPLIT_MISS_MIN_ZIPF common; of several splits, the one whose rarer word is commonest.
    """
    best, best_score = None, SPLIT_MISS_MIN_ZIPF
    for k in range(SPLIT_MIN_LETTERS, len(key) - SPLIT_MISS_MIN_LETTERS + 1):
        a, missed = key[:k], key[k:]
        b = repair(missed, lexicon, SPLIT_MISS_MIN_ZIPF) if lexicon.zipf.get(a, 0.0) >= SPLIT_MIN_ZIPF else None
        if b and (score := min(lexicon.zipf[a], lexicon.zipf[b])) >= best_score:
            best, best_score = (a, b), score
    return best


# Places "di" stands before as a preposition, however common the joined form is on the web ("disini").
_PLACE_WORDS = frozenset(
    "sini sana situ mana antara atas bawah dalam luar depan belakang samping tengah sekitar".split()
)


def _passive(a: str, b: str, lexicon: Lexicon) -> bool:
    """Whether "di" + b is a passive verb written apart ("di sambut", "di tetapkan").

    The joined form must be the prefix di- on b's root (Sastrawi's stemmer), no root word
    itself ("divisi", "dinas"), and at least as common as b alone: "di rumah" stays, since
    "dirumah" is far rarer than "rumah"; so do places ("di sini", "di antaranya").
    """
    if a != "di" or lexicon.stem is None:
        return False
    root = lexicon.stem(b)
    if root in _PLACE_WORDS:
        return False
    joined = a + b
    as_common = lexicon.zipf.get(joined, 0.0) >= lexicon.zipf.get(b, 0.0)
    return as_common and joined not in lexicon.roots and lexicon.stem(joined) == root


def join_words(words: list[str], lexicon: Lexicon) -> list[str]:
    """Two words that are one common word cut in two ("atrak si", "ke hormatan", "di sambut"), joined.

    A pair is joined when the two together are at least SPLIT_MIN_ZIPF common and one of its
    halves is in no word list ("si", "hormatan": an affixed form the stemmer knows is not
    enough here), or the pair is a passive verb written apart (_passive). The second word's
    place is left "" so that the list keeps its length (the caller merges the timings).
    """
    out = list(words)
    i = 0
    while i + 1 < len(out):
        first, second = LETTERS_RE.match(out[i]), LETTERS_RE.match(out[i + 1])
        if first and second and not first.group(3) and not second.group(1) and not second.group(2)[0].isupper():
            a, b = first.group(2).lower(), second.group(2).lower()
            joined = a + b
            cut = not (lexicon.listed(a) and lexicon.listed(b)) or _passive(a, b, lexicon)
            if cut and len(joined) >= 6 and lexicon.zipf.get(joined, 0.0) >= SPLIT_MIN_ZIPF:
                core = joined.capitalize() if first.group(2)[0].isupper() else joined
                out[i], out[i + 1] = first.group(1) + core + second.group(3), ""
                i += 2
                continue
        i += 1
    return out


def respell_words(words: list[str], lexicon: Lexicon) -> list[str]:
    """Each word of a running text repaired; a word after a sentence's end starts one."""
    out = []
    for i, word in enumerate(words):
        sentence_start = i == 0 or ends_sentence(words[i - 1])
        out.append(respell(word, lexicon, sentence_start))
    return out
