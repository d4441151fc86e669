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
from .sentences import ends_sentence

DIGITS = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
}  # fmt: skip
ZERO = ("nol", "kosong")  # "kosong" is zero only when digits are said one by one
SCALES = {"ribu": 10**3, "juta": 10**6, "miliar": 10**9, "milyar": 10**9, "triliun": 10**12}
MONTHS = [
    "januari", "februari", "maret", "april", "mei", "juni",
    "juli", "agustus", "september", "oktober", "november", "desember",
]  # fmt: skip
# Nouns after which a number is written in digits even below ten ("lantai 7", "TPS 12").
COUNTED_NOUNS = frozenset(
    """lantai nomor no urut tps rt rw pasal ayat dapil kelas halaman jalur peron gerbang pintu
    kamar blok tahap gelombang putaran zona sesi babak episode bab""".split()
)
# Words after "ke N" that make "ke" the preposition: "ke tiga kota" is to three cities.
_PLACE_NOUNS = frozenset(
    """kota provinsi negara daerah tempat lokasi desa kecamatan kabupaten kelurahan pulau
    wilayah arah orang sekolah rumah""".split()
)
# Words after which a digit stays a digit, besides COUNTED_NOUNS ("pukul 7", "angka 5").
DIGIT_WORDS = frozenset(
    """pukul jam tanggal tgl tahun angka poin skor versi level tingkat ruang gedung seri jilid
    edisi bagian nilai kode rp usd""".split()
)
# Words before which a digit stays a digit: units and signs ("5 persen", "5 km").
UNIT_WORDS = frozenset(
    """persen % km kilometer meter m cm mm kg kilogram gram g ton kuintal liter l ml hektare hektar
    ha are derajat °c mw kw kwh watt volt gb mb tb rp rupiah dolar usd x""".split()
)
_WORD_OF_DIGIT = {str(v): k for k, v in DIGITS.items()}
# Punctuation a digit may have around it and still be a word in running text.
_TEXT_PUNCTUATION = set(".,;:!?\"'")  # not "(5)", a list's item
# Words before "jam" that make it an hour's duration, not a time of day.
_COUNT_WORDS = frozenset([*DIGITS, "puluh", "belas", "ratus", "sepuluh", "sebelas", "setengah", "beberapa", "berapa"])
DAY_PARTS = ("pagi", "siang", "sore", "malam")
TIME_ZONES = {"wib": "WIB", "wita": "WITA", "wit": "WIT"}
_ZONE_WORDS = {"barat": "WIB", "tengah": "WITA", "timur": "WIT"}

_WORD_RE = re.compile(r"^(\W*)(.*?)(\W*)$")
_DIGITS_RE = re.compile(r"^\d+$")
_DIGIT_RE = re.compile(r"^\d$")
_SPELLED_DIGITS_RE = re.compile(r"^\d([,-]\d){2,}$")  # digits said one by one, as Whisper writes them
_GROUPED_RE = re.compile(r"^\d{1,3}(\.\d{3})+$|^\d+$")


@dataclass
class _Tok:
    prefix: str
    core: str  # lower-case, without surrounding punctuation
    suffix: str
    original: str  # the core as written


def _tokens(words: list[str]) -> list[_Tok]:
    out = []
    for word in words:
        prefix, core, suffix = _WORD_RE.match(word.strip()).groups()
        out.append(_Tok(prefix, core.lower(), suffix, core))
    return out


@dataclass
class Change:
    """words[start:end] are written as text (punctuation around the run is kept)."""

    start: int
    end: int
    text: str


@dataclass
class _Number:
    value: int
    end: int  # index after the number's last word
    words: int  # how many words it took
    top_scale: int = 1  # the scale word it ends with when it is a round number of it (10**6 for "lima juta")
    digits: str | None = None  # set when the digits were said one by one ("kosong delapan satu")


class _Parser:
    """Reads numbers from a run of tokens; a number never continues past punctuation."""

    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks

    def word(self, i: int) -> str:
        return self.toks[i].core if 0 <= i < len(self.toks) else ""

    def joined(self, i: int) -> bool:
        """Whether token i can continue a phrase that token i-1 is in (no punctuation between)."""
        return 0 < i < len(self.toks) and not self.toks[i - 1].suffix and not self.toks[i].prefix

    def next_word(self, i: int) -> str:
        return self.word(i) if self.joined(i) else ""

    def _below_hundred(self, i: int) -> tuple[int, int] | None:
        w = self.word(i)
        if w == "sepuluh":
            return 10, i + 1
        if w == "sebelas":
            return 11, i + 1
        if w in DIGITS:
            d = DIGITS[w]
            after = self.next_word(i + 1)
            if after == "belas" and d >= 2:
                return 10 + d, i + 2
            if after == "puluh" and d >= 2:
                unit = self.next_word(i + 2)
                if unit in DIGITS:
                    return 10 * d + DIGITS[unit], i + 3
                return 10 * d, i + 2
            return d, i + 1
        return None

    def _below_thousand(self, i: int) -> tuple[int, int] | None:
        w = self.word(i)
        if w == "seratus":
            hundreds, j = 100, i + 1
        elif DIGITS.get(w, 0) >= 2 and self.next_word(i + 1) == "ratus":
            hundreds, j = 100 * DIGITS[w], i + 2
        elif _DIGITS_RE.match(w) and int(w) < 1000 and self.next_word(i + 1) in SCALES:
            return int(w), i + 1  # "5 juta": Whisper's digits with a spoken scale
        else:
            return self._below_hundred(i)
        rest = self._below_hundred(j) if self.joined(j) else None
        return (hundreds + rest[0], rest[1]) if rest else (hundreds, j)

    def cardinal(self, i: int) -> _Number | None:
        """The number said from word i on ("dua ribu dua puluh empat"), or None."""
        total, j, last_scale, top = 0, i, 10**15, 1
        while j == i or self.joined(j):
            if self.word(j) == "seribu" and last_scale > 1000:
                value, k, scale = 1, j + 1, 1000
            else:
                part = self._below_thousand(j)
                if part is None:
                    break
                value, k = part
                scale = SCALES.get(self.next_word(k), 1)
                if scale >= last_scale:
                    scale = 1
                if scale > 1:
                    k += 1
            if j == i:
                top = scale
            elif value:
                top = 1  # "dua juta lima ratus ribu" is no round number of millions
            total += value * scale
            j = k
            if scale == 1:
                break
            last_scale = scale
        if j == i:
            return None
        return _Number(total, j, j - i, top)

    def digit_run(self, i: int, least: int) -> _Number | None:
        """At least `least` digits said one by one: "dua kosong satu dua" -> "2012"."""
        if _SPELLED_DIGITS_RE.match(self.word(i)):
            digits = re.sub(r"[,-]", "", self.word(i))  # Whisper's "2,1,2,2,4,5" or "1-1-9"
            return _Number(int(digits), i + 1, 1, digits=digits) if len(digits) >= least else None
        digits, j = "", i
        while (j == i or self.joined(j)) and (w := self.word(j)) and (w in DIGITS or w in ZERO or _DIGIT_RE.match(w)):
            digits += w if _DIGIT_RE.match(w) else str(DIGITS.get(w, 0))
            j += 1
        # "satu dua puluh" is not the digits 1, 2: the run stops before a number word's scale.
        if self.next_word(j) in ("puluh", "belas", "ratus") or self.next_word(j) in SCALES:
            digits, j = digits[:-1], j - 1
        if len(digits) < least:
            return None
        return _Number(int(digits), j, j - i, digits=digits)

    def fraction(self, i: int) -> _Number | None:
        """The digits after "koma": "lima" (,5), "nol lima" (,05), "dua puluh lima" (,25)."""
        if self.word(i) in ("sepuluh", "sebelas") or self.next_word(i + 1) in ("puluh", "belas"):
            part = self._below_hundred(i)
            return _Number(part[0], part[1], part[1] - i) if part else None
        digits, j = "", i
        while (j == i or self.joined(j)) and (self.word(j) in DIGITS or self.word(j) in ZERO):
            digits += str(DIGITS.get(self.word(j), 0))
            j += 1
        return _Number(int(digits), j, j - i, digits=digits) if digits else None

    def number(self, i: int) -> _Number | None:
        """A number at word i: a cardinal, or a run of three or more digits said one by one."""
        run = self.digit_run(i, 3)
        card = self.cardinal(i)
        if run and (card is None or run.end > card.end):
            return run
        if card is None and self.word(i) == "nol" and self.next_word(i + 1) == "koma":
            return _Number(0, i + 1, 1)  # "nol koma lima"
        return card


def _plain(value: int) -> str:
    return str(value)


def _grouped(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def format_number(number: _Number, money: bool = False) -> str:
    """How news writes the number: "24", "2.500", "3 juta", "2024" (a year-like number)."""
    if number.digits is not None:
        return number.digits
    value = number.value
    if number.top_scale >= 10**6:
        name = next(k for k, v in SCALES.items() if v == number.top_scale)
        return f"{_grouped(value // number.top_scale)} {name}"
    if value < 1000:
        return _plain(value)
    if not money and 1900 <= value <= 2100 and value % 100:
        return _plain(value)  # a year ("dua ribu dua puluh empat"), not "2.024"
    return _grouped(value)


def _spelled_out(number: _Number, toks: list[_Tok], start: int) -> bool:
    """Whether the number was said in words (not already digits)."""
    return any(not _DIGITS_RE.match(t.core) for t in toks[start : number.end])


class _Rules:
    def __init__(self, toks: list[_Tok], starts_sentence: bool = True) -> None:
        self.toks = toks
        self.p = _Parser(toks)
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
        if w == "jam" and self.p.joined(i) and (self.p.word(i - 1) in _COUNT_WORDS or self.p.word(i - 1).isdigit()):
            return None  # "dua jam lima belas menit" is a duration
        j = i + 1
        half = self.p.word(j) == "setengah" and self.p.joined(j + 1)
        if half:
            j += 1
        hour = self.p.cardinal(j)
        if hour is None or hour.value > 24 or (hour.words == 1 and _DIGITS_RE.match(self.p.word(j))):
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
                and self.p.next_word(j + 2) in _ZONE_WORDS:
            zone, j = _ZONE_WORDS[self.p.word(j + 2)], j + 3
        text = f"{self._original(i)} {h % 24:02d}.{m:02d}" + (f" {zone}" if zone else "")
        return Change(i, j, text)

    # -- ordinals, forms, counted nouns, years --------------------------------
    def ordinal(self, i: int, w: str) -> Change | None:
        if w.startswith("ke-") and w[3:] in DIGITS:  # "ke-tiga"
            return Change(i, i + 1, f"ke-{DIGITS[w[3:]]}")
        if w != "ke" or not self.p.joined(i + 1):
            return None
        if self.p.word(i + 1).isdigit():  # "ke 3"; "ke 4 negara" is to four countries
            if self.p.next_word(i + 2) in _PLACE_NOUNS:
                return None
            return Change(i, i + 2, f"ke-{self.p.word(i + 1)}")
        number = self.p.cardinal(i + 1)
        if number is None or self.p.next_word(number.end) in _PLACE_NOUNS | {"belah"}:
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
        if number is None or not _spelled_out(number, self.toks, j):
            return None
        noun = " ".join(self._original(k) for k in range(i, j))
        return Change(i, number.end, f"{noun} {format_number(number)}")

    def _year(self, j: int) -> _Number | None:
        """A year at word j: "dua ribu dua puluh empat" or in pairs, "sembilan belas sembilan puluh delapan"."""
        first = self.p.cardinal(j)
        if first is None:
            return None
        if 10 <= first.value <= 99 and self.p.joined(first.end):
            second = self.p.cardinal(first.end)
            if second and second.value < 100 and second.words >= 2:
                return _Number(first.value * 100 + second.value, second.end, second.end - j)
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
        if _GROUPED_RE.match(w) and self.p.next_word(i + 1) == "rupiah":
            return Change(i, i + 2, f"Rp {w}")  # Whisper's "75.000 rupiah"
        if w in _WORD_OF_DIGIT and self._digit_in_text(i):
            word = _WORD_OF_DIGIT[w]
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
        if j == i + 1 and (number.value < 10 and number.digits is None or _DIGITS_RE.match(w)):
            return None  # one to nine said as one word stay words; digits stay as they are
        if not _spelled_out(number, self.toks, i) and j == number.end and number.digits is None:
            return None
        return Change(i, j, text)

    def _digit_in_text(self, i: int) -> bool:
        """Whether the digit at word i stands in running text (see the module's last rule)."""
        tok = self.toks[i]
        if not set(tok.prefix + tok.suffix) <= _TEXT_PUNCTUATION:
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

    def date(self, i: int, day: _Number) -> Change:
        month = MONTHS.index(self.p.word(day.end)) + 1
        j = day.end + 1
        text = f"{day.value} {MONTHS[month - 1].capitalize()}"
        year = self._year(j) if self.p.joined(j) else None
        if year and 1000 <= year.value <= 2999:
            text, j = f"{text} {year.value}", year.end
        return Change(i, j, text)

    def slashed(self, i: int, first: _Number) -> Change:
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


def _idiom_at(toks: list[_Tok], i: int) -> int:
    """How many words an idiom starting at word i takes (0: none)."""
    for idiom in IDIOMS:
        if tuple(t.core for t in toks[i : i + len(idiom)]) == idiom:
            return len(idiom)
    return 0


def find_changes(words: list[str], starts_sentence: bool = True) -> list[Change]:
    """The rewrites of a run of words (each a word with its punctuation), left to right, not overlapping.

    starts_sentence: whether the first word begins a sentence (a digit there becomes a capitalized word).
    """
    toks = _tokens(words)
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
    prefix = _WORD_RE.match(first).group(1)
    suffix = _WORD_RE.match(last).group(3)
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
