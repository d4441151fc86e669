"""studio.text.itn: Indonesian numbers, dates, times and money written as news writes them.

Sentence shapes are taken from Indonesian news and election speech (KPU socialization,
radio bulletins, the corpus's telephone dialogues).
"""

from __future__ import annotations

import pytest

from studio.text.itn import normalize_text, normalize_transcript
from studio.transcribe.model import Segment, Transcript, Word


@pytest.mark.parametrize(
    "said, written",
    [
        ("menjelang pilkada serentak dua ribu dua puluh empat", "menjelang pilkada serentak 2024"),
        ("sebanyak dua ribu lima ratus pemilih pemula", "sebanyak 2.500 pemilih pemula"),
        ("tempat tinggal lebih dari tiga juta jiwa", "tempat tinggal lebih dari 3 juta jiwa"),
        ("seratus dua puluh ribu surat suara", "120.000 surat suara"),
        ("dua puluh orang petugas hadir", "20 orang petugas hadir"),
        ("Sebelas kecamatan sudah selesai.", "11 kecamatan sudah selesai."),
    ],
)
def test_cardinals_of_ten_and_more_are_digits(said, written):
    assert normalize_text(said) == written


def test_one_to_nine_as_one_word_stay_words():
    # PUEBI and the news both write small counts in words.
    for said in ("memiliki empat ruangan", "boleh mengajukan satu calon", "kunjungannya ke empat negara"):
        assert normalize_text(said) == said


@pytest.mark.parametrize(
    "said",
    [
        "ini satu-satunya TPS di desa itu",
        "salah satu syarat menjadi pemilih",
        "surat suara dihitung satu per satu",
        "kedua belah pihak sepakat",
        "ke dua belah pihak",
        "sebuah kotak suara dan seorang saksi",
        "debat ketiga calon gubernur",
        "dua-duanya hadir",
        "hasilnya sebelas dua belas",
        "ada seribu satu alasan",
        "satu dua orang datang",
    ],
)
def test_idioms_are_left_alone(said):
    assert normalize_text(said) == said


@pytest.mark.parametrize(
    "decoded, written",
    [
        # Whisper's own digits in running text (the corpus's news sentences' shapes).
        ("Jika saja dia tidak cekatan, sedikitnya 6 gol akan tercipta.",
         "Jika saja dia tidak cekatan, sedikitnya enam gol akan tercipta."),
        ("sudah berlangsung selama 6 tahun.", "sudah berlangsung selama enam tahun."),
        ("hasil kunjungannya ke 4 negara dan terakhir India", "hasil kunjungannya ke empat negara dan terakhir India"),
        ("KPU menetapkan 3 pasangan calon", "KPU menetapkan tiga pasangan calon"),
        ("naik 2 kali lipat", "naik dua kali lipat"),
        ("yang hadir hanya 1.", "yang hadir hanya satu."),
        ("\"2 orang\" katanya", "\"Dua orang\" katanya"),
        # A sentence does not start with a digit.
        ("Rapat dibuka. 5 saksi hadir.", "Rapat dibuka. Lima saksi hadir."),
        ("Katanya \"sudah siap.\" 5 saksi hadir.", "Katanya \"sudah siap.\" Lima saksi hadir."),
    ],
)
def test_one_to_nine_that_whisper_wrote_as_digits_in_running_text_become_words(decoded, written):
    assert normalize_text(decoded) == written


@pytest.mark.parametrize(
    "decoded",
    [
        "kantor KPU di lantai 7",  # a counted noun
        "pasangan nomor urut 2",
        "dibuka pukul 7 pagi",  # a time, a date, a year
        "pada tanggal 6 bulan depan",
        "rapat pada 6 Oktober",
        "naik 5 persen",  # a unit, a scale, a sign
        "jaraknya 5 km dari TPS",
        "sebanyak 2 juta pemilih",
        "naik 5% dari 2019",
        "uangnya Rp 5 saja",
        "antara 1 atau 2 orang",  # next to another number
        "hanya 5 dari 10 kotak",
        "poin (3) berbunyi",  # a list's item
        "menang 2-1",
    ],
)
def test_digits_stay_digits_where_news_writes_digits(decoded):
    assert normalize_text(decoded) == decoded
    assert normalize_text("untuk ke 3 kalinya") == "untuk ke-3 kalinya"  # an ordinal


def test_a_digit_at_a_segments_start_is_capitalized_only_when_a_sentence_starts_there():
    def segment(start: float, *words: str) -> Segment:
        return Segment(start, start + 1, " ".join(words), [Word(start + k * 0.2, start + k * 0.2 + 0.1, w, 0.9)
                                                         for k, w in enumerate(words)])

    transcript = Transcript("id", 3.0, [segment(0, "Rapat", "dibuka."), segment(1, "3", "saksi", "datang"),
                                        segment(2, "4", "orang", "pulang.")])
    assert [s.text for s in normalize_transcript(transcript).segments] == [
        "Rapat dibuka.", "Tiga saksi datang", "empat orang pulang."]


def test_counted_nouns_take_digits_even_below_ten():
    assert normalize_text("kantor KPU di lantai tujuh") == "kantor KPU di lantai 7"
    assert normalize_text("pasangan nomor urut dua") == "pasangan nomor urut 2"
    assert normalize_text("di RT nol tiga RW sepuluh") == "di RT 03 RW 10"
    assert normalize_text("sesuai pasal dua ratus empat puluh") == "sesuai pasal 240"


def test_ordinals():
    assert normalize_text("debat ke tiga calon bupati") == "debat ke-3 calon bupati"
    assert normalize_text("rapat pleno ke-3") == "rapat pleno ke-3"
    assert normalize_text("hari ke-tiga") == "hari ke-3"
    assert normalize_text("pemilu ke dua belas") == "pemilu ke-12"
    assert normalize_text("debat ketiga") == "debat ketiga"  # the word form stays
    # "ke" as the preposition "to": to three cities.
    assert normalize_text("kunjungan ke tiga kota") == "kunjungan ke tiga kota"


def test_years():
    assert normalize_text("pada tahun dua ribu sembilan belas") == "pada tahun 2019"
    assert normalize_text("sejak tahun sembilan belas sembilan puluh delapan") == "sejak tahun 1998"
    assert normalize_text("Pemilu dua ribu empat belas") == "Pemilu 2014"


def test_dates_in_news_forms():
    assert normalize_text("pemungutan suara dua puluh tujuh november dua ribu dua puluh empat") == (
        "pemungutan suara 27 November 2024"
    )
    assert normalize_text("Senin, dua puluh satu oktober dua ribu dua puluh empat.") == "Senin, 21 Oktober 2024."
    assert normalize_text("mulai tujuh oktober") == "mulai 7 Oktober"
    assert normalize_text("Selasa dua puluh satu garis miring sepuluh garis miring dua puluh satu") == (
        "Selasa 21/10/21"
    )


def test_times():
    assert normalize_text("TPS dibuka pukul tujuh pagi") == "TPS dibuka pukul 07.00"
    assert normalize_text("ditutup pukul tiga belas WIB") == "ditutup pukul 13.00 WIB"
    assert normalize_text("pukul sembilan lewat tiga puluh") == "pukul 09.30"
    assert normalize_text("pukul sembilan tiga puluh wita") == "pukul 09.30 WITA"
    assert normalize_text("pukul setengah delapan malam") == "pukul 19.30"
    assert normalize_text("pukul delapan kurang seperempat") == "pukul 07.45"
    assert normalize_text("Pukul dua siang waktu Indonesia timur") == "Pukul 14.00 WIT"
    assert normalize_text("jam sepuluh malam") == "jam 22.00"
    # "jam" after a count is a duration, not a time of day.
    assert normalize_text("selama dua jam lima belas menit") == "selama dua jam 15 menit"


def test_percentages_and_decimals():
    assert normalize_text("partisipasi naik sepuluh persen") == "partisipasi naik 10 persen"
    assert normalize_text("hanya lima persen") == "hanya 5 persen"
    assert normalize_text("tumbuh tiga koma lima persen") == "tumbuh 3,5 persen"
    assert normalize_text("inflasi dua koma nol lima persen") == "inflasi 2,05 persen"
    assert normalize_text("selisih nol koma lima persen") == "selisih 0,5 persen"


def test_rupiah():
    assert normalize_text("anggaran lima juta rupiah") == "anggaran Rp 5 juta"
    assert normalize_text("harga tiketnya satu juta tujuh ratus lima puluh ribu rupiah") == (
        "harga tiketnya Rp 1.750.000"
    )
    assert normalize_text("harga tiket kereta tujuh puluh lima ribu rupiah") == "harga tiket kereta Rp 75.000"
    assert normalize_text("dana dua koma lima miliar rupiah") == "dana Rp 2,5 miliar"
    # Whisper's own digits with a spoken scale.
    assert normalize_text("harga tiketnya 1 juta 750 ribu rupiah") == "harga tiketnya Rp 1.750.000"
    assert normalize_text("hanya 75.000 rupiah.") == "hanya Rp 75.000."


def test_digits_said_one_by_one():
    assert normalize_text("hubungi saya di dua kosong satu dua dua empat lima") == "hubungi saya di 2012245"
    assert normalize_text("satu satu sembilan selamat malam") == "119 selamat malam"
    assert normalize_text("TPS nol nol satu") == "TPS 001"
    # The same, as Whisper writes such digits.
    assert normalize_text("hubungi saya di 2,1,2,2,4,5.") == "hubungi saya di 212245."
    assert normalize_text("1-1-9 selamat malam") == "119 selamat malam"
    assert normalize_text("1 1 9 selamat malam") == "119 selamat malam"
    assert normalize_text("naik 2,5 persen, 2 3 orang") == "naik 2,5 persen, 2 3 orang"


def test_election_numbers():
    assert normalize_text("petugas TPS dua belas") == "petugas TPS 12"
    assert normalize_text("mengisi formulir C satu") == "mengisi formulir C1"
    assert normalize_text("salinan formulir model D hasil") == "salinan formulir model D hasil"
    assert normalize_text("model C satu plano") == "model C1 plano"


def test_what_is_already_written_so_is_left_alone():
    from studio.text.itn import find_changes

    for text in ("naik 10 persen", "sebanyak 5 juta pemilih", "pukul 07.00 WIB", "tahun 2024", "ke-3"):
        assert find_changes(text.split()) == []
    assert normalize_text("2 ribu pemilih") == "2.000 pemilih"


def test_punctuation_stops_a_number_and_is_kept():
    assert normalize_text("sebanyak dua puluh, tiga puluh orang") == "sebanyak 20, 30 orang"
    assert normalize_text("(dua puluh persen)") == "(20 persen)"


def test_transcript_words_merge_and_keep_what_was_said():
    said = ["Pemilu", "dua", "ribu", "dua", "puluh", "empat", "digelar", "pukul", "tujuh", "pagi."]
    words = [Word(i, i + 0.5, w, 0.9 - i / 100) for i, w in enumerate(said)]
    transcript = Transcript("id", 10.0, [Segment(0.0, 9.5, " ".join(said), words)])
    out = normalize_transcript(transcript)
    seg = out.segments[0]
    assert seg.text == "Pemilu 2024 digelar pukul 07.00."
    assert [(w.word, w.start, w.end, w.spoken) for w in seg.words] == [
        ("Pemilu", 0, 0.5, None),
        ("2024", 1, 5.5, "dua ribu dua puluh empat"),
        ("digelar", 6, 6.5, None),
        ("pukul 07.00.", 7, 9.5, "pukul tujuh pagi."),
    ]
    assert seg.words[1].probability == pytest.approx(0.85)
    # The spoken form survives the raw transcript's JSON; unchanged words carry none.
    again = Transcript.from_json(out.to_json())
    assert again == out
    assert '"spoken"' not in transcript.to_json()


def _said(*words: str) -> Transcript:
    return Transcript("id", 12.0, [Segment(0.0, len(words) * 0.4, " ".join(words), [
        Word(k * 0.4, k * 0.4 + 0.35, w, 0.9) for k, w in enumerate(words)])])


def test_transcript_files_show_digits_and_the_json_keeps_what_was_said(tmp_path):
    from studio.workspace.transcript import write_transcript_files

    transcript = _said("Pemilih", "datang", "ke", "TPS", "dua", "belas", "pukul", "tujuh", "pagi.")
    paths = write_transcript_files(tmp_path, normalize_transcript(transcript))
    assert "Pemilih datang ke TPS 12 pukul 07.00." in paths["vtt"].read_text(encoding="utf-8")
    assert "TPS 12 pukul 07.00." in paths["srt"].read_text(encoding="utf-8")
    assert paths["txt"].read_text(encoding="utf-8") == "Pemilih datang ke TPS 12 pukul 07.00.\n"
    import json

    (segment,) = json.loads(paths["json"].read_text(encoding="utf-8"))["segments"]
    assert segment["body"] == "Pemilih datang ke TPS 12 pukul 07.00."
    assert segment["spoken"] == "Pemilih datang ke TPS dua belas pukul tujuh pagi."


@pytest.mark.parametrize("itn", [True, False])
def test_process_applies_itn_to_the_stored_raw_transcript_unless_the_show_turns_it_off(workspace, itn):
    """An episode transcribed before ITN existed gets it on the next run, without transcribing again."""
    import dataclasses

    from conftest import add_fake_episode, episode_context

    from studio.pipeline import ModelCache, record_transcript
    from studio.pipeline.text import make_text
    from studio.pipeline.transcript import make_transcript

    workspace.save_show(dataclasses.replace(workspace.show("kpu"), itn=itn))
    episode = add_fake_episode(workspace, "kpu", "2024-10-21-jadwal")
    folder = workspace.episode_dir(episode.id)
    record_transcript(workspace, episode.id, _said("serentak", "dua", "ribu", "dua", "puluh", "empat."))
    ctx = episode_context(workspace, episode.id)
    make_transcript(ctx, ModelCache())
    assert ctx.report.skipped == ["transcript"]  # not transcribed again
    make_text(ctx)
    text = (folder / "transcript.txt").read_text(encoding="utf-8")
    assert text == ("Serentak 2024.\n" if itn else "Serentak dua ribu dua puluh empat.\n")


def test_only_indonesian_transcripts_are_formatted():
    from studio.text.normalize import normalize_transcript as text_rules

    english = Transcript("en", 2.0, [Segment(0.0, 1.0, "SEVEN dua puluh", [
        Word(0.0, 0.3, "SEVEN", 0.9), Word(0.3, 0.6, "dua", 0.9), Word(0.6, 1.0, "puluh", 0.9)])])
    assert text_rules(english, [], spelling=False) == english
    indonesian = Transcript("id", 2.0, english.segments)
    assert text_rules(indonesian, [], spelling=False).text == "Seven 20"
