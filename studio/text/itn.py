"""Inverse text normalization for Indonesian: numbers, dates, times and money as news writes them.

Whisper writes numbers as words in some places and digits in others ("serentak dua
ribu dua puluh empat", "lantai tujuh"); news writing, captions and reference transcripts
write "2024", "lantai 7", "21/10/21", "pukul 07.00 WIB", "10 persen", "Rp 5 juta". These
rules (no model) rewrite runs of words; each rewritten word keeps what was said as its
`spoken` form, for search.

The rules, in the order they are tried at each word:
- time: "pukul"/"jam" + hour [lewat|kurang minutes | minutes | setengah hour]
  [pagi|siang|sore|malam] [WIB|WITA|WIT] -> "pukul 07.00", "pukul 19.30 WIB";
- ordinal: "ke" + number -> "ke-3" ("ketiga" and "kedua belah pihak" stay words;
  "ke tiga kota", to three cities, stays);
- election forms: "formulir"/"model" + letter + number -> "formulir C1";
- a number after a counted noun ("lantai", "nomor", "TPS", "RT", "pasal"...) -> digits,
  digit by digit where it is said so ("RT nol tiga" -> "RT 03");
- years: "tahun" + number, also said in pairs ("sembilan belas sembilan puluh delapan");
- dates: day + month [+ year] -> "21 Oktober 2024"; numbers joined by "garis miring"
  -> "21/10/21";
- decimals ("tiga koma lima" -> "3,5"), percentages ("10 persen"), rupiah ("Rp 5 juta",
  "Rp 75.000");
- three or more digits said one by one (phone numbers, codes) -> "0812245";
- any other number of ten or more, or of more than one word -> digits ("2.500",
  "3 juta"; a year-like 1900-2100 without the thousands dot). One to nine said as one
  word stay words ("empat ruangan", "salah satu", "satu per satu"), as do hyphenated
  words ("satu-satunya"), "se-" words other than sepuluh, sebelas, seratus, seribu,
  and the sayings in IDIOMS ("sebelas dua belas");
- and the other way: one to nine that Whisper wrote as a digit in running text are
  written as words, as PUEBI and news writing do ("6 gol" -> "enam gol", "ke 4 negara"
  -> "ke empat negara"; "Enam" at a sentence's start). A digit stays a digit after a
  counted noun or DIGIT_WORDS ("lantai 7", "pukul 7"), before a unit, a scale or a
  month ("5 persen", "5 km", "2 juta", "6 Oktober"), next to another number ("1 atau
  2", "5 dari 10"), and with a sign or inner punctuation ("5%", "2,5").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..transcribe.model import Transcript, Word
from .numbers import (
    COUNT_WORDS,
    COUNTED_NOUNS,
    DAY_PARTS,
    DIGIT_WORDS,
    DIGITS,
    DIGITS_RE,
    GROUPED_RE,
    MONTHS,
    PLACE_NOUNS,
    SCALES,
    TEXT_PUNCTUATION,
    TIME_ZONES,
    UNIT_WORDS,
    WORD_OF_DIGIT,
    ZERO,
    ZONE_WORDS,
    Number,
    NumberParser,
    Token,
    format_number,
    spelled_out,
    tokens,
)
from .sentences import ends_sentence
from .words import parts


@dataclass
class Change:
    """words[start:end] are written as text (punctuation around the run is kept)."""

    start: int
    end: int
    text: str



class _Rules:
    def __init__(self, toks: list[Token], starts_sentence: bool = True) -> None:
        self.toks = toks
        self.p = NumberParser(toks)
        self.starts_sentence = starts_sentence  # whether the first word begins a sentence

    def at(self, i: int) -> Change | None:
        w = self.p.word(i)
        for rule in (self.time, self.ordinal, self.election_form, self.counted, self.year, self.number):
            change = rule(i, w)
            if change:
                return change
        return None

    # -- time ---------------------------------------------------------------
    def time(self, i: int, w: str) -> Change | None:
        if w not in ("pukul", "jam") or not self.p.joined(i + 1):
            return None
        if w == "jam" and self.p.joined(i) and (self.p.word(i - 1) in COUNT_WORDS or self.p.word(i - 1).isdigit()):
            return None  # "dua jam lima belas menit" is a duration
        j = i + 1
        half = self.p.word(j) == "setengah" and self.p.joined(j + 1)
        if half:
            j += 1
        hour = self.p.cardinal(j)
        if hour is None or hour.value > 24 or (hour.words == 1 and DIGITS_RE.match(self.p.word(j))):
            return None
        h, m, j = hour.value, 0, hour.end
        if half:
            h, m = h - 1, 30
        elif self.p.next_word(j) in ("lewat", "kurang"):
            sign = self.p.word(j)
            if self.p.next_word(j + 1) == "seperempat":
                minutes, j = 15, j + 2
            else:
                mm = self.p.cardinal(j + 1) if self.p.joined(j + 1) else None
                if mm is None or mm.value >= 60:
                    return None
                minutes, j = mm.value, mm.end
                if self.p.next_word(j) == "menit":
                    j += 1
            h, m = (h, minutes) if sign == "lewat" else (h - 1, 60 - minutes)
        elif self.p.joined(j) and (mm := self.p.cardinal(j)) and 0 < mm.value < 60 and mm.words >= 2:
            m, j = mm.value, mm.end  # "pukul sembilan tiga puluh"
        if self.p.next_word(j) == "menit":
            return None  # "jam lima belas menit": a duration, not a time
        part = self.p.next_word(j)
        if part in DAY_PARTS:
            j += 1
            if part in ("siang", "sore") and h < 11 or part == "malam" and 6 <= h < 12:
                h += 12
            elif part == "malam" and h == 12:
                h = 0
        zone = None
        if self.p.next_word(j) in TIME_ZONES:
            zone, j = TIME_ZONES[self.p.word(j)], j + 1
        elif self.p.next_word(j) == "waktu" and self.p.next_word(j + 1) == "indonesia" \
                and self.p.next_word(j + 2) in ZONE_WORDS:
            zone, j = ZONE_WORDS[self.p.word(j + 2)], j + 3
        text = f"{self._original(i)} {h % 24:02d}.{m:02d}" + (f" {zone}" if zone else "")
        return Change(i, j, text)

    # -- ordinals, forms, counted nouns, years --------------------------------
    def ordinal(self, i: int, w: str) -> Change | None:
        if w.startswith("ke-") and w[3:] in DIGITS:  # "ke-tiga"
            return Change(i, i + 1, f"ke-{DIGITS[w[3:]]}")
        if w != "ke" or not self.p.joined(i + 1):
            return None
        if self.p.word(i + 1).isdigit():  # "ke 3"; "ke 4 negara" is to four countries
            if self.p.next_word(i + 2) in PLACE_NOUNS:
                return None
            return Change(i, i + 2, f"ke-{self.p.word(i + 1)}")
        number = self.p.cardinal(i + 1)
        if number is None or self.p.next_word(number.end) in PLACE_NOUNS | {"belah"}:
            return None
        return Change(i, number.end, f"ke-{number.value}")

    def election_form(self, i: int, w: str) -> Change | None:
        letter = self.p.next_word(i + 1)
        if w not in ("formulir", "model") or len(letter) != 1 or not letter.isalpha() or not self.p.joined(i + 2):
            return None
        number = self.p.cardinal(i + 2) or self.p.digit_run(i + 2, 2)
        if number is None:
            return None
        return Change(i, number.end, f"{self._original(i)} {letter.upper()}{format_number(number)}")

    def counted(self, i: int, w: str) -> Change | None:
        if w not in COUNTED_NOUNS or not self.p.joined(i + 1):
            return None
        j = i + 1
        if w == "nomor" and self.p.next_word(j) == "urut":
            j += 1
        number = self.p.digit_run(j, 2) or self.p.cardinal(j)
        if number is None or not spelled_out(number, self.toks, j):
            return None
        noun = " ".join(self._original(k) for k in range(i, j))
        return Change(i, number.end, f"{noun} {format_number(number)}")

    def _year(self, j: int) -> Number | None:
        """A year at word j: "dua ribu dua puluh empat" or in pairs, "sembilan belas sembilan puluh delapan"."""
        first = self.p.cardinal(j)
        if first is None:
            return None
        if 10 <= first.value <= 99 and self.p.joined(first.end):
            second = self.p.cardinal(first.end)
            if second and second.value < 100 and second.words >= 2:
                return Number(first.value * 100 + second.value, second.end, second.end - j)
        return first

    def year(self, i: int, w: str) -> Change | None:
        if w != "tahun" or not self.p.joined(i + 1):
            return None
        year = self._year(i + 1)
        if year is None or year.value < 1000 or year.value > 2999:
            return None
        return Change(i, year.end, f"{self._original(i)} {year.value}")

    # -- numbers and what follows them ----------------------------------------
    def number(self, i: int, w: str) -> Change | None:
        if GROUPED_RE.match(w) and self.p.next_word(i + 1) == "rupiah":
            return Change(i, i + 2, f"Rp {w}")  # Whisper's "75.000 rupiah"
        if w in WORD_OF_DIGIT and self._digit_in_text(i):
            word = WORD_OF_DIGIT[w]
            return Change(i, i + 1, word.capitalize() if self._starts_sentence(i) else word)
        number = self.p.number(i)
        if number is None:
            return None
        after = self.p.next_word(number.end)
        if number.digits is None and 1 <= number.value <= 31 and after in MONTHS:
            return self.date(i, number)
        if after == "garis" and self.p.next_word(number.end + 1) == "miring":
            return self.slashed(i, number)
        text, j = format_number(number), number.end
        if after == "koma" and number.digits is None and self.p.joined(j + 1):
            fraction = self.p.fraction(j + 1)
            if fraction:
                scale = self.p.next_word(fraction.end)
                text, j = f"{number.value},{fraction.digits or fraction.value}", fraction.end
                if scale in ("ribu", "juta", "miliar", "milyar", "triliun"):
                    text, j = f"{text} {scale}", j + 1
                after = self.p.next_word(j)
        if after == "persen":
            return Change(i, j + 1, f"{text} persen")
        if after == "rupiah" and number.digits is None:
            money = text if "," in text else format_number(number, money=True)
            return Change(i, j + 1, f"Rp {money}")
        if j == i + 1 and (number.value < 10 and number.digits is None or DIGITS_RE.match(w)):
            return None  # one to nine said as one word stay words; digits stay as they are
        if not spelled_out(number, self.toks, i) and j == number.end and number.digits is None:
            return None
        return Change(i, j, text)

    def _digit_in_text(self, i: int) -> bool:
        """Whether the digit at word i stands in running text (see the module's last rule)."""
        tok = self.toks[i]
        if not set(tok.prefix + tok.suffix) <= TEXT_PUNCTUATION:
            return False  # "5%", "$5", "5-6"
        before, after = self.p.word(i - 1), self.p.word(i + 1)
        if before in COUNTED_NOUNS or before in DIGIT_WORDS or after in UNIT_WORDS or after in SCALES:
            return False
        if after in MONTHS or after in ("koma", "garis", "per", "banding"):
            return False
        near = [self.p.word(k) for k in (i - 2, i - 1, i + 1, i + 2)]
        return not any(re.search(r"\d", w) for w in near) and not any(w in DIGITS or w in ZERO for w in near[1:3])

    def _starts_sentence(self, i: int) -> bool:
        return i == 0 and self.starts_sentence or i > 0 and ends_sentence(self.toks[i - 1].suffix)

    def date(self, i: int, day: Number) -> Change:
        month = MONTHS.index(self.p.word(day.end)) + 1
        j = day.end + 1
        text = f"{day.value} {MONTHS[month - 1].capitalize()}"
        year = self._year(j) if self.p.joined(j) else None
        if year and 1000 <= year.value <= 2999:
            text, j = f"{text} {year.value}", year.end
        return Change(i, j, text)

    def slashed(self, i: int, first: Number) -> Change:
        parts, j = [format_number(first)], first.end
        while self.p.next_word(j) == "garis" and self.p.next_word(j + 1) == "miring" and self.p.joined(j + 2):
            part = self.p.number(j + 2)
            if part is None:
                break
            parts.append(part.digits or str(part.value))
            j = part.end
        return Change(i, j, "/".join(parts))

    def _original(self, k: int) -> str:
        return self.toks[k].original


# Sayings made of number words, left as they are: "sebelas dua belas" (much the same),
# "seribu satu" (all kinds of).
IDIOMS = (("sebelas", "dua", "belas"), ("seribu", "satu"))


def _idiom_at(toks: list[Token], i: int) -> int:
    """How many words an idiom starting at word i takes (0: none)."""
    for idiom in IDIOMS:
        if tuple(t.core for t in toks[i : i + len(idiom)]) == idiom:
            return len(idiom)
    return 0


def find_changes(words: list[str], starts_sentence: bool = True) -> list[Change]:
    """The rewrites of a run of words (each a word with its punctuation), left to right, not overlapping.

    starts_sentence: whether the first word begins a sentence (a digit there becomes a capitalized word).
    """
    toks = tokens(words)
    rules = _Rules(toks, starts_sentence)
    changes, i = [], 0
    while i < len(toks):
        if skip := _idiom_at(toks, i):
            i += skip
            continue
        change = rules.at(i) if toks[i].core else None
        if change and change.end > change.start:
            if change.text != " ".join(t.original for t in toks[change.start : change.end]):
                changes.append(change)  # not "5 juta" for "5 juta"
            i = change.end
        else:
            i += 1
    return changes


def _outer(words: list[str], change: Change) -> str:
    """The change's text with the punctuation around its words and the first word's capital."""
    first, last = words[change.start].strip(), words[change.end - 1].strip()
    prefix = parts(first)[0]
    suffix = parts(last)[2]
    text = change.text
    core = first[len(prefix) :]
    if core[:1].isupper() and text[:1].islower():
        text = text[0].upper() + text[1:]
    return prefix + text + suffix


def normalize_words(words: list[str]) -> list[str]:
    """The words with numbers, dates, times and money rewritten (fewer words where runs merged)."""
    out, i = [], 0
    for change in find_changes(words):
        out += words[i : change.start]
        out.append(_outer(words, change))
        i = change.end
    return out + words[i:]


def normalize_text(text: str) -> str:
    """normalize_words over a text split at white space."""
    return " ".join(normalize_words(text.split()))


def normalize_transcript(transcript: Transcript) -> Transcript:
    """The transcript with ITN applied within each segment; a rewritten word keeps what was said as `spoken`."""
    segments, starts_sentence = [], True
    for seg in transcript.segments:
        words = list(seg.words)
        changes = find_changes([w.word for w in words], starts_sentence)
        if words:
            starts_sentence = ends_sentence(words[-1].word)
        if not changes:
            segments.append(seg)
            continue
        out, i = [], 0
        for change in changes:
            out += words[i : change.start]
            run = words[change.start : change.end]
            out.append(Word(
                start=run[0].start, end=run[-1].end,
                word=_outer([w.word for w in words], change),
                probability=min(w.probability for w in run),
                spoken=" ".join(w.word.strip() for w in run),
            ))  # fmt: skip
            i = change.end
        out += words[i:]
        text = " ".join(w.word for w in out)
        segments.append(dataclasses.replace(seg, text=text, words=out))
    return dataclasses.replace(transcript, segments=segments)
