"""A transcript's words as the text rules see them: letters between punctuation ("(KPU)," is "(", "KPU",
"),"), compared without case or punctuation."""

from __future__ import annotations

import re
import unicodedata

# A word of letters only, with the punctuation before and after it: the words the spelling, standard
# spelling and casing rules look at (words with digits or inner punctuation are left alone).
LETTERS_RE = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_PARTS_RE = re.compile(r"^(\W*)(.*?)(\W*)$")


def parts(word: str) -> tuple[str, str, str]:
    """(punctuation before, the word, punctuation after) of any word."""
    return _PARTS_RE.match(word).groups()


def bare(word: str) -> str:
    """The word compared as a key: NFKC, lower case, letters and digits only ("Kpu," -> "kpu")."""
    return re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", word).lower())
