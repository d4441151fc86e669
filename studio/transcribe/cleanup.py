"""Cleanup of decoded speech: segments invented over noise or music, repeated-phrase loops.

A repetition is only a loop within one speech span (a stretch of speech between pauses, as
voice activity detection found it): the same words said again after a pause, in another
span, are speech, such as a radio spot played twice.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import unicodedata
import zlib

from .model import Segment, Word
from .options import TranscribeOptions

Span = tuple[float, float]  # (start, end) seconds of one stretch of speech

# Text that Whisper produces on silence, music or noise (subtitle credits, video outros).
_HALLUCINATION_PATTERNS = [
    r"terima kasih (telah|sudah|karena|atas|untuk) (menonton|menyaksikan|mendengarkan)( video ini)?",
    r"(terima kasih|thanks|thank you) (for|telah) (watching|menonton)",
    r"(jangan lupa )?(like|subscribe|share)( (dan|and|,) (like|subscribe|share|comment))*( (channel|video) ini)?",
    r"sampai (jumpa|bertemu) (lagi )?(di|pada) (video|episode) (berikutnya|selanjutnya)",
    r"(subtitle|subtitles|sub|teks|terjemahan|diterjemahkan|transcribed|translated|captions?)( \w+)? (oleh|by) .*",
    r".*\bamara\.?org\b.*",
    r"(www|https?)?\S*\.(com|org|net)\S*",  # a web address alone
    r"(\W|music|musik|lagu|applause|tepuk tangan)*",
]
_HALLUCINATION_RE = re.compile(r"^(?:%s)$" % "|".join(_HALLUCINATION_PATTERNS))
# Short phrases that are real speech as often as hallucination: dropped only when the model
# was unsure there was speech at all.
_WEAK_PHRASES = {
    "terima kasih", "terima kasih banyak", "thank you", "thanks", "ya", "oke", "ok",
    "hmm", "hm", "eh", "ah", "uh", "sampai jumpa", "selamat tinggal", "you", "bye",
}  # fmt: skip


def _norm_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s.]", " ", text)
    text = re.sub(r"(?<!\w)\.|\.(?!\w)", " ", text)
    return " ".join(text.split())


def _norm_word(word: str) -> str:
    return re.sub(r"[^\w]", "", unicodedata.normalize("NFKC", word).lower())


def is_hallucination(text: str) -> bool:
    """Text that is only a known non-speech phrase (credits, outros, sound tags)."""
    return bool(_HALLUCINATION_RE.match(_norm_text(text)))


_WORD_LOOP_RE = re.compile(r"([^\W\d_]{2,}?)\1{2,}")


def _collapse_word_loop(word: Word) -> Word:
    if not _WORD_LOOP_RE.search(word.word):
        return word
    return dataclasses.replace(word, word=_WORD_LOOP_RE.sub(r"\1", word.word))


def span_ids(words: list, spans: list[Span]) -> list[int]:
    """The index of the speech span each word (anything with start and end) lies in.

    A word is placed by its middle, as faster-whisper places it when it maps times from the
    speech-only audio back to the recording. Without spans every word is in span 0.
    """
    starts = [start for start, _ in spans]
    return [max(0, bisect.bisect_right(starts, (w.start + w.end) / 2) - 1) if spans else 0 for w in words]


def remove_loops(
    words: list[Word],
    *,
    spans: list[int] | None = None,
    max_ngram: int = 15,
    min_repeats: int = 3,
    long_ngram: int = 5,
) -> list[Word]:
    """Collapse an n-gram repeated min_repeats or more times in a row to one occurrence.

    A phrase of long_ngram words or more said twice in a row is collapsed too: people do
    not repeat whole sentences word for word within one breath, while Whisper does when a
    chunk is short. Letters looping inside one word ("kongkongkong") collapse the same way.
    spans gives each word's speech span (see span_ids): repetitions are only looked for
    among the words of one span, so a phrase said again after a pause is kept.
    """
    words = [_collapse_word_loop(w) for w in words]
    keys = [_norm_word(w.word) for w in words]
    spans = spans if spans is not None else [0] * len(words)
    out: list[Word] = []
    out_keys: list[str] = []
    span_start = 0  # where the current span's words start in out
    i = 0
    while i < len(words):
        if i == 0 or spans[i] != spans[i - 1]:
            span_start = len(out)
        span = spans[i]
        out.append(words[i])
        out_keys.append(keys[i])
        i += 1
        # After each appended word, check whether the tail of the span's words is a loop.
        tail = out_keys[span_start:]
        for n in range(1, max_ngram + 1):
            needed = 2 if n >= long_ngram else min_repeats
            if len(tail) < n * needed:
                continue
            unit = tail[-n:]
            if not any(unit):
                continue
            repeats = 1
            while repeats * n + n <= len(tail) and tail[-(repeats + 1) * n : -repeats * n] == unit:
                repeats += 1
            if repeats >= needed:
                del out[-(repeats - 1) * n :]
                del out_keys[-(repeats - 1) * n :]
                # Swallow further repetitions that follow in the input, in the same span.
                while keys[i : i + n] == unit and spans[i : i + n] == [span] * n:
                    i += n
                break
    return out


def _segments_from_words(segments: list[Segment]) -> list[Segment]:
    """Re-derive text and bounds from words after words were removed; drop empty ones."""
    out = []
    for s in segments:
        if not s.words:
            continue
        text = " ".join(w.word for w in s.words).strip()
        if text:
            out.append(Segment(start=s.words[0].start, end=s.words[-1].end, text=text, words=s.words))
    return out


def clean_segments(segments: list[Segment], spans: list[Span] | None = None) -> list[Segment]:
    """Remove repeated-phrase loops (within each speech span) and hallucination-only segments.

    spans: the recording's speech spans in time order; None takes the whole recording as one.
    """
    segments = [dataclasses.replace(s, words=[_collapse_word_loop(w) for w in s.words]) for s in segments]
    words = [w for s in segments for w in s.words]
    kept = {id(w) for w in remove_loops(words, spans=span_ids(words, spans or []))}
    regrouped = [
        Segment(s.start, s.end, s.text, [w for w in s.words if id(w) in kept]) for s in segments
    ]
    return [s for s in _segments_from_words(regrouped) if not is_hallucination(s.text)]


# ---------------------------------------------------------------------------
# Filters on decoded segments


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def _loop_fraction(words: list[Word]) -> float:
    """Share of the words that are loop repetitions (3 or more times in a row)."""
    return 1 - len(remove_loops(words, long_ngram=len(words) + 1)) / len(words) if words else 0.0


def _too_repetitive(text: str, opts: TranscribeOptions) -> bool:
    """Normalized text that is mostly a loop, or that compresses too well once loops are collapsed."""
    words = [Word(0, 0, w, 1.0) for w in text.split()]
    if len(words) >= 3 and _loop_fraction(words) >= 0.5:
        return True
    return compression_ratio(" ".join(w.word for w in remove_loops(words))) > opts.compression_ratio_threshold


def _repeats_only_across_spans(seg, opts: TranscribeOptions, spans: list[Span]) -> bool:
    """Whether a segment over several speech spans is repetitive only as a whole: no span's words alone are."""
    words = seg.words or []
    ids = span_ids(words, spans)
    if len(set(ids)) < 2:
        return False
    by_span: dict[int, list] = {}
    for word, span in zip(words, ids):
        by_span.setdefault(span, []).append(word)
    return not any(_too_repetitive(_norm_text("".join(w.word for w in group)), opts) for group in by_span.values())


def keep_segment(seg, opts: TranscribeOptions, spans: list[Span] | None = None) -> bool:
    """Whether a decoded segment (a faster-whisper one) is speech, not text invented over noise or music.

    Whisper's own no-speech rule, then limits the batched decoder does not apply itself:
    too unsure, too repetitive, mostly a loop (what prompts and music bring out), or only
    a filler that the model was not sure was speech. A segment over several speech spans
    (spans: the times its words are in) that repeats itself only from span to span is kept.
    """
    if seg.no_speech_prob > opts.no_speech_threshold and seg.avg_logprob < opts.logprob_threshold:
        return False
    if seg.avg_logprob < opts.min_logprob:
        return False
    text = _norm_text(seg.text)
    if not text:
        return False
    if _too_repetitive(text, opts) and not _repeats_only_across_spans(seg, opts, spans or []):
        return False
    if text in _WEAK_PHRASES and (seg.no_speech_prob > 0.3 or seg.avg_logprob < -0.7):
        return False
    return True
