"""A producer's edits are never lost: `ingest --replace` keeps them as a backup and waits for the episode lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import audiogen as g
import pytest
from click.testing import CliRunner

from studio.cli import cli
from studio.transcribe import Segment, Transcript, Word
from studio.workspace.transcript import write_transcript_files

RUNNER = CliRunner()
SPEECH = g.scale_to(g.speech(6.0, seed=11), -24.0)
REPO = Path(__file__).resolve().parents[1]


def studio(ws: Path, *args):
    return RUNNER.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert studio(root, "init", root).exit_code == 0
    assert studio(root, "show", "add", "kpu", "--title", "KPU").exit_code == 0
    return root


def ingest(ws: Path, source: Path, *args) -> dict:
    result = studio(ws, "-q", "ingest", source, "--show", "kpu", "--title", "Sesi", "--recorded-on", "2026-01-02",
                    "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def recordings(tmp_path: Path) -> tuple[Path, Path]:
    a = g.encode(SPEECH, tmp_path / "a.wav", *g.FORMATS["wav"])
    b = g.encode(SPEECH[::-1].copy(), tmp_path / "b.wav", *g.FORMATS["wav"])
    return a, b


def transcript() -> Transcript:
    words = [Word(0.5 + 0.4 * i, 0.8 + 0.4 * i, w, 0.9) for i, w in enumerate("Selamat pagi pemilih pemula.".split())]
    return Transcript("id", 6.0, [Segment(words[0].start, words[-1].end, "Selamat pagi pemilih pemula.", words)])


def test_replace_keeps_the_producers_transcript_edit_and_highlights(ws: Path, tmp_path: Path) -> None:
    a, b = recordings(tmp_path)
    folder = ws / "episodes" / ingest(ws, a)["id"]
    paths = write_transcript_files(folder, transcript())  # Studio's captions...
    edited = paths["vtt"].read_text(encoding="utf-8").replace("Selamat pagi", "Selamat siang")
    paths["vtt"].write_text(edited, encoding="utf-8")  # ...corrected by the producer
    with open(folder / "episode.toml", "a", encoding="utf-8") as f:
        f.write('\n[[highlights]]\nstart = 1.0\nend = 4.5\ntitle = "Salam"\n')

    result = studio(ws, "ingest", b, "--show", "kpu", "--title", "Sesi", "--recorded-on", "2026-01-02", "--replace")
    assert result.exit_code == 0, result.output
    assert (folder / "original.wav").read_bytes() == b.read_bytes()
    assert not (folder / "transcript.vtt").exists()  # the new recording gets its own transcript
    backups = list((folder / ".studio" / "replaced").iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert str(backup) in result.stderr  # the producer is told where
    assert (backup / "transcript.vtt").read_text(encoding="utf-8") == edited
    kept = tomllib.loads((backup / "episode.toml").read_text(encoding="utf-8"))
    assert kept["highlights"] == [{"start": 1.0, "end": 4.5, "title": "Salam"}]
    assert kept["sha256"] != tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))["sha256"]

    # Replacing again keeps the earlier backup too.
    assert studio(ws, "-q", "ingest", a, "--show", "kpu", "--title", "Sesi", "--recorded-on", "2026-01-02",
                  "--replace").exit_code == 0
    assert list((folder / ".studio" / "replaced").iterdir()) == [backup]
    assert (backup / "transcript.vtt").read_text(encoding="utf-8") == edited


def test_replace_without_edits_keeps_no_backup(ws: Path, tmp_path: Path) -> None:
    a, b = recordings(tmp_path)
    folder = ws / "episodes" / ingest(ws, a)["id"]
    write_transcript_files(folder, transcript())  # Studio's own captions, unedited
    ingest(ws, b, "--replace")
    assert not (folder / ".studio" / "replaced").exists()


def test_replace_waits_for_the_episode_lock_and_names_its_holder(ws: Path, tmp_path: Path) -> None:
    a, b = recordings(tmp_path)
    folder = ws / "episodes" / ingest(ws, a)["id"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from studio.workspace.state import episode_lock\n"
         "with episode_lock(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()", str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "locked"
        tree = g.file_tree(folder)
        result = studio(ws, "-q", "ingest", b, "--show", "kpu", "--title", "Sesi", "--recorded-on", "2026-01-02",
                        "--replace", "--wait", "1")
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and f"pid {holder.pid}" in lines[0], result.stderr
        assert g.file_tree(folder) == tree  # the episode is untouched
        assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # and no staging folder is left
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    ingest(ws, b, "--replace", "--wait", "5")  # once the lock is free, the replace goes through
    assert (folder / "original.wav").read_bytes() == b.read_bytes()
