"""The text stage's rules, applied to the model's words in this order, timings kept:

1. glossary terms in the glossary's spelling ("Kpu," -> "KPU,");
2. standard (baku) spelling (text.baku) and spelling repair (text.spelling): Indonesian, when the show's
   `spelling` is on;
3. one casing per word form (text.casing) and numbers, dates, times and money as digits (text.itn,
   when the show's `itn` is on): Indonesian.

The transcript stage keeps the model's raw words; this stage makes the captions from them. A change to
a rule here bumps TEXT_VERSION, which re-runs this stage (seconds per episode, no model) and never the
transcription.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

from ..transcribe.model import Segment, Transcript, Word
from . import casing, itn
from .baku import standardize_words
from .spelling import Lexicon, join_words, load_lexicon, respell_words
from .words import bare, parts

# Bump when a rule here (or in baku, spelling, casing, itn and their tables) changes what is written.
# 1: the rules as they were when they left the transcription (TRANSCRIBER_VERSION 12).
TEXT_VERSION = "1"


def normalize_transcript(transcript: Transcript, glossary: Sequence[str] = (), spelling: bool = True,
                         itn_on: bool = True) -> Transcript:
    """The transcript as the caption files show it (see the module's rules)."""
    glossary = [t for t in glossary if t and t.strip()]
    segments = apply_glossary(transcript.segments, glossary)
    if spelling and (lexicon := load_lexicon(transcript.language, glossary)):
        segments = correct_spelling(standardize_spelling(segments, lexicon), lexicon)
    transcript = dataclasses.replace(transcript, segments=segments)
    if transcript.language != "id":
        return transcript
    transcript = casing.recase_transcript(transcript, glossary)
    return itn.normalize_transcript(transcript) if itn_on else transcript


def _replace_words(segments: list[Segment], change: Callable[[list[str]], list[str]]) -> list[Segment]:
    """Segments whose words' text is change(all words' text in order); timings kept."""
    fixed = iter(change([w.word for s in segments for w in s.words]))
    out = []
    for s in segments:
        words = [dataclasses.replace(w, word=next(fixed)) for w in s.words]
        out.append(Segment(s.start, s.end, " ".join(w.word for w in words) if words else s.text, words))
    return out


def apply_glossary(segments: list[Segment], glossary: list[str]) -> list[Segment]:
    """Spell one-word glossary terms the glossary's way ("Kpu," becomes "KPU,")."""
    terms = {bare(t): t.strip() for t in glossary if t and len(t.split()) == 1}
    if not terms:
        return segments

    def spell(word: str) -> str:
        prefix, core, suffix = parts(word)
        term = terms.get(bare(core))
        return prefix + term + suffix if term else word

    return _replace_words(segments, lambda words: [spell(w) for w in words])


def _split_word(word: Word) -> list[Word]:
    """A word whose text became several ("bagi timnya"), as words sharing its time by letters."""
    parts = word.word.split()
    if len(parts) < 2:
        return [word]
    total = sum(len(p) for p in parts)
    out, start, done = [], word.start, 0
    for part in parts:
        done += len(part)
        end = round(word.start + (word.end - word.start) * done / total, 3)
        out.append(dataclasses.replace(word, start=start, end=end, word=part))
        start = end
    return out


def _join_words(segment: Segment, lexicon: Lexicon) -> Segment:
    """The segment with spelling.join_words applied: a joined word spans both words' time."""
    joined = join_words([w.word for w in segment.words], lexicon)
    if "" not in joined:
        return segment
    words: list[Word] = []
    for word, text in zip(segment.words, joined):
        if text:
            words.append(dataclasses.replace(word, word=text))
        else:
            last = words[-1]
            words[-1] = dataclasses.replace(last, end=word.end, probability=min(last.probability, word.probability))
    return dataclasses.replace(segment, text=" ".join(w.word for w in words), words=words)


def _split_words(segments: list[Segment]) -> list[Segment]:
    """Segments whose words that became two ("di mana", "bagi timnya") are two words sharing the time."""
    return [dataclasses.replace(s, words=[p for w in s.words for p in _split_word(w)]) for s in segments]


def standardize_spelling(segments: list[Segment], lexicon: Lexicon) -> list[Segment]:
    """Words in their standard (baku) spelling (text.baku), timings kept (shared when one becomes two)."""
    return _split_words(_replace_words(segments, lambda words: standardize_words(words, lexicon.standard,
                                                                                 lexicon.listed)))


def correct_spelling(segments: list[Segment], lexicon: Lexicon) -> list[Segment]:
    """Words repaired by spelling.join_words and respell_words, timings kept (shared when a word is split in two)."""
    segments = [_join_words(s, lexicon) for s in segments]
    return _split_words(_replace_words(segments, lambda words: respell_words(words, lexicon)))
