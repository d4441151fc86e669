"""studio.transcribe.spelling with the real wordfreq lexicon: which words are repaired, which are left alone."""

from __future__ import annotations

from studio.transcribe.spelling import load_lexicon, respell, respell_words

GLOSSARY = ["KPU", "DPTb", "Bawaslu", "coklit", "pemutakhiran data pemilih"]


def test_one_letter_misses_are_repaired_keeping_punctuation_and_case():
    lexicon = load_lexicon("id")
    # Misses the base model makes on the corpus: a wrong, missing or swapped letter.
    said = "Menjara kurs yang merosod, tata tertip dan harga tikatnya. Ketelangan polisi"
    assert respell_words(said.split(), lexicon) == (
        "Menjaga kurs yang merosot, tata tertib dan harga tiketnya. Keterangan polisi"
    ).split()


def test_known_words_names_acronyms_short_words_and_numbers_are_left_alone():
    lexicon = load_lexicon("id")
    for word in ("dipakai", "Zawawi", "DPTB", "dng", "750ribu", "bayi-bayi", "rp.", "—"):
        assert respell(word, lexicon, sentence_start=False) == word
    # A capitalized word inside a sentence is a name: no word list has it.
    assert respell_words("kata Sujah kemarin".split(), lexicon) == ["kata", "Sujah", "kemarin"]


def test_glossary_terms_are_known_and_win():
    plain, show = load_lexicon("id"), load_lexicon("id", GLOSSARY)
    assert respell("coklit", plain, sentence_start=False) != "coklit"  # what the glossary prevents
    assert respell("coklit", show, sentence_start=False) == "coklit"
    # A near miss of a glossary term becomes the term, spelled its way, even inside a sentence.
    assert respell_words("data dari Baswaslu dan dptd".split(), show) == ["data", "dari", "Bawaslu", "dan", "DPTb"]
    assert respell("pemutahiran,", show, sentence_start=False) == "pemutakhiran,"


def test_only_indonesian_has_a_lexicon():
    assert load_lexicon("id") is not None
    assert load_lexicon("en") is None
    assert load_lexicon(None) is None
