"""studio.text.spelling with the real wordfreq lexicon: which words are repaired, which are left alone."""

from __future__ import annotations

from studio.text.spelling import load_lexicon, respell, respell_words

GLOSSARY = ["KPU", "DPTb", "Bawaslu", "coklit", "pemutakhiran data pemilih"]


def test_one_letter_misses_are_repaired_keeping_punctuation_and_case():
    lexicon = load_lexicon("id")
    # Misses the base model makes on the corpus: a wrong, missing or swapped letter (the
    # bulletin says "menjarah": a final "h" unheard, tried before "menjaga").
    said = "Menjara kurs yang merosod, tata tertip dan harga tikatnya. Ketelangan polisi"
    assert respell_words(said.split(), lexicon) == (
        "Menjarah kurs yang merosot, tata tertib dan harga tiketnya. Keterangan polisi"
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


def test_affixed_forms_that_no_list_holds_are_known_by_their_stem():
    lexicon = load_lexicon("id")
    # me-N- + tangkap + -i: not in wordfreq's list, one letter from "menanggapi".
    for word in ("menangkapi", "Menangkapi,", "dipukulinya", "pertanggungjawabannya"):
        assert respell(word, lexicon, sentence_start=True) == word
    # A stem too short to vouch for the word: "tertip" stems to "tip".
    assert respell("tertip", lexicon, sentence_start=False) == "tertib"


def test_a_letter_too_many_is_repaired_now():
    lexicon = load_lexicon("id")
    # The base model's misses on the corpus: an extra letter, which a deletion repairs.
    assert respell_words("ibu tidak memberiksa isinya".split(), lexicon) == "ibu tidak memeriksa isinya".split()
    assert respell("pemilihh", lexicon, sentence_start=False) == "pemilih"


def test_glossary_names_are_protected_at_a_sentences_start_too():
    show = load_lexicon("id", GLOSSARY + ["Hasbalah", "Sujah"])
    # A rare name at a sentence's start is not "repaired" into a common word...
    assert respell_words("Hasbalah menilai. Sujah tersenyum.".split(), show) == (
        "Hasbalah menilai. Sujah tersenyum.".split()
    )
    plain = load_lexicon("id")
    assert respell("Sujah", plain, sentence_start=True) == "Sudah"  # what the glossary prevents
    # ...and a near miss of one becomes the name, spelled the glossary's way, even in capitals.
    named = load_lexicon("id", ["Yusril Ihza Mahendra"])
    assert respell_words("kata USRIL Ihza".split(), named) == ["kata", "Yusril", "Ihza"]
    assert respell_words("Baswaslu menilai. Hasballah tersenyum.".split(), show) == (
        "Bawaslu menilai. Hasbalah tersenyum.".split()
    )


def test_two_common_words_run_together_are_split_and_share_the_time():
    from studio.text.normalize import correct_spelling
    from studio.transcribe.model import Segment, Word

    lexicon = load_lexicon("id")
    # The base model's run-together words on the corpus's news bulletin.
    assert respell_words("menambah gol bagitimnya.".split(), lexicon) == ["menambah", "gol", "bagi timnya."]
    assert respell("Pemiliklahan", lexicon, sentence_start=True) == "Pemilik lahan"
    # A clitic is not a word of its own; a name's syllables are not words.
    for word in ("rumahnya", "Mugabe", "muarif", "burupia."):
        assert respell(word, lexicon, sentence_start=True) == word
    words = [Word(0.0, 0.5, "lagu", 0.9), Word(0.5, 1.5, "berisidukungan", 0.8)]
    (segment,) = correct_spelling([Segment(0.0, 1.5, "lagu berisidukungan", words)], lexicon)
    assert segment.text == "lagu berisi dukungan"
    assert [(w.word, w.start, w.end) for w in segment.words] == [
        ("lagu", 0.0, 0.5), ("berisi", 0.5, 0.929), ("dukungan", 0.929, 1.5)]


def test_a_word_cut_in_two_is_joined_over_both_words_time():
    from studio.text.normalize import correct_spelling
    from studio.transcribe.model import Segment, Word

    lexicon = load_lexicon("id")
    words = [Word(0.0, 0.5, "Diramaikan", 0.9), Word(0.5, 0.9, "atrak", 0.7), Word(0.9, 1.1, "si", 0.8),
             Word(1.1, 1.5, "mahasiswa.", 0.9)]
    (segment,) = correct_spelling([Segment(0.0, 1.5, "", words)], lexicon)
    assert segment.text == "Diramaikan atraksi mahasiswa."
    assert [(w.word, w.start, w.end, w.probability) for w in segment.words][1] == ("atraksi", 0.5, 1.1, 0.7)
    # Two words that are words stay two ("di rumah"), and punctuation between keeps them apart.
    assert correct_spelling([Segment(0.0, 1.0, "", [Word(0.0, 0.4, "di", 0.9), Word(0.4, 1.0, "rumah", 0.9)])],
                            lexicon)[0].text == "di rumah"


def test_an_affixed_half_and_a_passive_written_apart_are_joined():
    from studio.text.spelling import join_words

    lexicon = load_lexicon("id")
    # "hormatan" is no word on its own (only an affixed form the stemmer reads): joined.
    assert join_words("anggota dewan ke hormatan".split(), lexicon) == ["anggota", "dewan", "kehormatan", ""]
    # di- before a verb is written together ("disambut"); "di" before a place stays apart,
    # and so does a joined form that is a word of its own ("divisi", "dinas").
    assert join_words("gurauannya yang di sambut tawa".split(), lexicon) == [
        "gurauannya", "yang", "disambut", "", "tawa"]
    assert join_words("daftar yang di tetapkan KPU".split(), lexicon) == ["daftar", "yang", "ditetapkan", "", "KPU"]
    for text in ("tinggal di rumah", "tunggu di sini", "di atas meja", "di visi misi", "di nas", "di antaranya",
                 "di belakangmu"):
        assert join_words(text.split(), lexicon) == text.split()


def test_a_final_h_unheard_is_tried_first():
    lexicon = load_lexicon("id")
    # Indonesian says a final "h" weakly: "pili" is "pilih", not "pipi"; "bersi" is "bersih", not "versi".
    assert respell_words("hak pili dan harga rupia yang bersi".split(), lexicon) == (
        "hak pilih dan harga rupiah yang bersih".split())


def test_a_common_word_run_together_with_a_miss_is_split_and_the_miss_repaired():
    from studio.text.itn import normalize_text

    lexicon = load_lexicon("id")
    # The telephone dialogue's "ribu rupiah" run together, its final "h" unheard.
    said = "Harga tiketnya 1 juta 750 riburupia."
    repaired = " ".join(respell_words(said.split(), lexicon))
    assert repaired == "Harga tiketnya 1 juta 750 ribu rupiah."
    assert normalize_text(repaired) == "Harga tiketnya Rp 1.750.000."
    # Names and words no single repair explains stay whole.
    for word in ("Kabuyutan", "Sucahyo", "Dasartin", "menggelembuh"):
        assert respell(word, lexicon, sentence_start=True) == word
