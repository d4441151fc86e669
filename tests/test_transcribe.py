"""studio.transcribe with the real default model: resolution, no invented text, accuracy."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest_transcribe import CORPUS, bulletin_clip, ffmpeg, need_corpus, normalize, shared_model, wer
from studio import transcribe as tr
from studio.transcribe import (
    Segment,
    TranscribeOptions,
    Transcript,
    TranscriptionError,
    Word,
    clean_segments,
    load_model,
    options_key,
    remove_loops,
    resolve_model,
    transcribe_file,
)
from studio.spelling import load_lexicon


def _part_paths() -> list[Path]:
    return [tr._package_data(pkg) / name for pkg, name in tr._DEFAULT_MODEL_PARTS]


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def model():
    return shared_model()


def _transcribe(path: Path, model, **options) -> Transcript:
    return transcribe_file(path, TranscribeOptions(device="cpu", **options), model=model)


# ---------------------------------------------------------------------------
# Model resolution


def test_default_model_is_joined_once_and_atomically(tmp_path, monkeypatch):
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src), Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(tr.os, "replace", spy)
    folder = Path(resolve_model(None, tmp_path / "cache"))
    model_bin = folder / "model.bin"
    parts = _part_paths()

    assert folder == tmp_path / "cache" / "whisper-base"
    assert model_bin.stat().st_size == sum(p.stat().st_size for p in parts)
    assert _sha256([model_bin]) == _sha256(parts)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (folder / name).is_file()
    # Every file arrived through a temp file in the same folder, renamed into place.
    assert {dst.name for _, dst in replaced} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert all(src.parent == dst.parent == folder and src != dst for src, dst in replaced)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.json"]

    before = model_bin.stat()
    replaced.clear()
    assert resolve_model("base", tmp_path / "cache") == str(folder)
    after = model_bin.stat()
    assert replaced == []
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_truncated_model_bin_is_replaced(tmp_path):
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"partial copy from an interrupted run")
    resolve_model(None, tmp_path)
    assert (folder / "model.bin").stat().st_size == sum(p.stat().st_size for p in _part_paths())


def test_local_folder_and_other_names_pass_through(tmp_path):
    assert resolve_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)
    assert resolve_model("small", tmp_path / "cache") == "small"
    assert not (tmp_path / "cache").exists()


def test_bad_model_names_give_one_line_errors(tmp_path):
    with pytest.raises(TranscriptionError) as err:
        load_model("no-such-model", device="cpu", cache_dir=tmp_path, local_files_only=True)
    message = str(err.value)
    assert "\n" not in message
    assert "'no-such-model'" in message and "tried" in message and "faster-whisper name" in message

    empty = tmp_path / "not-a-model"
    empty.mkdir()
    with pytest.raises(TranscriptionError) as err:
        load_model(str(empty), device="cpu", cache_dir=tmp_path)
    assert "\n" not in str(err.value) and str(empty) in str(err.value)


# ---------------------------------------------------------------------------
# Data and options


def test_transcript_json_round_trip():
    t = Transcript("id", 3.5, [Segment(0.5, 1.2, "Halo KPU.", [Word(0.5, 0.8, "Halo", 0.9), Word(0.8, 1.2, "KPU.", 0.8)])])
    assert Transcript.from_json(t.to_json()) == t
    assert t.text == "Halo KPU."


def test_options_key_tracks_every_output_setting():
    base = options_key(TranscribeOptions())
    assert base == options_key(TranscribeOptions())
    assert options_key(TranscribeOptions(language="auto")) == options_key(TranscribeOptions(language=None))
    changed = [
        TranscribeOptions(language="en"),
        TranscribeOptions(glossary=["KPU"]),
        TranscribeOptions(beam_size=1),
        TranscribeOptions(model="small"),
        TranscribeOptions(vad_threshold=0.6),
        TranscribeOptions(compute_type="float32"),
        TranscribeOptions(spelling=False),
    ]
    assert len({base, *map(options_key, changed)}) == len(changed) + 1


# ---------------------------------------------------------------------------
# Cleanup


def _words(text: str, start: float = 0.0) -> list[Word]:
    return [Word(start + i * 0.3, start + i * 0.3 + 0.25, w, 0.9) for i, w in enumerate(text.split())]


def test_loops_collapse_to_one_occurrence():
    def collapse(text):
        return " ".join(w.word for w in remove_loops(_words(text)))

    assert collapse("ya ya ya ya ya") == "ya"
    assert collapse("kita harus kita harus kita harus memilih") == "kita harus memilih"
    assert collapse("Terima kasih. Terima kasih. terima kasih, ya") == "Terima kasih. ya"
    assert collapse("sangat sangat penting") == "sangat sangat penting"  # twice is speech
    assert collapse("datang ke TPS datang ke TPS") == "datang ke TPS datang ke TPS"
    assert collapse("a b c d a b c d a b c d e") == "a b c d e"
    # A whole sentence twice in a row is a decoding artifact, not speech.
    twice = "dan berdasarkan keterangan dari keluarga. "
    assert collapse(twice * 2 + "ya") == twice + "ya"


def test_clean_segments_across_segments_and_hallucination_phrases():
    segments = [
        Segment(0.0, 1.0, "", _words("pemilih pemula datang ke TPS ke TPS", 0.0)),
        Segment(2.2, 3.0, "", _words("ke TPS ke TPS untuk memilih", 2.2)),
        Segment(5.0, 6.0, "", _words("Terima kasih telah menonton!", 5.0)),
        Segment(7.0, 8.0, "", _words("Subtitle by Amara.org community", 7.0)),
    ]
    cleaned = clean_segments(segments)
    assert " ".join(s.text for s in cleaned) == "pemilih pemula datang ke TPS untuk memilih"
    assert all(s.start == s.words[0].start and s.end == s.words[-1].end for s in cleaned)


def test_speech_is_packed_in_chunks_the_encoder_can_see_whole():
    second = 16000
    clips = [{"start": 0, "end": 12 * second}, {"start": 13 * second, "end": 25 * second},
             {"start": 26 * second, "end": 100 * second}]  # fmt: skip
    chunks = tr._speech_chunks(clips, 30 * second)
    assert all(sum(c["end"] - c["start"] for c in chunk) <= 30 * second for chunk in chunks)
    pieces = [c for chunk in chunks for c in chunk]
    assert sum(c["end"] - c["start"] for c in pieces) == 98 * second
    assert all(a["end"] <= b["start"] for a, b in zip(pieces, pieces[1:]))


# ---------------------------------------------------------------------------
# No invented text


@pytest.mark.slow
@pytest.mark.parametrize(
    "source",
    [
        "anullsrc=r=44100:cl=stereo",
        "anoisesrc=color=white:amplitude=0.3:r=16000",
        "anoisesrc=color=pink:amplitude=0.5:r=16000",
        "anoisesrc=color=brown:amplitude=0.8:r=16000",
        # A chord with a slow tremolo, a stand-in for music without voice.
        "aevalsrc=0.2*sin(2*PI*220*t)+0.15*sin(2*PI*277*t)+0.1*sin(2*PI*330*t)*(0.6+0.4*sin(2*PI*2*t)):s=16000",
    ],
)
def test_generated_non_speech_gives_empty_transcript(tmp_path, model, source):
    path = tmp_path / "generated.mp3"
    ffmpeg("-f", "lavfi", "-i", source, "-t", "20", str(path))
    transcript = _transcribe(path, model)
    assert transcript.segments == [], transcript.text
    assert transcript.duration == pytest.approx(20, abs=0.2)


def _non_speech_files():
    files = sorted((CORPUS / "noise").glob("*.wav")) + sorted((CORPUS / "music").glob("*.wav"))
    return files or [CORPUS / "noise"]


@pytest.mark.slow
@pytest.mark.parametrize("path", _non_speech_files(), ids=lambda p: p.name)
def test_corpus_noise_and_music_give_empty_transcript(model, path):
    need_corpus(path)
    transcript = _transcribe(path, model)
    assert transcript.segments == [], transcript.text


# ---------------------------------------------------------------------------
# Real speech


@pytest.mark.slow
def test_indonesian_broadcast_speech(model):
    path = CORPUS / "id" / "tvri" / "a_TVRI_BS_071119_0246.wav"
    need_corpus(path)
    calls = []
    transcript = transcribe_file(
        path, TranscribeOptions(device="cpu"), model=model, progress=lambda done, total: calls.append((done, total))
    )
    reference = path.with_suffix(".txt").read_text(encoding="utf-8")
    assert wer(reference, transcript.text) < 0.5, transcript.text
    assert transcript.language == "id"
    assert transcript.duration == pytest.approx(13.44, abs=0.1)
    words = transcript.words
    assert words and all(0 <= w.start <= w.end <= transcript.duration + 0.05 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # Progress goes forward and ends at the full duration.
    assert calls and all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert calls[-1][0] == pytest.approx(calls[-1][1], abs=0.1) == pytest.approx(13.44, abs=0.1)


@pytest.mark.slow
def test_long_form_in_windows_loses_and_repeats_nothing(model):
    transcript, reference, clip = bulletin_clip()
    assert wer(reference, transcript.text) < 0.35, transcript.text
    # Windows of 25 s were cut at pauses: no word appears twice around a cut, none is lost.
    hyp = normalize(transcript.text).split()
    ref = normalize(reference).split()
    assert abs(len(hyp) - len(ref)) <= 0.1 * len(ref)
    assert all(a.end <= b.start + 0.05 for a, b in zip(transcript.words, transcript.words[1:]))


@pytest.mark.slow
def test_auto_language_detection(model):
    # English speech, 44.1 kHz stereo FLAC: the language is found, not assumed.
    path = CORPUS / "en" / "jfk.flac"
    need_corpus(path)
    transcript = _transcribe(path, model, language="auto", glossary=[])
    assert transcript.language == "en"
    assert wer(path.with_suffix(".txt").read_text(encoding="utf-8"), transcript.text) < 0.2, transcript.text


@pytest.mark.slow
def test_clear_speech_in_another_language_is_kept_as_said(model):
    # The show is Indonesian; a clearly spoken English quote is still transcribed as said
    # (only foreign chunks the model decodes badly, like the corpus's English lyrics over
    # music, are left out).
    path = CORPUS / "en" / "jfk.flac"
    need_corpus(path)
    transcript = _transcribe(path, model)
    assert wer(path.with_suffix(".txt").read_text(encoding="utf-8"), transcript.text) < 0.2, transcript.text


@pytest.mark.slow
def test_undecodable_input_is_a_one_line_error(tmp_path, model):
    path = tmp_path / "not-audio.mp3"
    path.write_text("this is not audio\n" * 10)
    with pytest.raises(TranscriptionError) as err:
        _transcribe(path, model)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    with pytest.raises(TranscriptionError):
        _transcribe(tmp_path / "missing.wav", model)


def test_glossary_spelling_is_applied_to_words():
    segments = [Segment(0.0, 1.0, "", _words("data dpt dari kpu, bawaslu dan Tps."))]
    fixed = tr.apply_glossary(segments, ["KPU", "DPT", "Bawaslu", "TPS", "pemilih pemula"])
    assert fixed[0].text == "data DPT dari KPU, Bawaslu dan TPS."
    assert [w.word for w in fixed[0].words][-1] == "TPS."


def test_spelling_repair_keeps_timings_and_rebuilds_text():
    segments = [Segment(0.0, 1.5, "", _words("harga tikatnya naik.")), Segment(2.0, 3.0, "", _words("Tertib", 2.0))]
    fixed = tr.correct_spelling(segments, load_lexicon("id"))
    assert [s.text for s in fixed] == ["harga tiketnya naik.", "Tertib"]
    assert [(w.start, w.end) for s in fixed for w in s.words] == [(w.start, w.end) for s in segments for w in s.words]


@pytest.mark.slow
def test_spelling_repair_lowers_the_error_rate_of_real_output(model):
    path = CORPUS / "id" / "indsp_teldialog" / "MBO_U021.wav"
    need_corpus(path)
    reference = path.with_suffix(".txt").read_text(encoding="utf-8")
    raw = _transcribe(path, model, spelling=False).text
    repaired = _transcribe(path, model).text
    assert wer(reference, repaired) < wer(reference, raw), (raw, repaired)


def test_a_chunk_decoded_into_far_too_little_text_is_decoded_again():
    opts = TranscribeOptions()
    # A loop inside one word, then end of text: 27 s of speech came out as one word.
    assert tr._needs_fallback([{"text": " Dari Parta Republik, kongkongkong"}], 27.0, opts)
    assert tr._needs_fallback([{"text": " ya " * 40}], 20.0, opts)  # a loop of words
    speech = " Pemutakhiran data pemilih dilakukan oleh petugas di setiap TPS bersama KPPS."
    assert not tr._needs_fallback([{"text": speech}], 6.0, opts)
    assert not tr._needs_fallback([{"text": " Ya."}], 2.0, opts)  # short chunk, short answer
    assert not tr._needs_fallback([], 25.0, opts)  # nothing decoded: nothing to redo
