"""studio.text.baku with the real table and lexicon: which spellings become standard, which stay."""

from __future__ import annotations

import pytest

from studio.text.baku import load_table, standard_form, standardize_words
from studio.text.spelling import load_lexicon


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon("id", ["KPU", "Bawaslu"])


def standardized(text: str, lexicon) -> str:
    return " ".join(standardize_words(text.split(), lexicon.standard, lexicon.listed))


@pytest.mark.parametrize(
    "decoded, written",
    [
        # What the base model wrote on Indonesian news and dialogue.
        ("Kalo perlu bantuan hubungi saya.", "Kalau perlu bantuan hubungi saya."),
        ("hasil survey terbaru", "hasil survei terbaru"),
        ("ledakan bomb di dekat rel", "ledakan bom di dekat rel"),
        ("jumlah personil yang dikerahkan", "jumlah personel yang dikerahkan"),
        ("sebagai mahluk sosial", "sebagai makhluk sosial"),
        ("mobil dinas yang dipake pejabat", "mobil dinas yang dipakai pejabat"),
        ("ijin kampanye dan jadual debat", "izin kampanye dan jadwal debat"),
        ("silahkan antri di TPS", "silakan antre di TPS"),
        ("Resiko terbesar adalah hoaks.", "Risiko terbesar adalah hoaks."),
    ],
)
def test_non_standard_spellings_become_standard(decoded, written, lexicon):
    assert standardized(decoded, lexicon) == written


def test_affixed_forms_follow_their_base(lexicon):
    assert standardized("acara diramekan warga, jangan sampelah kita", lexicon) == (
        "acara diramaikan warga, jangan sampailah kita")
    assert standardized("personilnya siap. Kalopun hujan", lexicon) == "personelnya siap. Kalaupun hujan"
    assert standard_form("pakean", lexicon.standard, lexicon.listed) == "pakaian"
    # An affixed form whose standard form is in no word list is left as it is.
    for word in ("sampei", "kaloan", "pertau"):
        assert standard_form(word, lexicon.standard, lexicon.listed) is None


def test_di_and_ke_before_a_place_are_written_apart_as_two_words(lexicon):
    assert standardized("dimana TPS-nya? Disini, kemana lagi", lexicon) == "di mana TPS-nya? Di sini, ke mana lagi"
    # After a sentence that ends in a quote, a capital starts a sentence, not a name.
    assert standardized('katanya "siap." Kalo hujan', lexicon) == 'katanya "siap." Kalau hujan'


def test_other_words_names_acronyms_and_colloquial_words_stay(lexicon):
    # Other words or other pronunciations stay as said; so do standard words.
    for text in ("nggak bener udah", "enggak gak", "dipakai survei", "di rumah", "disambut", "rumahnya"):
        assert standardized(text, lexicon) == text
    # A capitalized word inside a sentence is a name; a word in capitals an acronym.
    assert standardized("kata Jaman kemarin KALO", lexicon) == "kata Jaman kemarin KALO"


def test_every_standard_form_in_the_table_is_a_word_the_lexicon_knows(lexicon):
    table = load_table()
    assert len(table) > 100
    unknown = [(form, std) for form, std in table.items() if not all(lexicon.knows(w) for w in std.split())]
    assert unknown == []
    # Lower-case letters only (a form with an apostrophe could never match a word), never its own standard.
    assert all(form.isalpha() and form == form.lower() and form != std for form, std in table.items())


def test_a_spelling_repair_is_written_in_its_standard_spelling(lexicon):
    from studio.text.spelling import respell

    # "personial" is one letter from "personil" (the web's spelling), written "personel".
    assert respell("personial", lexicon, sentence_start=False) == "personel"


def test_two_word_forms_share_the_words_time_in_a_transcript(lexicon):
    from studio.text.normalize import standardize_spelling
    from studio.transcribe.model import Segment, Word

    words = [Word(0.0, 0.4, "Dimana", 0.9), Word(0.4, 1.0, "survey-nya?", 0.8)]
    (segment,) = standardize_spelling([Segment(0.0, 1.0, "Dimana survey-nya?", words)], lexicon)
    assert segment.text == "Di mana survey-nya?"
    assert [(w.word, w.start, w.end) for w in segment.words] == [("Di", 0.0, 0.133), ("mana", 0.133, 0.4),
                                                                  ("survey-nya?", 0.4, 1.0)]


def test_a_glossary_term_keeps_the_glossarys_spelling():
    show = load_lexicon("id", ["Survey Meter", "KPU"])
    assert standardize_words("hasil survey meter".split(), show.standard, show.listed) == ["hasil", "survey", "meter"]
