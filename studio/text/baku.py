"""Standard (baku) spelling: Indonesian words written the way KBBI and PUEBI write them.

Whisper writes what its training text wrote, and web text spells many words the informal,
old or English way: "pake", "kalo", "personil", "mahluk", "survey", "bomb". The table in
data/baku-id.tsv maps such forms to the standard one ("pakai", "kalau", "personel",
"makhluk", "survei", "bom"); "di" and "ke" before a place are written apart ("dimana" ->
"di mana"). Only spellings of the same word said the same way are in it: "nggak",
"udah" and "bener" are other words or other pronunciations and stay as said.

An affixed form follows its base: di-/ter-/ke-/se-/ber-/per- before it, -kan/-i/-an and
then -nya/-lah/-kah/-pun/-ku/-mu after it ("diramekan" -> "diramaikan", "sampelah" ->
"sampailah"), when the standard form that makes (without its clitic) is in a word list. As in the spelling
repair, a capitalized word inside a sentence is taken for a name and left alone, and so
is a word in capitals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..data import BAKU_TABLE
from .sentences import ends_sentence
from .words import LETTERS_RE

TABLE = BAKU_TABLE
PREFIXES = ("", "di", "ter", "ke", "se", "ber", "per")
SUFFIXES = ("", "kan", "i", "an")
CLITICS = ("", "nya", "lah", "kah", "pun", "ku", "mu")


def load_table(path: Path = TABLE) -> dict[str, str]:
    """The table: lower-case non-standard form -> standard form (one word or two)."""
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            form, standard = line.split("\t")
            table[form.strip()] = standard.strip()
    return table


def standard_form(key: str, table: dict[str, str], listed: Callable[[str], bool]) -> str | None:
    """The standard spelling of a lower-case word, or None where it has none (or is standard).

    listed(word) says whether a word is in a word list: an affixed standard form must be.
    """
    if key in table:
        return table[key]
    for clitic in CLITICS:
        for suffix in SUFFIXES:
            end = suffix + clitic
            if not key.endswith(end):
                continue
            for prefix in PREFIXES:
                base = key[len(prefix) : len(key) - len(end)]
                if not key.startswith(prefix) or base == key or len(base) < 3 or base not in table:
                    continue
                standard = table[base]
                if " " in standard:  # "dimananya": only a clitic after a two-word form
                    if prefix or suffix:
                        continue
                    return standard + clitic
                affixed = prefix + standard + suffix
                if affixed == standard or listed(affixed):
                    return affixed + clitic
    return None


def standardize(word: str, table: dict[str, str], listed: Callable[[str], bool], sentence_start: bool) -> str:
    """word (with any punctuation around it) in its standard spelling, or unchanged."""
    match = LETTERS_RE.match(word)
    if not match:
        return word
    prefix, core, suffix = match.groups()
    if len(core) > 1 and core.isupper() or core[0].isupper() and not sentence_start:
        return word  # an acronym, or a name
    standard = standard_form(core.lower(), table, listed)
    if standard is None:
        return word
    if core[0].isupper():
        standard = standard[0].upper() + standard[1:]
    return prefix + standard + suffix


def standardize_words(words: list[str], table: dict[str, str], listed: Callable[[str], bool]) -> list[str]:
    """Each word of a running text in its standard spelling; a word after a sentence's end starts one."""
    return [
        standardize(word, table, listed, i == 0 or ends_sentence(words[i - 1]))
        for i, word in enumerate(words)
    ]
