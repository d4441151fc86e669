"""The text stage: the text rules run over the model's raw words, kept apart; a rule change (TEXT_VERSION) or a
text setting re-runs them in seconds and never the model."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode, record_transcript
from studio.progress import Reporter
from studio.transcribe import Segment, Transcript, Word
from studio.workspace import Workspace
from studio.workspace.transcript import transcript_edited, write_edited_cues

WORDS = "kpu pake data dpt tahun dua ribu dua puluh empat.".split()


def raw_transcript() -> Transcript:
    words = [Word(0.2 + i * 0.3, 0.45 + i * 0.3, w, 0.9) for i, w in enumerate(WORDS)]
    return Transcript("id", 3.0, [Segment(words[0].start, words[-1].end, " ".join(WORDS), words)])


@pytest.fixture
def ws(processed_workspace: Workspace, tmp_path: Path, monkeypatch) -> Workspace:
    """A processed episode whose raw transcript is recorded as the model would have made it; loading a model
    fails the test."""
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    workspace = Workspace(tmp_path / "ws")

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr("studio.pipeline.transcript.load_model", no_model)
    record_transcript(workspace, episode_id(workspace), raw_transcript())
    return workspace


def episode_id(workspace: Workspace) -> str:
    return sorted(workspace.episode_ids())[0]


def process(workspace: Workspace):
    return process_episode(workspace, find_ffmpeg(), episode_id(workspace), Reporter(quiet=True),
                           ProcessOptions(clips=False))


def text(workspace: Workspace) -> str:
    return workspace.files(episode_id(workspace)).transcript("txt").read_text(encoding="utf-8")


def test_the_text_rules_write_the_captions_and_the_raw_words_stay_the_models(ws):
    raw = ws.files(episode_id(ws)).raw_transcript
    before = raw.read_bytes()
    report = process(ws)
    assert "transcript" in report.skipped and "text" in report.done
    assert text(ws) == "KPU pakai data DPT tahun 2024.\n"  # glossary, standard spelling, ITN
    assert raw.read_bytes() == before  # what the model said, as it said it
    assert "kpu pake" in json.loads(raw.read_text())["segments"][0]["text"]

    again = process(ws)
    assert "text" in again.skipped and not again.done


def test_a_text_version_bump_reruns_the_text_and_not_the_model(ws, monkeypatch):
    process(ws)
    monkeypatch.setattr("studio.pipeline.text.TEXT_VERSION", "a rule changed")
    report = process(ws)
    assert "text" in report.done and "transcript" in report.skipped


def test_a_text_setting_reruns_the_text_and_not_the_model(ws):
    process(ws)
    ws.save_show(dataclasses.replace(ws.show("kpu"), spelling=False, itn=False))
    report = process(ws)
    assert "text" in report.done and "transcript" in report.skipped  # spelling used to be a transcription option
    assert text(ws) == "KPU pake data DPT tahun dua ribu dua puluh empat.\n"


def test_a_producers_correction_survives_a_text_version_bump(ws, monkeypatch):
    from studio.workspace.transcript import read_cues, vtt_sha256

    process(ws)
    folder = ws.episode_dir(episode_id(ws))
    cues = read_cues(folder)
    cues[0].lines = ["Koreksi: KPU memakai DPT 2024."]
    write_edited_cues(folder, cues, vtt_sha256(folder))
    monkeypatch.setattr("studio.pipeline.text.TEXT_VERSION", "a rule changed")
    process(ws)
    assert transcript_edited(folder) and text(ws) == "Koreksi: KPU memakai DPT 2024.\n"
    assert "Koreksi: KPU memakai DPT 2024." in (folder / "transcript.srt").read_text(encoding="utf-8")


def test_a_vtt_edited_by_hand_flows_into_the_other_files_at_the_next_run(ws):
    process(ws)
    folder = ws.episode_dir(episode_id(ws))
    path = folder / "transcript.vtt"
    path.write_text(path.read_text(encoding="utf-8").replace("KPU pakai", "KPU memakai"), encoding="utf-8")
    report = process(ws)
    assert "text" in report.done
    assert text(ws) == "KPU memakai data DPT tahun 2024.\n"
