"""A producer's transcript correction flows through `studio process` without transcribing again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_shared
from studio.cli import cli

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "id" / "tvri" / "a_TVRI_BS_071119_0177.wav"


def invoke(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_corrected_vtt_is_kept_and_flows_into_every_transcript_file(tmp_path):
    need_shared(SPEECH)
    ws = tmp_path / "ws"
    invoke("init", ws)
    invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU")
    episode = invoke("--workspace", ws, "-q", "ingest", SPEECH, "--show", "kpu", "--title", "Berita").strip()
    first = json.loads(invoke("--workspace", ws, "-q", "process", episode, "--no-clips", "--json"))
    assert "transcript" in first[0]["done"]
    folder = ws / "episodes" / episode
    vtt = (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert re.search(r"\d\d:\d\d\.\d{3} --> ", vtt)

    # The producer rewrites the first cue's text.
    lines = vtt.splitlines()
    first_text = next(i for i, line in enumerate(lines) if "-->" in line) + 1
    lines[first_text] = "Koreksi: KPU & Bawaslu"
    (folder / "transcript.vtt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    again = json.loads(invoke("--workspace", ws, "-q", "process", episode, "--no-clips", "--json"))
    assert "transcript" in again[0]["skipped"] and "transcript" not in again[0]["done"]
    assert "Koreksi: KPU & Bawaslu" in (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert "Koreksi: KPU & Bawaslu" in (folder / "transcript.srt").read_text(encoding="utf-8")
    assert "Koreksi: KPU & Bawaslu" in (folder / "transcript.txt").read_text(encoding="utf-8")
    segments = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))["segments"]
    assert segments[0]["body"].startswith("Koreksi: KPU & Bawaslu")
    assert "Koreksi: KPU & Bawaslu" in invoke("--workspace", ws, "transcript", episode)
