"""Chapters: the producer's from episode.toml, else found at topic changes in the transcript.

Automatic chapters use lexical cohesion, as TextTiling (Hearst 1997) does: at every
sentence start, the words (Indonesian stop words left out) of a window of sentences
before it are compared with those of a window after it (cosine similarity). Where the
topic changes the two windows share few words, so the similarity dips; a dip's depth
(how far it lies below the highest similarity on each side) scores the boundary. The
deepest dips become chapter starts, as many as the episode's length allows (3 to 12
an hour) and never closer than `min_chapter_s` to each other or to either end.

A chapter is titled with its most central sentence, as a person would title it: each sentence is a
tf-idf vector of its content words (idf over the episode's sentences), and the sentence with the highest
mean cosine to the chapter's other sentences says best what the chapter is about. It is cleaned (filler
words such as "ya", "jadi", "nah" left off its start, glossary terms in their own spelling) and shortened to
at most TITLE_CHARS characters at a word boundary. A chapter with no sentence of enough content words is
titled with its most distinctive terms instead (tf-idf over the chapters; glossary terms count double, word
pairs are tried as key phrases).

`chapters.json` is the Podcasting 2.0 chapters format (version 1.2.0):
    {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "..."}, ...]}
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable, Sequence

from ..data import STOPWORDS_ID
from ..errors import BadInput
from .sentences import Sentence

CHAPTERS_VERSION = "1.2.0"
MIN_CHAPTER_S = 120.0
CHAPTERS_PER_HOUR = (3, 12)
WINDOW_WORDS = 60  # content words on each side of a candidate boundary
TITLE_CHARS = 60
TITLE_MIN_CONTENT_WORDS = 3  # a shorter sentence ("Ya, betul.") never titles a chapter
# Words a spoken sentence starts with that no title starts with.
FILLER_STARTS = frozenset(
    "ya iya yah oke ok okay baik baiklah nah jadi jadinya eh ehm em emm hmm mm oh anu terus lalu kemudian dan "
    "tapi tetapi namun makanya gitu begitu kan sih nah selanjutnya berikutnya".split())
_WORD = re.compile(r"[0-9a-zà-ÿ]+(?:-[0-9a-zà-ÿ]+)*")


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@cache
def stop_words() -> frozenset[str]:
    text = STOPWORDS_ID.read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


def content_words(text: str) -> list[str]:
    """Lower-case words without stop words, numbers or one- and two-letter words; -nya/-lah/-kah cut off."""
    stops = stop_words()
    words = []
    for word in _WORD.findall(text.lower()):
        for suffix in ("nya", "lah", "kah"):
            if word.endswith(suffix) and len(word) > len(suffix) + 3:
                word = word[: -len(suffix)]
                break
        if len(word) > 2 and not word.isdigit() and word not in stops:
            words.append(word)
    return words


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _window(words: Sequence[list[str]], index: int, step: int) -> Counter:
    """The content words of sentences from `index` going `step` (+1 or -1) until WINDOW_WORDS are taken."""
    bag: Counter = Counter()
    taken = 0
    while 0 <= index < len(words) and taken < WINDOW_WORDS:
        bag.update(words[index])
        taken += len(words[index])
        index += step
    return bag


def depth_scores(sentences: Sequence[Sentence]) -> list[float]:
    """For each sentence i (i >= 1), how deep the lexical-cohesion dip is just before it."""
    words = [content_words(s.text) for s in sentences]
    gaps = [1.0] + [_cosine(_window(words, i - 1, -1), _window(words, i, +1)) for i in range(1, len(sentences))]
    depths = [0.0] * len(sentences)
    for i in range(1, len(sentences)):
        left = gaps[i]
        j = i - 1
        while j >= 1 and gaps[j] >= left:
            left = gaps[j]
            j -= 1
        right = gaps[i]
        j = i + 1
        while j < len(gaps) and gaps[j] >= right:
            right = gaps[j]
            j += 1
        depths[i] = (left - gaps[i]) + (right - gaps[i])
    return depths


def chapter_count_range(duration: float, min_chapter_s: float = MIN_CHAPTER_S,
                        per_hour: tuple[float, float] = CHAPTERS_PER_HOUR) -> tuple[int, int]:
    """How many chapters an episode of `duration` seconds gets: 3 to 12 an hour, each `min_chapter_s` long."""
    fitting = max(1, int(duration // min_chapter_s))
    low = min(fitting, max(1, math.ceil(per_hour[0] * duration / 3600)))
    high = min(fitting, max(1, math.floor(per_hour[1] * duration / 3600)))
    return low, max(low, high)


def find_boundaries(sentences: Sequence[Sentence], duration: float, min_chapter_s: float = MIN_CHAPTER_S,
                    per_hour: tuple[float, float] = CHAPTERS_PER_HOUR) -> list[float]:
    """Chapter start times after 0 at the deepest topic changes, within the count and length limits."""
    if len(sentences) < 2:
        return []
    low, high = chapter_count_range(duration, min_chapter_s, per_hour)
    depths = depth_scores(sentences)
    scored = [d for d in depths[1:] if d > 0]
    cutoff = (sum(scored) / len(scored) if scored else 0.0)
    if scored:  # TextTiling's cutoff: mean minus half the standard deviation of the depths
        cutoff -= math.sqrt(sum((d - cutoff) ** 2 for d in scored) / len(scored)) / 2
    chosen: list[float] = []
    for depth, i in sorted(((depths[i], i) for i in range(1, len(sentences))), reverse=True):
        if len(chosen) + 1 >= high or depth <= 0:
            break
        if depth < cutoff and len(chosen) + 1 >= low:
            break
        at = sentences[i].start
        if at < min_chapter_s or duration - at < min_chapter_s:
            continue
        if any(abs(at - other) < min_chapter_s for other in chosen):
            continue
        chosen.append(at)
    return sorted(chosen)


def _terms(text: str, glossary: Iterable[str]) -> Counter:
    """Term counts of a stretch of text: content words, pairs of adjacent content words, glossary terms."""
    lowered = f" {' '.join(_WORD.findall(text.lower()))} "
    words = content_words(text)
    terms: Counter = Counter(words)
    terms.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    for term in glossary:
        key = " ".join(_WORD.findall(term.lower()))
        if key and (count := lowered.count(f" {key} ")):
            terms[key] = count
    return terms


def title_chapters(texts: Sequence[str], glossary: Sequence[str] = (), terms_per_title: int = 3) -> list[str]:
    """A title for each chapter's text: its most distinctive terms (tf-idf across the chapters)."""
    glossed = {" ".join(_WORD.findall(g.lower())): g for g in glossary}
    counted = [_terms(text, glossary) for text in texts]
    documents = Counter(term for terms in counted for term in terms)
    titles = []
    for terms in counted:
        def score(term: str) -> float:
            idf = math.log((1 + len(counted)) / documents[term]) + 1
            boost = 2.0 if term in glossed else (1.3 if " " in term else 1.0)
            return terms[term] * idf * boost

        picked: list[str] = []
        for term in sorted((t for t in terms if terms[t] > 1 or t in glossed), key=lambda t: (-score(t), t)):
            if any(term in other or other in term for other in picked):
                continue
            picked.append(term)
            if len(picked) == terms_per_title:
                break
        words = [glossed.get(term, term) for term in picked]
        title = ", ".join(words)
        titles.append(title[:1].upper() + title[1:] if title else "")
    return titles


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def central_sentences(chapters: Sequence[Sequence[str]], corpus: Sequence[str] = ()) -> list[str | None]:
    """Each chapter's most central sentence: the highest mean tf-idf cosine to the chapter's other sentences
    (idf over every sentence of `chapters` and `corpus`); None for a chapter with no sentence of
    TITLE_MIN_CONTENT_WORDS content words. The mean of a unit vector's cosines to the others is its dot
    product with their sum, so a chapter costs one pass, however long."""
    every = [s for chapter in chapters for s in chapter] + list(corpus)
    bags = {s: Counter(content_words(s)) for s in every}
    documents = Counter(word for bag in bags.values() for word in bag)
    idf = {word: math.log((1 + len(bags)) / (1 + count)) + 1 for word, count in documents.items()}
    found: list[str | None] = []
    for chapter in chapters:
        units = [_unit({w: c * idf[w] for w, c in bags[s].items()}) for s in chapter]
        total: Counter = Counter()
        for unit in units:
            total.update(unit)
        best, best_score = None, -1.0
        for sentence, unit in zip(chapter, units):
            if sum(bags[sentence].values()) < TITLE_MIN_CONTENT_WORDS:
                continue
            score = sum(v * (total[w] - v) for w, v in unit.items())
            if score > best_score + 1e-12:
                best, best_score = sentence, score
        found.append(best)
    return found


def sentence_title(sentence: str, glossary: Sequence[str] = (), limit: int = TITLE_CHARS) -> str:
    """A sentence as a chapter title: no filler words at its start, no end punctuation, not all in capitals,
    glossary terms in their own spelling, a capital first letter, cut at a word boundary to at most `limit` characters ("…" ending)."""
    words = sentence.split()
    while len(words) > 1 and words[0].lower().strip(",.;:!?…-\"'") in FILLER_STARTS:
        words.pop(0)
    text = " ".join(words).strip(" ,.;:!?…-\"'")
    if len(words) > 2 and text.isupper():  # a sentence in capitals reads as shouting in a title
        text = text.lower()
    for term in glossary:
        if term.strip():
            text = re.sub(rf"(?<![\w-]){re.escape(term.strip())}(?![\w-])", term.strip(), text, flags=re.IGNORECASE)
    if len(text) > limit:
        kept = text[:limit - 1]  # and room for the "…"
        if text[limit - 1] != " " and " " in kept:  # cut inside a word: the word goes
            kept = kept.rsplit(" ", 1)[0]
        words = kept.split()
        stops = stop_words()
        while len(words) > 2 and words[-1].lower().strip(",.;:!?") in stops:  # no "… dan" at the end
            words.pop()
        text = " ".join(words).rstrip(" ,.;:!?-") + "…"
    return text[:1].upper() + text[1:]


def auto_chapters(sentences: Sequence[Sentence], duration: float, glossary: Sequence[str] = (),
                  min_chapter_s: float = MIN_CHAPTER_S) -> list[Chapter]:
    """Chapters found at topic changes; one chapter (from 0) when the episode is too short to split. Each is
    titled with its most central sentence (keywords when it has none)."""
    if not sentences:
        return []
    starts = [0.0] + find_boundaries(sentences, duration, min_chapter_s)
    groups = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else math.inf
        groups.append([s.text for s in sentences if start <= s.start < end])
    keywords = title_chapters([" ".join(group) for group in groups], glossary)
    titles = [sentence_title(central, glossary) if central else keyword
              for central, keyword in zip(central_sentences(groups), keywords)]
    return [Chapter(start=round(start, 3), title=title or f"Bagian {n + 1}")
            for n, (start, title) in enumerate(zip(starts, titles))]


def parse_seconds(value: object) -> float | None:
    """A time as seconds (a number) or "[HH:]MM:SS[.s]"; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            total = 0.0
            for part in value.strip().split(":"):
                total = total * 60 + float(part)
            return total
        except ValueError:
            return None
    return None


def producer_chapters(entries: Sequence[dict], duration: float, episode_id: str = "") -> list[Chapter]:
    """The `[[chapters]]` of episode.toml (start in seconds or "[HH:]MM:SS", title), checked and sorted."""
    found = []
    where = f"{episode_id}: " if episode_id else ""
    for n, entry in enumerate(entries, start=1):
        start = parse_seconds(entry.get("start")) if isinstance(entry, dict) else None
        title = str(entry.get("title", "")).strip() if isinstance(entry, dict) else ""
        if start is None or not math.isfinite(start) or start < 0 or (duration and start >= duration):
            raise BadInput(f"{where}chapter {n} in episode.toml: start must be a time within the recording "
                           f"(seconds or MM:SS), got {entry.get('start') if isinstance(entry, dict) else entry!r}")
        if not title:
            raise BadInput(f"{where}chapter {n} in episode.toml has no title")
        found.append(Chapter(start=round(start, 3), title=title))
    found.sort(key=lambda c: c.start)
    return found


def render_json(chapters: Sequence[Chapter]) -> str:
    """Podcasting 2.0 chapters JSON."""
    items = [{"startTime": c.start, "title": c.title} for c in chapters]
    return json.dumps({"version": CHAPTERS_VERSION, "chapters": items}, ensure_ascii=False, indent=1) + "\n"


def read_chapters(path: Path) -> list[Chapter]:
    """The chapters of a chapters.json file ([] when there is none or it cannot be read)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Chapter(start=float(c["startTime"]), title=str(c.get("title", ""))) for c in data["chapters"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
