"""Indonesian numbers as words: the vocabulary (digits, scales, months, the nouns and units numbers go
with), a parser that reads a number from a run of words ("dua ribu dua puluh empat", "kosong delapan
satu" said digit by digit), and how news writes one ("2024", "2.500", "3 juta"). Used by text.itn."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .words import parts

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
PLACE_NOUNS = frozenset(
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
WORD_OF_DIGIT = {str(v): k for k, v in DIGITS.items()}
# Punctuation a digit may have around it and still be a word in running text.
TEXT_PUNCTUATION = set(".,;:!?\"'")  # not "(5)", a list's item
# Words before "jam" that make it an hour's duration, not a time of day.
COUNT_WORDS = frozenset([*DIGITS, "puluh", "belas", "ratus", "sepuluh", "sebelas", "setengah", "beberapa", "berapa"])
DAY_PARTS = ("pagi", "siang", "sore", "malam")
TIME_ZONES = {"wib": "WIB", "wita": "WITA", "wit": "WIT"}
ZONE_WORDS = {"barat": "WIB", "tengah": "WITA", "timur": "WIT"}

DIGITS_RE = re.compile(r"^\d+$")
DIGIT_RE = re.compile(r"^\d$")
SPELLED_DIGITS_RE = re.compile(r"^\d([,-]\d){2,}$")  # digits said one by one, as Whisper writes them
GROUPED_RE = re.compile(r"^\d{1,3}(\.\d{3})+$|^\d+$")


@dataclass
class Token:
    prefix: str
    core: str  # lower-case, without surrounding punctuation
    suffix: str
    original: str  # the core as written


def tokens(words: list[str]) -> list[Token]:
    out = []
    for word in words:
        prefix, core, suffix = parts(word.strip())
        out.append(Token(prefix, core.lower(), suffix, core))
    return out


@dataclass
class Number:
    value: int
    end: int  # index after the number's last word
    words: int  # how many words it took
    top_scale: int = 1  # the scale word it ends with when it is a round number of it (10**6 for "lima juta")
    digits: str | None = None  # set when the digits were said one by one ("kosong delapan satu")


class NumberParser:
    """Reads numbers from a run of tokens; a number never continues past punctuation."""

    def __init__(self, toks: list[Token]) -> None:
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
        elif DIGITS_RE.match(w) and int(w) < 1000 and self.next_word(i + 1) in SCALES:
            return int(w), i + 1  # "5 juta": Whisper's digits with a spoken scale
        else:
            return self._below_hundred(i)
        rest = self._below_hundred(j) if self.joined(j) else None
        return (hundreds + rest[0], rest[1]) if rest else (hundreds, j)

    def cardinal(self, i: int) -> Number | None:
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
        return Number(total, j, j - i, top)

    def digit_run(self, i: int, least: int) -> Number | None:
        """At least `least` digits said one by one: "dua kosong satu dua" -> "2012"."""
        if SPELLED_DIGITS_RE.match(self.word(i)):
            digits = re.sub(r"[,-]", "", self.word(i))  # Whisper's "2,1,2,2,4,5" or "1-1-9"
            return Number(int(digits), i + 1, 1, digits=digits) if len(digits) >= least else None
        digits, j = "", i
        while (j == i or self.joined(j)) and (w := self.word(j)) and (w in DIGITS or w in ZERO or DIGIT_RE.match(w)):
            digits += w if DIGIT_RE.match(w) else str(DIGITS.get(w, 0))
            j += 1
        # "satu dua puluh" is not the digits 1, 2: the run stops before a number word's scale.
        if self.next_word(j) in ("puluh", "belas", "ratus") or self.next_word(j) in SCALES:
            digits, j = digits[:-1], j - 1
        if len(digits) < least:
            return None
        return Number(int(digits), j, j - i, digits=digits)

    def fraction(self, i: int) -> Number | None:
        """The digits after "koma": "lima" (,5), "nol lima" (,05), "dua puluh lima" (,25)."""
        if self.word(i) in ("sepuluh", "sebelas") or self.next_word(i + 1) in ("puluh", "belas"):
            part = self._below_hundred(i)
            return Number(part[0], part[1], part[1] - i) if part else None
        digits, j = "", i
        while (j == i or self.joined(j)) and (self.word(j) in DIGITS or self.word(j) in ZERO):
            digits += str(DIGITS.get(self.word(j), 0))
            j += 1
        return Number(int(digits), j, j - i, digits=digits) if digits else None

    def number(self, i: int) -> Number | None:
        """A number at word i: a cardinal, or a run of three or more digits said one by one."""
        run = self.digit_run(i, 3)
        card = self.cardinal(i)
        if run and (card is None or run.end > card.end):
            return run
        if card is None and self.word(i) == "nol" and self.next_word(i + 1) == "koma":
            return Number(0, i + 1, 1)  # "nol koma lima"
        return card


def _plain(value: int) -> str:
    return str(value)


def _grouped(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def format_number(number: Number, money: bool = False) -> str:
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


def spelled_out(number: Number, toks: list[Token], start: int) -> bool:
    """Whether the number was said in words (not already digits)."""
    return any(not DIGITS_RE.match(t.core) for t in toks[start : number.end])
