"""Text rules shared by the caption builder and the highlight picker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# . ! ? or … (so also "?!" and "..."), then any closing quotes or brackets: `benar.”` `(ya.)` `itu.’`
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_END_CHARS = frozenset(".!?…\"'”’)]")  # a word ending a sentence ends in one of these


def ends_sentence(text: str) -> bool:
    """Whether `text` (a word, or a whole line) ends a sentence."""
    return bool(_SENTENCE_END.search(text.rstrip()))


@dataclass(frozen=True)
class Sentence:
    start: float  # seconds: when its first word is heard
    end: float
    text: str


def sentences_from_cues(cues: Iterable[tuple[float, float, str]]) -> list[Sentence]:
    """Caption cues (start, end, text) regrouped into sentences.

    A cue may end one sentence and start the next; a sentence starting inside a cue gets a
    time between the cue's start and end in proportion to the characters before it.
    """
    found: list[Sentence] = []
    words: list[str] = []
    start = end = 0.0
    for cue_start, cue_end, text in cues:
        cue_words = text.split()
        total = max(1, sum(len(w) + 1 for w in cue_words))
        done = 0
        for word in cue_words:
            at = cue_start + (cue_end - cue_start) * done / total
            done += len(word) + 1
            if not words:
                start = at
            words.append(word)
            end = cue_start + (cue_end - cue_start) * done / total
            if word[-1] in _END_CHARS and ends_sentence(word):
                found.append(Sentence(round(start, 3), round(end, 3), " ".join(words)))
                words = []
    if words:
        found.append(Sentence(round(start, 3), round(end, 3), " ".join(words)))
    return found
