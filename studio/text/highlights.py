"""Highlights: which stretches of an episode become clips (DESIGN.md, "Clips").

`pick_highlights` chooses up to three 20-60 s stretches automatically from the
transcript: whole sentences only, dense in speech, preferring sentences that
name glossary terms (KPU, DPT, TPS...), after the music intro and without
overlapping one another. `validate_range` checks a range a producer typed.
Both are pure functions of their arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..errors import BadInput
from .sentences import ends_sentence

Cue = tuple[float, float, str]  # (start s, end s, text); text may hold "\n" between lines

MIN_CLIP_S = 15.0  # DESIGN.md: clips are 15 to 90 seconds
MAX_CLIP_S = 90.0
AUTO_MIN_S = 20.0  # automatic highlights are 20 to 60 seconds
AUTO_MAX_S = 60.0
TITLE_CHARS = 60
# Silence kept around the speech, taken only from the gap to the neighbouring sentence.
LEAD_IN_S = 0.25
TAIL_OUT_S = 0.5
# A pause this long inside a candidate means music or a change of topic: the
# stretch is not one passage.
MAX_PAUSE_S = 4.0
GLOSSARY_WEIGHT = 0.12  # score per distinct glossary term, up to GLOSSARY_CAP terms
GLOSSARY_CAP = 4


@dataclass(frozen=True)
class Highlight:
    start: float
    end: float
    title: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str
    speech: float  # seconds covered by the cues that make it up


def validate_range(start: float, end: float, duration: float) -> None:
    """BadInput (exit 2) unless start..end is a usable clip of a `duration`-second episode."""
    if start < 0:
        raise BadInput(f"clip start {start:.2f} s is before the beginning of the episode")
    if end <= start:
        raise BadInput(f"clip end {end:.2f} s is not after its start {start:.2f} s")
    if end > duration + 0.001:
        raise BadInput(f"clip end {end:.2f} s is past the end of the episode ({duration:.2f} s)")
    length = end - start
    if length > MAX_CLIP_S:
        raise BadInput(f"clip is {length:.1f} s long; clips are at most {MAX_CLIP_S:.0f} s")
    if length < MIN_CLIP_S:
        raise BadInput(f"clip is {length:.1f} s long; clips are at least {MIN_CLIP_S:.0f} s")


def sentences(cues: Iterable[Cue]) -> list[Sentence]:
    """Join cues (or transcript segments) into sentences (see `text.ends_sentence`)."""
    result: list[Sentence] = []
    parts: list[str] = []
    start = speech = 0.0
    end = 0.0
    for cue_start, cue_end, text in sorted(cues, key=lambda c: (c[0], c[1])):
        words = " ".join(text.split())
        if not words:
            continue
        if not parts:
            start, speech = cue_start, 0.0
        parts.append(words)
        end = max(end, cue_end) if parts[1:] else cue_end
        speech += max(0.0, cue_end - cue_start)
        if ends_sentence(words):
            result.append(Sentence(start, end, " ".join(parts), speech))
            parts = []
    # A trailing fragment without final punctuation is not a sentence boundary: dropped.
    return result


def make_title(text: str, limit: int = TITLE_CHARS) -> str:
    """The first sentence of `text`, cut at a word boundary to about `limit` characters."""
    words = text.split()
    length = next((i + 1 for i, word in enumerate(words) if ends_sentence(word)), len(words))
    first = " ".join(words[:length])
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0] if " " in first[: limit - 1] else first[: limit - 1]
    return cut.rstrip(" ,;:-–—") + "…"


# Hesitations dropped anywhere in a title; discourse words dropped from its start (spoken links, not a title's).
HESITATIONS = frozenset({"eh", "ehm", "em", "emm", "hmm", "hm", "mm", "anu", "e"})
OPENERS = frozenset({"nah", "ya", "yah", "oke", "ok", "okay", "baik", "baiklah", "jadi", "terus", "kemudian", "lalu",
                     "dan", "tapi", "tetapi", "namun", "sehingga", "karena", "bahwa", "yang", "kan", "gitu", "begitu",
                     "nih", "itu", "sekarang", "nanti", "kemudian", "selanjutnya", "lah", "pun", "sih"})
# Words a title does not end on (it would read as cut off).
DANGLING = frozenset({"dan", "yang", "di", "ke", "dari", "untuk", "dengan", "atau", "para", "dalam", "pada", "akan",
                      "bahwa", "oleh", "karena", "agar", "supaya", "serta", "juga", "ini", "itu", "adalah", "sebagai",
                      "bagi", "tentang", "seperti", "kita", "kami", "saat", "ketika", "tapi", "namun", "atas"})
TITLE_MIN_WORDS = 4


def _bare(word: str) -> str:
    return word.strip(".,;:!?…\"'()[]-–—").lower()


def clean_title(text: str, limit: int = TITLE_CHARS) -> str:
    """A clip's title made from the first sentence of `text`, as a person would title it: hesitations and the spoken
    links at its start dropped ("Jadi, eh, pemilih…" → "Pemilih…"), its first letter capital, no final full
    stop; a sentence longer than `limit` characters cut at a comma, else after a word a title can end on
    (with "…")."""
    words = [w for w in text.split() if _bare(w) not in HESITATIONS or not _bare(w)]
    while len(words) > TITLE_MIN_WORDS and _bare(words[0]) in OPENERS:
        words.pop(0)
    words = words[:next((i + 1 for i, word in enumerate(words) if ends_sentence(word)), len(words))]
    sentence = " ".join(words).strip(" ,;:-–—")
    if not sentence:
        return ""
    sentence = sentence[0].upper() + sentence[1:]
    if len(sentence) <= limit:
        return sentence.rstrip(".").rstrip(" ,;:")
    head = sentence[:limit]
    comma = head.rfind(",")
    if comma >= limit // 2:
        return head[:comma].rstrip()
    kept = head.rsplit(" ", 1)[0].split() if " " in head else [head]
    while len(kept) > 2 and (_bare(kept[-1]) in DANGLING or not _bare(kept[-1])):
        kept.pop()
    return " ".join(kept).rstrip(" ,;:-–—.") + "…"


def title_from(texts: Sequence[str], limit: int = TITLE_CHARS) -> str:
    """The title of a stretch of sentences: from the first of its first three sentences that has
    TITLE_MIN_WORDS words once cleaned (a short "Baik." or "Terima kasih." says nothing), else its first."""
    titles = [clean_title(text, limit) for text in texts[:3]]
    return next((t for t in titles if len(t.split()) >= TITLE_MIN_WORDS), titles[0] if titles else "")


def glossary_terms(text: str, glossary: Sequence[str]) -> set[str]:
    """The glossary terms that occur in `text` as whole words (case-insensitive)."""
    found = set()
    for term in glossary:
        term = term.strip()
        if term and re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            found.add(term.lower())
    return found


@dataclass(frozen=True)
class _Candidate:
    start: float
    end: float
    first: int  # index of the first sentence
    last: int
    score: float


def pick_highlights(
    cues_or_segments: Iterable[Cue],
    glossary: Sequence[str],
    duration: float,
    music_intro_end: float,
    max_count: int = 3,
) -> list[Highlight]:
    """Up to `max_count` non-overlapping highlights, in episode order.

    Every candidate runs from the start of one sentence to the end of a later
    one (plus a little of the silence around them), lasts 20-60 s, starts after
    `music_intro_end` and has no long pause inside. Candidates are scored by
    how much of them is speech plus a bonus per distinct glossary term, and
    the best ones that do not overlap are kept.
    """
    found = sentences(cues_or_segments)
    candidates: list[_Candidate] = []
    for i, first in enumerate(found):
        if first.start < music_intro_end:
            continue
        start = _padded_start(found, i, music_intro_end)
        speech = 0.0
        for j in range(i, len(found)):
            sentence = found[j]
            if j > i and sentence.start - found[j - 1].end > MAX_PAUSE_S:
                break
            speech += sentence.speech
            end = _padded_end(found, j, duration)
            length = end - start
            if length > AUTO_MAX_S:
                break
            if length < AUTO_MIN_S:
                continue
            text = " ".join(s.text for s in found[i : j + 1])
            terms = len(glossary_terms(text, glossary))
            density = min(1.0, speech / length)
            score = density + GLOSSARY_WEIGHT * min(terms, GLOSSARY_CAP)
            candidates.append(_Candidate(start, end, i, j, score))
    # Best score first; on a tie the longer stretch (more context), then the earlier one.
    candidates.sort(key=lambda c: (-round(c.score, 6), -(c.end - c.start), c.start))
    chosen: list[_Candidate] = []
    for candidate in candidates:
        if len(chosen) >= max_count:
            break
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: c.start)
    return [
        Highlight(round(c.start, 3), round(c.end, 3), title_from([s.text for s in found[c.first:c.last + 1]]))
        for c in chosen
    ]


def _padded_start(found: list[Sentence], i: int, floor: float) -> float:
    previous_end = found[i - 1].end if i > 0 else 0.0
    return max(found[i].start - LEAD_IN_S, previous_end, floor, 0.0)


def _padded_end(found: list[Sentence], j: int, duration: float) -> float:
    next_start = found[j + 1].start if j + 1 < len(found) else duration
    return min(found[j].end + TAIL_OUT_S, next_start, duration)
