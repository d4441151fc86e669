"""The speaker-label engine (studio.speakers) on recordings built from the corpus's real voices, read in place.

The reference turns are known by construction: each turn is a run of one speaker's corpus files (trimmed of
their silent edges), turns separated by a short pause."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import need_shared

from studio.data import SPEAKER_MODEL, SPEAKERS_DIR
from studio.speakers import Diarization, diarize, recognize
from studio.speakers.fbank import fbank

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("STUDIO_CORPUS", ROOT.parent / "shared" / "corpus"))
RATE = 16000
NEWS = [f"id/indsp_news/SPK00_F_{n}.wav" for n in ("0003", "0046", "0091", "0137", "0187", "0297", "0349", "0411",
                                                  "0468", "0527", "0600", "0657")]
FAL = [f"id/indsp_teldialog/FAL_U0{n}.wav" for n in ("01", "10", "21", "26", "30", "38")]
MBO = [f"id/indsp_teldialog/MBO_U0{n}.wav" for n in ("01", "10", "21", "26", "30", "38")]


def pcm(ffmpeg_exe: str, path: Path) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe, "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def trimmed(x: np.ndarray) -> np.ndarray:
    """Without the silent edges (20 ms frames 40 dB under the loudest)."""
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    level = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - 40)
    return x[loud[0] * 320:(loud[-1] + 1) * 320]


def write_wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def conversation(ffmpeg_exe: str, path: Path, turns: list[tuple[str, list[str]]],
                 pause: float = 0.5) -> tuple[Path, list[tuple[float, float, str]]]:
    """A recording of `turns` (speaker, corpus files) and its reference turns (start, end, speaker)."""
    rng = np.random.default_rng(1)
    parts, reference, at = [], [], 0.0
    for speaker, names in turns:
        for name in names:
            need_shared(CORPUS / name)
        x = np.concatenate([trimmed(pcm(ffmpeg_exe, CORPUS / name)) for name in names])
        reference.append((at, at + len(x) / RATE, speaker))
        gap = (rng.standard_normal(int(pause * RATE)) * 1e-4).astype(np.float32)  # room tone
        parts += [x, gap]
        at += (len(x) + len(gap)) / RATE
    return write_wav(path, np.concatenate(parts)), reference


def correct_share(result: Diarization, reference: list[tuple[float, float, str]]) -> float:
    """The share of the reference speech time given to the right speaker, under the best speaker mapping."""
    step = 0.01
    grid = np.arange(0, max(e for _, e, _ in reference), step)
    names = sorted({s for _, _, s in reference})
    truth = np.full(len(grid), -1)
    for start, end, speaker in reference:
        truth[(grid >= start) & (grid < end)] = names.index(speaker)
    found = np.full(len(grid), -1)
    for turn in result.turns:
        found[(grid >= turn.start) & (grid < turn.end)] = turn.speaker
    speakers = result.speakers
    best = 0
    for chosen in itertools.permutations(speakers + [-2] * len(names), len(names)):
        right = sum(int(((truth == i) & (found == s)).sum()) for i, s in enumerate(chosen))
        best = max(best, right)
    return best / int((truth >= 0).sum())


@pytest.fixture(scope="module")
def three(tmp_path_factory, ffmpeg_exe) -> tuple[Diarization, list]:
    """News reader, FAL and MBO, three rounds of 5-12 s turns (about 70 s)."""
    turns = [("news", NEWS[0:2]), ("fal", FAL[0:2]), ("mbo", MBO[0:2]), ("news", NEWS[2:4]), ("mbo", MBO[2:3]),
             ("fal", FAL[2:3]), ("news", NEWS[4:5]), ("fal", FAL[3:4]), ("mbo", MBO[3:4])]
    path, reference = conversation(ffmpeg_exe, tmp_path_factory.mktemp("three") / "three.wav", turns)
    return diarize(path, min_speakers=1, max_speakers=6), reference


def test_the_model_ships_with_its_licence():
    assert 5_000_000 < SPEAKER_MODEL.stat().st_size < 8_000_000  # the int8 export: the real model, kept light
    assert "Apache License" in (SPEAKERS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "sha256" in (SPEAKERS_DIR / "README.md").read_text(encoding="utf-8")


def test_fbank_is_kaldis_on_a_sine():
    """A 1 kHz tone peaks in the mel bin Kaldi's filterbank puts 1 kHz in; whole frames only (25 ms / 10 ms)."""
    t = np.arange(RATE) / RATE
    feats = fbank((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    assert feats.shape == (98, 80)
    mel = 1127 * np.log(1 + np.array([20, 8000]) / 700)
    centres = mel[0] + (np.arange(80) + 1) * (mel[1] - mel[0]) / 81
    assert abs(int(feats.mean(axis=0).argmax()) - int(np.abs(centres - 1127 * np.log(1 + 1000 / 700)).argmin())) <= 1


def test_three_speakers_are_found_and_told_apart(three):
    result, reference = three
    assert result.speakers == [0, 1, 2]
    assert correct_share(result, reference) >= 0.90
    assert [t.speaker for t in result.turns[:1]] == [0]  # numbered in order of first appearance
    for voice in result.prints.values():
        assert len(voice) == 192 and abs(np.linalg.norm(voice) - 1) < 1e-3


def test_one_speaker_is_one_speaker(tmp_path, ffmpeg_exe):
    path, reference = conversation(ffmpeg_exe, tmp_path / "one.wav", [("news", NEWS[5:8]), ("news", NEWS[8:12])])
    result = diarize(path)
    assert result.speakers == [0]
    assert correct_share(result, reference) >= 0.90


def test_a_known_voice_is_recognised_from_another_file(three, tmp_path, ffmpeg_exe):
    result, reference = three
    # the news reader's print from other files (the long bulletin's first minute), the FAL voice from its others
    need_shared(CORPUS / "id/long/indsp_news_bulletin_a.wav")
    bulletin = pcm(ffmpeg_exe, CORPUS / "id/long/indsp_news_bulletin_a.wav")[: 60 * RATE]
    news = diarize(write_wav(tmp_path / "bulletin.wav", bulletin), max_speakers=1)
    fal, _ = conversation(ffmpeg_exe, tmp_path / "fal.wav", [("fal", FAL[4:6])])
    known = {"Penyiar": news.prints[0], "Fal": diarize(fal, max_speakers=1).prints[0]}
    named = recognize(result.prints, known)
    order = list(dict.fromkeys(s for _, _, s in sorted(reference)))  # news, fal, mbo in order of appearance
    assert named.get(order.index("news")) == "Penyiar"
    assert named.get(order.index("fal")) == "Fal"
    assert order.index("mbo") not in named  # a voice nobody knows stays unnamed
    assert recognize(result.prints, {"Penyiar": news.prints[0], "Juga": news.prints[0]}) == {0: "Penyiar"}


def test_the_stage_opens_no_connection(tmp_path, ffmpeg_exe, monkeypatch):
    attempts = []

    class Blocked(socket.socket):
        def __init__(self, *args, **kwargs):
            attempts.append(args)
            raise OSError("network blocked by the test")

    monkeypatch.setattr(socket, "socket", Blocked)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a) or Blocked())
    path, _ = conversation(ffmpeg_exe, tmp_path / "two.wav", [("news", NEWS[:1]), ("mbo", MBO[:1])])
    result = diarize(path)
    assert result.turns and not attempts


def test_a_recording_without_speech_has_no_turns(tmp_path, ffmpeg_exe):
    tone = tmp_path / "tone.wav"
    subprocess.run([ffmpeg_exe, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-ar", "16000",
                    str(tone)], check=True)
    result = diarize(tone)
    assert result.turns == [] and result.prints == {} and abs(result.duration - 6) < 0.05


def test_short_flips_are_removed_and_pauses_within_a_turn_bridged():
    from studio.speakers.turns import Piece, smooth

    pieces = [Piece(0, 5, 0), Piece(5, 5.6, 1), Piece(5.6, 9, 0), Piece(9.8, 12, 0),  # a 0.6 s flip, a 0.8 s pause
              Piece(12.4, 20, 1), Piece(25, 25.7, 0)]  # a short turn after a long pause stays its own
    assert [(p.start, p.end, p.label) for p in smooth(pieces)] == [(0, 12, 0), (12.4, 20, 1), (25, 25.7, 0)]


def test_the_stage_works_in_a_namespace_without_network(tmp_path, ffmpeg_exe):
    """The whole stage (ffmpeg, the VAD, the model) in a child process with no network at all (unshare -rn)."""
    import shutil
    import sys

    if not shutil.which("unshare") or subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode:
        pytest.skip("unshare -rn is not permitted here")
    path, _ = conversation(ffmpeg_exe, tmp_path / "two.wav", [("news", NEWS[:2]), ("mbo", MBO[:2])])
    code = ("import sys; from pathlib import Path; from studio.speakers import diarize; "
            "print(len(diarize(Path(sys.argv[1])).speakers))")
    out = subprocess.run(["unshare", "-rn", sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "2"


def test_known_speech_skips_the_vad(three, tmp_path, ffmpeg_exe, monkeypatch):
    """diarize(speech=...) uses the sound analysis's speech segments instead of running the VAD again."""
    import studio.speakers.engine as engine

    result, reference = three
    path, reference = conversation(ffmpeg_exe, tmp_path / "again.wav",
                                   [("news", NEWS[0:2]), ("fal", FAL[0:2]), ("mbo", MBO[0:2])])
    monkeypatch.setattr(engine, "_vad", lambda samples: pytest.fail("the VAD ran"))
    known = diarize(path, speech=[[s, e] for s, e, _ in reference])
    assert known.speakers == [0, 1, 2]
    assert correct_share(known, reference) >= 0.95
