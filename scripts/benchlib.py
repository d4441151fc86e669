"""What several benchmarks share: the corpus's Indonesian speech cut into episodes of a given length."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "id"


def corpus_pieces(count: int, seconds: float, folder: Path) -> list[Path]:
    """`count` WAV files of `seconds` each in `folder`: every corpus recording with a reference, joined in name
    order (16 kHz mono) and cut; the corpus is read where it is, never copied into the repository."""
    sys.path.insert(0, str(ROOT))
    from studio.media.ffmpeg import find_ffmpeg, probe

    ffmpeg = find_ffmpeg().path
    sources = sorted(p for p in CORPUS.rglob("*.wav") if p.with_suffix(".txt").is_file())
    if not sources:
        sys.exit(f"no corpus recordings under {CORPUS}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    joined = folder / "joined.wav"
    graph = "".join(f"[{i}:a:0]aresample=16000,aformat=channel_layouts=mono[a{i}];" for i in range(len(sources)))
    graph += "".join(f"[a{i}]" for i in range(len(sources))) + f"concat=n={len(sources)}:v=0:a=1[out]"
    subprocess.run([ffmpeg, "-v", "error", "-y", *[arg for p in sources for arg in ("-i", str(p))],
                    "-filter_complex", graph, "-map", "[out]", str(joined)], check=True)
    total = probe(joined).duration
    if count * seconds > total:
        sys.exit(f"the corpus has {total:.0f} s of speech: fewer episodes, or shorter ones ({count} x {seconds:g} s)")
    pieces = []
    for i in range(count):
        piece = folder / f"sesi-{i + 1:02d}.wav"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-ss", str(i * seconds), "-t", str(seconds), "-i", str(joined),
                        str(piece)], check=True)
        pieces.append(piece)
    joined.unlink()
    return pieces
