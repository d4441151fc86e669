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


@pytest.mark.model
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
    assert "Koreksi: KPU &amp; Bawaslu" in (folder / "transcript.vtt").read_text(encoding="utf-8")  # escaped, as WebVTT asks
    assert "Koreksi: KPU & Bawaslu" in (folder / "transcript.srt").read_text(encoding="utf-8")
    assert "Koreksi: KPU & Bawaslu" in (folder / "transcript.txt").read_text(encoding="utf-8")
    segments = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))["segments"]
    assert segments[0]["body"].startswith("Koreksi: KPU & Bawaslu")
    assert "Koreksi: KPU & Bawaslu" in invoke("--workspace", ws, "transcript", episode)


def test_malformed_timing_in_the_producers_vtt_is_one_line_of_bad_input(tmp_path):
    """No model needed: the episode's transcript is already made (as `process` caches it)."""
    import audiogen as g

    from studio.pipeline import record_transcript
    from studio.transcribe import Segment, Transcript, Word
    from studio.workspace.tree import Workspace

    ws = tmp_path / "ws"
    invoke("init", ws)
    invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU")
    source = g.encode(g.scale_to(g.speech(4.0, seed=3), -24.0), tmp_path / "sesi.wav", *g.FORMATS["wav"])
    episode_id = invoke("--workspace", ws, "-q", "ingest", source, "--show", "kpu").strip()
    workspace = Workspace(ws)
    folder = workspace.episode_dir(episode_id)
    words = [Word(0.5, 0.9, "Selamat", 0.9), Word(1.0, 1.4, "pagi.", 0.9)]
    record_transcript(workspace, episode_id, Transcript("id", 4.0, [Segment(0.5, 1.4, "Selamat pagi.", words)]))
    (folder / "transcript.vtt").write_text("WEBVTT\n\n1\n00:00.500 --> 00:01.4OO\nSelamat pagi.\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["--workspace", str(ws), "-q", "process", episode_id, "--no-clips"],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {episode_id}: {folder / 'transcript.vtt'}:4: "
                             "cannot read cue timing '00:00.500 --> 00:01.4OO'\n")


def test_a_transcript_process_refused_is_not_published_the_last_good_one_is(tmp_path):
    """A producer's VTT with an unreadable timing line: `run` says so in one line (process refused it),
    and publishes the transcript made last (the VTT `process` accepted), never the broken file; with no good
    one there, no transcript goes out and the feed links none."""
    import audiogen as g

    from studio.pipeline import record_transcript
    from studio.transcribe import Segment, Transcript, Word
    from studio.workspace.tree import Workspace

    ws = tmp_path / "ws"
    invoke("init", ws)
    invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU")
    source = g.encode(g.scale_to(g.speech(4.0, seed=3), -24.0), tmp_path / "sesi.wav", *g.FORMATS["wav"])
    episode_id = invoke("--workspace", ws, "-q", "ingest", source, "--show", "kpu", "--recorded-on",
                        "2026-11-20").strip()
    workspace = Workspace(ws)
    folder = workspace.episode_dir(episode_id)
    words = [Word(0.5, 0.9, "Selamat", 0.9), Word(1.0, 1.4, "pagi.", 0.9)]
    record_transcript(workspace, episode_id, Transcript("id", 4.0, [Segment(0.5, 1.4, "Selamat pagi.", words)]))
    invoke("--workspace", ws, "-q", "process", episode_id, "--no-clips")  # the text stage: no model
    good = (folder / "transcript.vtt").read_bytes()
    public_vtt = ws / "public" / "transcripts" / f"{episode_id}.vtt"
    broken = "WEBVTT\n\n1\n00:00.500 --> 00:01.4OO\nSelamat pagi, HOAKS.\n"
    (folder / "transcript.vtt").write_text(broken, encoding="utf-8")

    result = CliRunner().invoke(cli, ["--workspace", str(ws), "run", "--no-clips"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"error: {episode_id}: {folder / 'transcript.vtt'}:4: cannot read cue timing" in result.stderr
    assert public_vtt.read_bytes() == good  # never the broken file
    assert f"{episode_id}: transcript.vtt was changed and not yet accepted by `process`; the last good " \
           "transcript goes out" in result.stderr
    assert "HOAKS" not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                  for p in (ws / "public").rglob("*") if p.suffix in (".vtt", ".srt", ".txt", ".json",
                                                                                      ".html", ".xml"))
    feed = (ws / "public" / "feeds" / "kpu.xml").read_text(encoding="utf-8")
    assert f"transcripts/{episode_id}.vtt" in feed

    # The last good VTT lost as well: nothing of the transcript goes out (and the feed links none).
    (folder / ".studio" / "transcript.good.vtt").unlink()
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "run", "--no-clips"], catch_exceptions=False)
    assert "no transcript goes out" in result.stderr, result.output
    assert public_vtt.read_bytes() == good  # what went out before stays (publish prunes only when asked)
    assert "transcripts/" not in (ws / "public" / "feeds" / "kpu.xml").read_text(encoding="utf-8")
