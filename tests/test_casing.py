"""studio.text.casing: one casing per word form within a transcript."""

from __future__ import annotations

from studio.text.casing import recase_transcript, recase_words
from studio.transcribe.model import Segment, Transcript, Word

GLOSSARY = ["KPU", "DPTb", "Bawaslu", "Yusril Ihza Mahendra", "pemilih pemula"]


def recase(text: str, glossary=GLOSSARY) -> str:
    return " ".join(recase_words(text.split(), glossary))


def test_words_in_capitals_survive_only_as_known_acronyms():
    assert recase("warga KOTA depok datang ke kota depok.") == "Warga kota depok datang ke kota depok."
    assert recase("anggota DPR dan KPU hadir.") == "Anggota DPR dan KPU hadir."
    assert recase("kata USRIL IZAMahendra.") == "Kata usril Izamahendra."


def test_one_casing_per_word_form_the_most_used_one():
    # "Depok" is capitalized inside sentences more often than not: everywhere then.
    text = "di Depok hari ini. Warga depok dan Depok timur. KOTA Depok."
    assert recase(text) == "Di Depok hari ini. Warga Depok dan Depok timur. Kota Depok."
    # A common word Whisper capitalized once inside a sentence stays lower case.
    assert recase("ke kota Bandung lalu ke Kota Bogor dan kota Depok") == (
        "Ke kota Bandung lalu ke kota Bogor dan kota Depok"
    )


def test_the_glossary_spells_its_words_and_names():
    assert recase("data dptb dari kpu. bawaslu mengawasi") == "Data DPTb dari KPU. Bawaslu mengawasi"
    assert recase("kata yusril ihza MAHENDRA kepada Pemilih Pemula.") == (
        "Kata Yusril Ihza Mahendra kepada pemilih pemula."
    )
    # A glossary word that the glossary writes in lower case starts a sentence with a capital.
    assert recase("hadir. pemilih pemula datang.") == "Hadir. Pemilih pemula datang."


def test_sentences_start_with_a_capital_and_digits_and_punctuation_stay():
    assert recase("formulir C1 diisi. (nomor 12) dibuka pukul 07.00.", []) == (
        "Formulir C1 diisi. (Nomor 12) dibuka pukul 07.00."
    )
    assert recase("ya? ini dia!", []) == "Ya? Ini dia!"
    assert recase("hingga bulan september", []) == "Hingga bulan September"


def test_transcript_casing_spans_segments_and_keeps_timings():
    segments = [
        Segment(0.0, 1.0, "Warga KOTA Depok", [Word(0.0, 0.3, "Warga", 0.9), Word(0.3, 0.6, "KOTA", 0.9),
                                               Word(0.6, 1.0, "Depok", 0.9)]),
        Segment(1.0, 2.0, "ke kota depok.", [Word(1.0, 1.3, "ke", 0.9), Word(1.3, 1.6, "kota", 0.9),
                                             Word(1.6, 2.0, "depok.", 0.9)]),
    ]
    out = recase_transcript(Transcript("id", 2.0, segments))
    assert [s.text for s in out.segments] == ["Warga kota Depok", "ke kota Depok."]
    assert [(w.start, w.end) for w in out.words] == [(w.start, w.end) for s in segments for w in s.words]
