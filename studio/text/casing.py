"""One casing per word form within a transcript.

Whisper's casing jumps within one transcript ("KOTA depok" next to "kota depok",
"USRIL IZAMahendra"). The rules, over the whole transcript:
- a glossary word is spelled the glossary's way ("kpu" -> "KPU", "dptb" -> "DPTb");
- a word in capitals survives only as a known acronym: the glossary's or ACRONYMS;
  any other is cased like the rest of its form's occurrences, else lower case;
- every other form takes the casing most of its occurrences inside sentences have
  (capitalized or lower case; a tie goes to the capital, as a name's would);
- month names are capitalized ("oktober" -> "Oktober");
- the first word of a sentence starts with a capital.
Words with digits ("C1", "07.00") and a word's punctuation are left as they are.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from ..transcribe.model import Transcript
from .numbers import MONTHS
from .sentences import ends_sentence
from .words import LETTERS_RE

# Acronyms of national institutions and common terms, known without a glossary.
ACRONYMS = frozenset(
    """KPU KPUD DPR DPRD DPD MPR MK MA KPK TNI POLRI BPK BPS BMKG BNPB BPBD PBNU NU RI NKRI UUD RUU
    DKI APBN APBD ASN PNS PPKM BUMN BUMD PLN KTP KK NIK TPS DPT PPK PPS KPPS PKPU LSM WHO PBB TBC
    SMS TKI TKW TV TVRI RRI WTO IMF ASEAN WIB WITA WIT""".split()
)


def _shape(core: str) -> str:
    """'upper' (two letters or more, all capitals), 'title', 'lower' or 'mixed'."""
    if len(core) > 1 and core.isupper():
        return "upper"
    if core.islower():
        return "lower"
    if core[0].isupper() and (len(core) == 1 or core[1:].islower()):
        return "title"
    return "mixed"


def recase_words(words: list[str], glossary: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The words of a running text with one casing per word form (see the module's rules)."""
    spelled = {w.lower(): w for term in glossary for w in term.split() if w.isalpha()}
    acronyms = {a.lower(): a for a in ACRONYMS} | {k: v for k, v in spelled.items() if v.isupper()}
    parsed = [LETTERS_RE.match(w) for w in words]
    starts = [i == 0 or ends_sentence(words[i - 1]) for i in range(len(words))]
    votes: dict[str, Counter] = {}
    for match, start in zip(parsed, starts):
        if match and not start:
            core = match.group(2)
            shape = _shape(core)
            if shape in ("title", "lower"):
                votes.setdefault(core.lower(), Counter())[shape] += 1

    def cased(core: str) -> str:
        key = core.lower()
        if key in spelled:
            return spelled[key]
        if key in MONTHS:
            return key.capitalize()
        if key in acronyms and _shape(core) == "upper":
            return acronyms[key]
        count = votes.get(key, Counter())
        if count["title"] and count["title"] >= count["lower"]:
            return key.capitalize()
        if not count and _shape(core) == "mixed":
            return key.capitalize()  # "IZAMahendra": a name, cased as one
        if not count and _shape(core) == "title":
            return core
        return key

    out = []
    for word, match, start in zip(words, parsed, starts):
        if not match:
            out.append(word)
            continue
        prefix, core, suffix = match.groups()
        core = cased(core)
        if start:
            core = core[0].upper() + core[1:]
        out.append(prefix + core + suffix)
    return out


def recase_transcript(transcript: Transcript, glossary: list[str] | tuple[str, ...] = ()) -> Transcript:
    """The transcript with recase_words applied over all its words; timings kept."""
    fixed = iter(recase_words([w.word for w in transcript.words], glossary))
    segments = []
    for seg in transcript.segments:
        words = [dataclasses.replace(w, word=next(fixed)) for w in seg.words]
        text = " ".join(w.word for w in words) if words else seg.text
        segments.append(dataclasses.replace(seg, text=text, words=words))
    return dataclasses.replace(transcript, segments=segments)
