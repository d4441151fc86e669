"""What the regrouping promised, checked: an episode's data read once and handed to each stage, clips at the
show's loudness, and every file name and published key named in one place."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import re
import shutil
from collections import Counter
from pathlib import Path

import audiogen as g
import pytest
from webutil import make_web

from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode, record_transcript
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.transcribe import Segment, Transcript, Word
from studio.workspace import Workspace, init_workspace
from studio.workspace.config import LoudnessTargets
from studio.workspace.shows import add_show

STUDIO = Path(__file__).resolve().parents[1] / "studio"


def speech_episode(root: Path, seconds: float = 18.0, highlight: dict | None = None) -> tuple[Workspace, str]:
    """A workspace with one ingested episode of speech-like sound, its raw transcript recorded (no model)."""
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id")
    source = g.encode(g.scale_to(g.speech(seconds, seed=11), -24.0), root / "sesi.wav", *g.FORMATS["wav"])
    episode = ingest(ws, find_ffmpeg(), IngestRequest(file=source, show="kpu", title="Sesi", recorded_on="2026-03-01"),
                     Reporter(quiet=True)).episode
    words = [Word(1.0 + i * 0.8, 1.6 + i * 0.8, w, 0.9)
             for i, w in enumerate(("Selamat pagi. Hari ini kita bahas daftar pemilih tetap dan tempat pemungutan "
                                    "suara di kota kita bersama KPU.").split())]
    record_transcript(ws, episode.id, Transcript("id", seconds, [Segment(1.0, words[-1].end, "", words)]))
    if highlight:
        episode.highlights = [highlight]
        ws.save_episode(episode)
    return ws, episode.id


class Opened:
    """Counts the files Python opens while it is active, by name."""

    def __init__(self, monkeypatch):
        self.names: Counter = Counter()
        real = builtins.open

        def counting(file, *args, **kwargs):
            self.names[str(file)] += 1
            return real(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", counting)

    def count(self, ending: str) -> int:
        return sum(n for name, n in self.names.items() if name.endswith(ending))


@pytest.mark.slow
def test_one_process_reads_the_captions_once_and_saves_the_state_once_a_stage(tmp_path, monkeypatch):
    """It used to parse the VTT it had just written three times (chapters, highlights, clips) and save
    state.json five times."""
    ws, episode_id = speech_episode(tmp_path, highlight={"start": 1.0, "end": 16.5, "title": "Sorotan",
                                                         "formats": ["square"]})
    parses, saves = [], []
    from studio.workspace import transcript
    parse_vtt, save_state = transcript.parse_vtt, __import__("studio.pipeline.context", fromlist=["x"]).save_state
    monkeypatch.setattr("studio.workspace.transcript.parse_vtt", lambda *a, **k: parses.append(1) or parse_vtt(*a, **k))
    monkeypatch.setattr("studio.pipeline.context.save_state", lambda *a: saves.append(1) or save_state(*a))

    report = process_episode(ws, find_ffmpeg(), episode_id, Reporter(quiet=True), ProcessOptions())
    made = [s for s in report.done if s in ("speakers", "text", "chapters") or s.startswith("clip")]
    assert report.done[:2] == ["podcast", "broadcast"] and "transcript" in report.skipped
    assert len(parses) == 1  # read once, after the text stage wrote it, for the chapters and the clips
    assert len(saves) == 1 + len(made)  # the renditions, then each stage that made something

    parses.clear(), saves.clear()
    again = process_episode(ws, find_ffmpeg(), episode_id, Reporter(quiet=True), ProcessOptions())
    assert not again.done and saves == [] and len(parses) <= 1


def test_an_episode_page_reads_the_state_and_the_show_once(processed_workspace, tmp_path, monkeypatch):
    """It used to read state.json four times and the show's toml three times for one view."""
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    web = make_web(ws)
    client = web.client("producer")
    episode_id = ws.episode_ids()[0]
    assert client.get(f"/episodes/{episode_id}/").status_code == 200
    ws.save_show(dataclasses.replace(ws.show("kpu"), title="Sosialisasi KPU (baru)"))  # a change to read
    opened = Opened(monkeypatch)
    page = client.get(f"/episodes/{episode_id}/")
    assert page.status_code == 200 and "Sosialisasi KPU (baru)" in page.get_data(as_text=True)
    assert opened.count("/.studio/state.json") == 1
    assert opened.count("/feeds/kpu.toml") == 1


@pytest.mark.slow
def test_clips_follow_the_shows_loudness_target(tmp_path):
    """Clips carried their own gain planner at -16 LUFS, whatever the show asked."""
    import av
    import numpy as np
    import pyloudnorm

    ws, episode_id = speech_episode(tmp_path, highlight={"start": 1.0, "end": 16.5, "title": "Sorotan",
                                                         "formats": ["square"]})
    ws.save_show(dataclasses.replace(ws.show("kpu"), loudness=LoudnessTargets(podcast_lufs=-20.0)))
    process_episode(ws, find_ffmpeg(), episode_id, Reporter(quiet=True), ProcessOptions())
    clip = ws.files(episode_id).clips / "01-square.mp4"
    with av.open(str(clip)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        pcm = np.concatenate([frame.to_ndarray().T for frame in container.decode(stream)]).astype(np.float64)
    assert pyloudnorm.Meter(rate).integrated_loudness(pcm) == pytest.approx(-20.0, abs=0.7)


# -- one place for each name --------------------------------------------------------------------------------

# An episode's and the workspace's file names, and the keys of the published tree.
NAME = re.compile(r"^(?:\.studio(?:/.*)?|studio\.toml|episode\.toml|podcast\.mp3|broadcast\.wav"
                  r"|transcript\.(?:vtt|srt|json|txt|raw\.json)|(?:state|analysis|approval|peaks|chapters)\.json"
                  r"|(?:index|jobs)\.sqlite3|users\.json|audit\.log|(?:media|transcripts|chapters|clips|artwork|feeds"
                  r"|embed|search)/.*|index\.html|sitemap\.xml|robots\.txt)$")
LAYOUTS = {STUDIO / "workspace" / "layout.py", STUDIO / "publish" / "layout.py"}


def _literals(path: Path):
    """The string literals of a module (f-string parts too), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.Constant):
                    yield node.lineno, part.value.strip("/")


def test_every_file_name_and_published_key_is_named_in_a_layout_module():
    found = [f"{path.relative_to(STUDIO.parent)}:{line}: {text!r}"
             for path in sorted(STUDIO.rglob("*.py")) if path not in LAYOUTS
             for line, text in _literals(path) if NAME.match(text)]
    assert not found, "name these in studio/workspace/layout.py or studio/publish/layout.py:\n" + "\n".join(found)


def test_the_site_templates_link_through_the_published_keys():
    templates = STUDIO / "publish" / "site" / "templates"
    hard = [f"{t.name}: {m.group(0)}" for t in sorted(templates.glob("*.html"))
            for m in re.finditer(r"['\"]?(?:feeds|media|transcripts|chapters|clips)/[^'\"\s{]*|[\w/]*index\.html",
                                 t.read_text(encoding="utf-8"))]
    assert not hard, hard
