"""Shared helpers for the transcription and caption tests: corpus paths, one model, one clip.

Imported by tests/test_transcribe.py and tests/test_captions.py (not a pytest conftest, so
other test modules do not pay for it). The model and the corpus clip's transcript are made
once per test session.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from conftest import MODEL_CACHE, need_shared

from studio.media.ffmpeg import FFmpeg, find_ffmpeg
from studio.transcribe import TranscribeOptions, Transcript, load_model, transcribe_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("STUDIO_CORPUS", ROOT.parent / "shared" / "corpus"))
BULLETIN = CORPUS / "id" / "long" / "indsp_news_bulletin_a.wav"
CLIP_SECONDS = 60.0


def need_corpus(*paths: Path) -> None:
    for path in paths:
        need_shared(path)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-_/]", " ", text)
    text = re.sub(r"[^\w\s]", "", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalize(reference), normalize(hypothesis) or "-")


@functools.lru_cache(maxsize=None)
def studio_ffmpeg() -> FFmpeg:
    return find_ffmpeg()


def ffmpeg(*args: str) -> None:
    subprocess.run([studio_ffmpeg().path, "-nostdin", "-hide_banner", "-v", "error", "-y", *args], check=True)


def said_twice(source: Path, pause_seconds: float, target: Path) -> Path:
    """source, pause_seconds of silence, source again: one recording at 16 kHz mono."""
    mono = "aformat=sample_rates=16000:channel_layouts=mono"
    ffmpeg("-i", str(source), "-f", "lavfi", "-t", f"{pause_seconds}", "-i", "anullsrc=r=16000:cl=mono",
           "-filter_complex", f"[0:a]{mono},asplit[a][b];[a][1:a][b]concat=n=3:v=0:a=1", str(target))
    return target


def joined(sources: list[Path], pause_seconds: float, target: Path) -> Path:
    """sources one after the other with pause_seconds of silence between: 16 kHz mono."""
    mono = "aformat=sample_rates=16000:channel_layouts=mono"
    inputs = [arg for source in sources for arg in ("-i", str(source))]
    n = len(sources)
    graph = "".join(f"[{i}:a]{mono}[s{i}];" for i in range(n))
    graph += f"[{n}:a]asplit={n}" + "".join(f"[p{i}]" for i in range(n)) + ";"
    graph += "".join(f"[s{i}][p{i}]" for i in range(n)) + f"concat=n={2 * n}:v=0:a=1"
    ffmpeg(*inputs, "-f", "lavfi", "-t", f"{pause_seconds}", "-i", "anullsrc=r=16000:cl=mono",
           "-filter_complex", graph, str(target))
    return target


@functools.lru_cache(maxsize=None)
def shared_model():
    return load_model(None, device="cpu", cache_dir=MODEL_CACHE)


@functools.lru_cache(maxsize=None)
def bulletin_clip() -> tuple[Transcript, str, Path]:
    """The corpus news bulletin cut at an utterance boundary near 60 s: transcript, reference, wav.

    Transcribed in 25-second windows so that window cuts are exercised too.
    """
    need_corpus(BULLETIN)
    rows = []
    for line in BULLETIN.with_suffix(".segments.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        start, end, _, text = line.split("\t", 3)
        rows.append((float(start), float(end), text))
    kept = [r for r in rows if r[1] <= CLIP_SECONDS]
    cut = (kept[-1][1] + rows[len(kept)][0]) / 2 if len(kept) < len(rows) else kept[-1][1] + 0.25
    folder = tempfile.mkdtemp(prefix="studio-test-")
    atexit.register(shutil.rmtree, folder, True)
    clip = Path(folder) / "bulletin.wav"
    ffmpeg("-i", str(BULLETIN), "-t", f"{cut:.3f}", str(clip))
    opts = TranscribeOptions(device="cpu", window_seconds=25)
    transcript = transcribe_file(studio_ffmpeg(), clip, opts, model=shared_model())
    return transcript, " ".join(r[2] for r in kept), clip
