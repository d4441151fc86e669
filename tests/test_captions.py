"""studio.captions.cues: DESIGN.md's caption rules, the caption files and the correction flow."""

from __future__ import annotations

import json
import os
import re

import pytest
from conftest_transcribe import bulletin_clip

from studio.captions.cues import PHRASE_STARTERS, CaptionError, CaptionRules, Cue, build_cues
from studio.captions.formats import parse_vtt, render_text
from studio.text.highlights import make_title, sentences
from studio.transcribe import Segment, Transcript, Word
from studio.workspace.transcript import read_cues, transcript_edited, transcript_text, write_transcript_files

RULES = CaptionRules()
TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([.,])(\d{3}) --> (\d{2}):(\d{2}):(\d{2})([.,])(\d{3})$")


def _seconds(h, m, s, ms) -> float:
    return round(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, 3)


def check_rules(cues: list[Cue], words: list[Word], reading_speed: bool = True) -> None:
    """DESIGN.md's caption rules, checked on the cues as they will be written (ms precision)."""
    assert cues
    for cue in cues:
        start, end = round(cue.start, 3), round(cue.end, 3)
        assert 1 <= len(cue.lines) <= RULES.max_lines, cue
        assert all(0 < len(line) <= RULES.max_line_chars for line in cue.lines), cue
        assert RULES.min_duration <= round(end - start, 3) <= RULES.max_duration, cue
        if reading_speed:
            assert cue.chars / (end - start) <= RULES.max_cps + 1e-9, cue
    for a, b in zip(cues, cues[1:]):
        assert round(a.end, 3) <= round(b.start, 3), (a, b)
    # Every word is shown, once, in order.
    assert " ".join(c.body for c in cues).split() == " ".join(w.word for w in words).split()


def _lone_word_lines(cues: list[Cue]) -> list[Cue]:
    return [c for c in cues if len(c.lines) == 2 and any(len(line.split()) == 1 for line in c.lines)]


def _transcript(text: str, start: float = 0.5, chars_per_second: float = 15.0, pause: float = 0.6) -> Transcript:
    """Words timed for a given speaking rate, with a pause after each sentence."""
    words, t = [], start
    for token in text.split():
        duration = (len(token) + 1) / chars_per_second
        words.append(Word(round(t, 3), round(t + duration * 0.9, 3), token, 0.9))
        t += duration + (pause if token.endswith((".", "?", "!")) else 0.0)
    return Transcript("id", round(t + 1.0, 3), [Segment(words[0].start, words[-1].end, text, words)])


SPEECH = (
    "Pemilih pemula wajib memeriksa namanya di DPT sebelum hari pemungutan suara, karena KPU hanya "
    "melayani pemilih yang terdaftar. Jika nama Anda tidak ada, segera laporkan ke PPS atau datang ke "
    "kantor KPU terdekat dengan membawa KTP elektronik. Bawaslu juga membuka posko pengaduan untuk "
    "masyarakat yang menemukan pelanggaran selama masa kampanye dan pada saat pencoblosan di TPS. "
    "Pilkada serentak tahun ini diikuti oleh pemilih dari seluruh kabupaten dan kota. Petugas KPPS "
    "melakukan coklit dari rumah ke rumah untuk memastikan data pemilih akurat."
)


# ---------------------------------------------------------------------------
# Rules on real transcriber output


@pytest.mark.model
@pytest.mark.slow
def test_rules_hold_on_real_transcription():
    transcript, _, _ = bulletin_clip()
    cues = build_cues(transcript)
    check_rules(cues, transcript.words)
    assert len(_lone_word_lines(cues)) <= max(1, len(cues) // 10)
    # Cues follow the speech: each appears with its first word, at most max_lead early.
    words = iter(transcript.words)
    for cue in cues:
        first = next(words)
        assert cue.start >= first.start - RULES.max_lead - 1e-9
        assert cue.start <= first.start + 1e-9
        for _ in range(len(cue.body.split()) - 1):
            next(words)


@pytest.mark.model
@pytest.mark.slow
def test_cues_end_on_sentence_boundaries_when_they_can():
    transcript, _, _ = bulletin_clip()
    cues = build_cues(transcript)
    sentence_ends = sum(1 for c in cues if re.search(r"[.!?]$", c.body))
    assert sentence_ends >= 0.6 * len(cues)


# ---------------------------------------------------------------------------
# Rules on generated cases


def test_generated_normal_speech_breaks_at_phrases():
    transcript = _transcript(SPEECH)
    cues = build_cues(transcript)
    check_rules(cues, transcript.words)
    assert _lone_word_lines(cues) == []
    for cue in cues:
        for line in cue.lines:
            assert line.split()[-1].lower() not in PHRASE_STARTERS, cue
    assert sum(1 for c in cues if c.body.endswith(".")) >= SPEECH.count(". ") + 1 - 1


def test_generated_long_words():
    text = (
        "Ketidakberpihakan penyelenggara pertanggungjawabannya dipertanyakan, "
        "lihat https://www.kpu.go.id/berita/pengumuman-daftar-pemilih-tetap-pemilu-serentak "
        "untuk memperdengarkan sosialisasi ketidakberpihakan pemberdayaan masyarakat."
    )
    transcript = _transcript(text, chars_per_second=14)
    cues = build_cues(transcript)
    for cue in cues:
        assert all(len(line) <= RULES.max_line_chars for line in cue.lines)
    # The URL is cut into line-sized pieces; everything else is intact.
    shown = " ".join(c.body for c in cues)
    assert "Ketidakberpihakan" in shown and "pertanggungjawabannya" in shown
    assert all(RULES.min_duration <= round(c.end - c.start, 3) <= RULES.max_duration for c in cues)
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_fast_speech_borrows_silence_to_keep_reading_speed():
    # 24 characters a second while speaking, but with pauses between sentences:
    # the rules can only hold if cues stay up into the following silence.
    transcript = _transcript(SPEECH, chars_per_second=24, pause=1.2)
    cues = build_cues(transcript)
    check_rules(cues, transcript.words)
    assert any(c.end > w.end + 0.2 for c in cues for w in transcript.words if c.body.endswith(w.word))


def test_too_fast_speech_stays_in_sync_without_overlaps():
    # 30 characters a second with no pauses: no layout can reach 20 cps. Cues must still
    # keep every other rule, stay with the speech and use all the time there is.
    transcript = _transcript(SPEECH, chars_per_second=30, pause=0.0)
    cues = build_cues(transcript)
    check_rules(cues, transcript.words, reading_speed=False)
    words = transcript.words
    assert cues[0].start >= words[0].start - RULES.max_lead
    assert cues[-1].end <= transcript.duration
    assert all(round(b.start - a.end, 3) <= 0.01 for a, b in zip(cues, cues[1:]))


def test_empty_transcript_gives_no_cues(tmp_path):
    assert build_cues(Transcript("id", 10.0, [])) == []
    paths = write_transcript_files(tmp_path, Transcript("id", 10.0, []))
    assert paths["vtt"].read_text().startswith("WEBVTT")
    assert json.loads(paths["json"].read_text()) == {"version": "1.0.0", "segments": []}
    assert paths["txt"].read_text() == ""


# ---------------------------------------------------------------------------
# Files and corrections


def _vtt_cues(text: str) -> list[tuple[float, float, str]]:
    """An independent reading of a VTT: timing lines by regex, text up to the blank line."""
    lines = text.split("\n")
    assert lines[0] == "WEBVTT"
    cues = []
    for i, line in enumerate(lines):
        m = TIMING.match(line)
        if m:
            assert m.group(4) == m.group(9) == "."
            body = []
            for following in lines[i + 1 :]:
                if not following:
                    break
                body.append(following)
            cues.append((_seconds(*m.group(1, 2, 3, 5)), _seconds(*m.group(6, 7, 8, 10)), " ".join(body)))
    return cues


def _srt_cues(text: str) -> list[tuple[float, float, str]]:
    blocks = [b for b in text.strip("\n").split("\n\n") if b]
    cues = []
    for number, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        m = TIMING.match(lines[1])
        assert m and m.group(4) == m.group(9) == ","
        cues.append((_seconds(*m.group(1, 2, 3, 5)), _seconds(*m.group(6, 7, 8, 10)), " ".join(lines[2:])))
    return cues


def test_files_agree_with_each_other(tmp_path):
    transcript = _transcript(SPEECH)
    paths = write_transcript_files(tmp_path, transcript)
    assert {p.name for p in paths.values()} == {"transcript.vtt", "transcript.srt", "transcript.json", "transcript.txt"}
    vtt = _vtt_cues(paths["vtt"].read_text(encoding="utf-8"))
    srt = _srt_cues(paths["srt"].read_text(encoding="utf-8"))
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["version"] == "1.0.0"
    segments = [(s["startTime"], s["endTime"], s["body"]) for s in data["segments"]]
    assert vtt == srt == segments
    assert paths["txt"].read_text(encoding="utf-8").split() == SPEECH.split()
    assert transcript_text(tmp_path).split() == SPEECH.split()
    assert not transcript_edited(tmp_path)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_producer_correction_flows_everywhere_and_is_kept(tmp_path):
    transcript = _transcript(SPEECH)
    paths = write_transcript_files(tmp_path, transcript)
    vtt = paths["vtt"].read_text(encoding="utf-8")
    assert "coklit" in vtt
    # The producer fixes a word, capitalises a term and moves a cue's end, by hand, with
    # Windows line endings.
    edited = vtt.replace("coklit", "pencocokan dan penelitian (coklit)").replace("pilkada", "Pilkada")
    first_end = _vtt_cues(vtt)[0][1]
    edited = edited.replace(f"--> 00:00:{first_end:06.3f}", f"--> 00:00:{first_end - 0.2:06.3f}", 1)
    paths["vtt"].write_bytes(edited.replace("\n", "\r\n").encode("utf-8"))
    edited_bytes = paths["vtt"].read_bytes()
    assert transcript_edited(tmp_path)

    # Processing runs again, with the cached transcript, and again with a different one.
    for again in (Transcript.from_json(transcript.to_json()), _transcript("Teks lain dari mesin.")):
        write_transcript_files(tmp_path, again)
        assert paths["vtt"].read_bytes() == edited_bytes
        for key in ("srt", "json", "txt"):
            assert "pencocokan dan penelitian (coklit)" in paths[key].read_text(encoding="utf-8"), key
        assert "Teks lain" not in paths["txt"].read_text(encoding="utf-8")
    srt = _srt_cues(paths["srt"].read_text(encoding="utf-8"))
    assert srt[0][1] == pytest.approx(first_end - 0.2)
    assert [(c.start, c.end, c.body) for c in read_cues(tmp_path)] == srt
    assert "pencocokan dan penelitian (coklit)" in transcript_text(tmp_path)

    # Asked to, the machine captions replace the edit.
    write_transcript_files(tmp_path, transcript, discard_edits=True)
    assert paths["vtt"].read_text(encoding="utf-8") == vtt
    assert not transcript_edited(tmp_path)


def test_unchanged_files_are_not_rewritten(tmp_path):
    transcript = _transcript(SPEECH)
    paths = write_transcript_files(tmp_path, transcript)
    before = {k: p.stat().st_mtime_ns for k, p in paths.items()}
    write_transcript_files(tmp_path, transcript)
    assert {k: p.stat().st_mtime_ns for k, p in paths.items()} == before


def test_existing_vtt_without_state_is_treated_as_the_producers(tmp_path):
    (tmp_path / "transcript.vtt").write_text("WEBVTT\n\n00:01.000 --> 00:03.500\nDitulis tangan.\n", encoding="utf-8")
    paths = write_transcript_files(tmp_path, _transcript(SPEECH))
    assert paths["vtt"].read_text(encoding="utf-8").endswith("Ditulis tangan.\n")
    assert json.loads(paths["json"].read_text())["segments"] == [
        {"startTime": 1.0, "endTime": 3.5, "body": "Ditulis tangan."}
    ]


def test_parser_is_lenient_with_hand_edits():
    text = (
        "\ufeffWEBVTT - edited\r\n\r\nNOTE checked by Rina\r\n\r\n"
        "intro\r\n00:00:01,000 --> 00:00:03.000 align:start\r\n<v Rina>Selamat <b>pagi</b> &amp; salam.\r\n\r\n"
        "00:04.000 --> 00:06.000\r\nBaris pertama\r\n\r\nbaris yang terpisah oleh baris kosong\r\n\r\n"
        "00:00:07.000 --> 00:00:08.000\r\n\r\n"
    )
    cues = parse_vtt(text)
    assert [(c.start, c.end, c.body, c.speaker) for c in cues] == [
        (1.0, 3.0, "Selamat pagi & salam.", "Rina"),
        (4.0, 6.0, "Baris pertama baris yang terpisah oleh baris kosong", None),
    ]
    with pytest.raises(CaptionError, match=r":3: cannot read cue timing"):
        parse_vtt("WEBVTT\n\n00:01.000 --> soon\nteks\n", "x.vtt")


def test_speaker_goes_to_json(tmp_path):
    (tmp_path / "transcript.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ketua KPU>Selamat pagi.\n", encoding="utf-8"
    )
    paths = write_transcript_files(tmp_path, _transcript(SPEECH))
    segment = json.loads(paths["json"].read_text())["segments"][0]
    assert segment == {"startTime": 1.0, "endTime": 3.0, "body": "Selamat pagi.", "speaker": "Ketua KPU"}


def test_transcript_files_are_readable_by_the_web_server(tmp_path):
    """Written through studio.fsutil: ordinary permissions (mkstemp's own 0600 would hide them once published)."""
    mask = os.umask(0o022)
    try:
        paths = write_transcript_files(tmp_path, _transcript(SPEECH))
    finally:
        os.umask(mask)
    for path in [*paths.values(), tmp_path / ".transcript-state.json"]:
        assert path.stat().st_mode & 0o777 == 0o644, path.name
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []


# ---------------------------------------------------------------------------
# One sentence-end rule for captions and highlights


@pytest.mark.parametrize("word, ends", [
    ("benar.’", True),  # a closing single quote: highlights said yes, captions no
    ("“benar.”", True), ("(benar.)", True), ("[benar.]", True), ("benar...", True), ("benar…", True),
    ("benar?!", True), ("benar!”)", True),
    ("benar", False), ("benar,", False), ("“benar”", False), ("Rp3.500", False), ("benar.’,", False),
])
def test_captions_and_highlights_agree_on_where_a_sentence_ends(word, ends):
    first, second = f"Kata petugas {word}", "Lalu pemilih pulang."
    # Captions: a long paragraph of the plain transcript breaks only after a sentence.
    paragraphs = render_text([Cue(0.0, 1.0, [first]), Cue(1.2, 2.0, [second])], paragraph_chars=1)
    assert paragraphs.count("\n\n") == (1 if ends else 0), paragraphs
    # Highlights: sentences are joined cues, and a title is the first sentence.
    assert [s.text for s in sentences([(0.0, 1.0, first), (1.2, 2.0, second)])] == (
        [first, second] if ends else [f"{first} {second}"])
    assert make_title(f"{first} {second}") == (first if ends else f"{first} {second}")


class _SavedWhileCaptioning(Transcript):
    """A transcript whose words, when Studio reads them to build its captions, are read while the
    producer saves transcript.vtt: the save lands between Studio's look at the file and its write."""

    def __init__(self, base: Transcript, vtt_path, producer_text: str):
        super().__init__(base.language, base.duration, base.segments)
        self._save = (vtt_path, producer_text)

    @property
    def words(self):
        if self._save:
            path, text = self._save
            self._save = None
            path.write_text(text, encoding="utf-8")
        return super().words


def test_producers_save_during_a_run_is_never_overwritten(tmp_path):
    first = write_transcript_files(tmp_path, _transcript(SPEECH))
    machine_vtt = first["vtt"].read_text(encoding="utf-8")
    producer = machine_vtt.replace("coklit", "pencocokan dan penelitian (coklit)")
    # A new machine transcript arrives while the producer saves a correction of the old one.
    paths = write_transcript_files(tmp_path, _SavedWhileCaptioning(_transcript("Teks lain dari mesin."),
                                                                   first["vtt"], producer))
    assert paths["vtt"].read_text(encoding="utf-8") == producer
    assert transcript_edited(tmp_path)
    assert "pencocokan dan penelitian (coklit)" in paths["txt"].read_text(encoding="utf-8")
    assert "Teks lain" not in paths["txt"].read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.tmp*"))


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_lost_state_file_recovers_studios_own_vtt(tmp_path, damage):
    transcript = _transcript(SPEECH)
    paths = write_transcript_files(tmp_path, transcript)
    state = tmp_path / ".transcript-state.json"
    if damage == "missing":
        state.unlink()
    else:
        state.write_text('{"written_vtt_sha256": ["ab', encoding="utf-8")
    assert transcript_edited(tmp_path)  # without its record, Studio's file looks like an edit...
    write_transcript_files(tmp_path, transcript)
    assert not transcript_edited(tmp_path)  # ...until it is found byte-identical to what Studio writes
    # So a new machine transcript reaches the captions again.
    paths = write_transcript_files(tmp_path, _transcript("Teks lain dari mesin."))
    assert "Teks lain dari mesin." in paths["vtt"].read_text(encoding="utf-8")


def test_lost_state_file_keeps_an_edit(tmp_path):
    transcript = _transcript(SPEECH)
    paths = write_transcript_files(tmp_path, transcript)
    edited = paths["vtt"].read_text(encoding="utf-8").replace("coklit", "pencocokan dan penelitian (coklit)")
    paths["vtt"].write_text(edited, encoding="utf-8")
    (tmp_path / ".transcript-state.json").unlink()
    for again in (transcript, _transcript("Teks lain dari mesin.")):
        write_transcript_files(tmp_path, again)
        assert paths["vtt"].read_text(encoding="utf-8") == edited
        assert transcript_edited(tmp_path)


def test_caption_error_is_bad_input():
    from studio.errors import BadInput

    with pytest.raises(BadInput, match=r"^x\.vtt:3: cannot read cue timing"):
        parse_vtt("WEBVTT\n\n00:01.000 --> soon\nteks\n", "x.vtt")
