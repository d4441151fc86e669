"""Speaker labels in every output: words and cues assigned to the speakers' turns, cues cut where the speaker
changes, VTT voice tags read back by a real WebVTT parser, SRT/TXT name prefixes, the Podcasting 2.0 JSON's
`speaker`; the producer's names and merges survive a re-run of `process` and a replace (speakers.json)."""

from __future__ import annotations

import io
import json
import math
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import webvtt

from studio import speakers as engine
from studio.captions import build_cues, parse_vtt
from studio.captions.voices import Turns
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode, record_transcript
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.transcribe import Segment, Transcript, Word
from studio.workspace import Workspace
from studio.workspace.speakers import (
    Move,
    SpeakerLayer,
    Speakers,
    episode_speakers,
    load_layer,
    rebase,
    save_layer,
    save_voice,
)
from studio.workspace.transcript import write_edited_cues, write_transcript_files

# Three stretches: the host (0) asks, a guest (1) answers, the host thanks. Each word 0.25 s.
HOST_1 = "selamat pagi bapak ketua apa kabar hari ini.".split()
GUEST = "kabar baik terima kasih atas undangannya.".split()
HOST_2 = "baik kita mulai sekarang.".split()
STRETCHES = [(0, HOST_1), (1, GUEST), (0, HOST_2)]

# The Podcasting 2.0 transcript JSON (podcast-namespace transcripts.md): segments with startTime, endTime,
# body and an optional speaker string.
P20_SCHEMA = {
    "type": "object", "required": ["version", "segments"],
    "properties": {
        "version": {"type": "string"},
        "segments": {"type": "array", "items": {
            "type": "object", "required": ["startTime", "endTime", "body"],
            "properties": {"startTime": {"type": "number", "minimum": 0}, "endTime": {"type": "number", "minimum": 0},
                           "body": {"type": "string"}, "speaker": {"type": "string", "minLength": 1}}}},
    },
}


def conversation(offset: float = 0.1) -> tuple[Transcript, list[tuple[float, float, int]], list[int]]:
    """A transcript, its speaker turns (a little wider than the words, as a diarization finds them) and each
    word's true speaker."""
    words, turns, truth = [], [], []
    t = offset
    for speaker, stretch in STRETCHES:
        start = t
        for w in stretch:
            words.append(Word(round(t, 3), round(t + 0.2, 3), w, 0.9))
            truth.append(speaker)
            t += 0.25
        turns.append((round(start - 0.05, 3), round(t + 0.02, 3), speaker))
        t += 0.3
    return Transcript("id", round(t + 0.5, 3), [Segment(words[0].start, words[-1].end, "", words)]), turns, truth


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


PRINTS = {0: unit([1.0, 0.1, 0.0]), 1: unit([0.0, 1.0, 0.1]), 2: unit([0.1, 0.0, 1.0])}


def speakers_of(turns, layer: SpeakerLayer | None = None) -> Speakers:
    return Speakers(Turns.of(turns), layer or SpeakerLayer(), PRINTS)


# -- assignment --------------------------------------------------------------------------------------

def test_each_word_gets_the_speaker_whose_turn_covers_most_of_it():
    turns = Turns.of([(0.0, 2.0, 0), (1.9, 4.0, 1), (5.0, 6.0, 2)])
    assert turns.speaker_at(0.5, 0.9) == 0
    assert turns.speaker_at(1.8, 2.3) == 1  # 0.1 s of speaker 0's turn, 0.4 s of speaker 1's
    assert turns.speaker_at(4.3, 4.5) == 1  # in no turn: the nearest one's
    assert turns.speaker_at(4.8, 4.9) == 2
    assert Turns.of([]).speaker_at(1.0, 2.0) is None


def test_cues_are_cut_where_the_speaker_changes_and_every_word_is_its_speakers():
    transcript, turns, truth = conversation()
    speakers = speakers_of(turns)
    cues = build_cues(transcript, speaker_of=speakers.speaker_of)
    said = [(cue.speaker, word) for cue in cues for word in cue.body.split()]
    assert [w for _, w in said] == [w.word for w in transcript.words]
    assert [int(s) for s, _ in said] == truth  # every word its speaker's: no cue holds two voices
    assert len(cues) >= 3
    named = speakers.label(cues, machine=True)
    assert [c.speaker for c in named][:1] == ["Pembicara 1"] and "Pembicara 2" in {c.speaker for c in named}


# -- the outputs -------------------------------------------------------------------------------------

def test_every_output_says_who_speaks(tmp_path):
    transcript, turns, _ = conversation()
    layer = SpeakerLayer(names={1: "Ani Wijaya"})
    paths = write_transcript_files(tmp_path, transcript, speakers=speakers_of(turns, layer))

    vtt = paths["vtt"].read_text(encoding="utf-8")
    assert "<v Pembicara 1>" in vtt and "<v Ani Wijaya>" in vtt
    parsed = webvtt.from_buffer(io.StringIO(vtt))  # a maintained WebVTT parser reads the voice spans
    voices = [cue.voice for cue in parsed]
    assert voices[0] == "Pembicara 1" and "Ani Wijaya" in voices
    assert all(v in ("Pembicara 1", "Ani Wijaya") for v in voices)
    assert "kabar baik" in " ".join(cue.text for cue in parsed if cue.voice == "Ani Wijaya")

    srt = paths["srt"].read_text(encoding="utf-8")
    assert "Pembicara 1: selamat pagi" in srt and "Ani Wijaya: kabar baik" in srt

    txt = paths["txt"].read_text(encoding="utf-8").split("\n\n")
    assert txt[0].startswith("Pembicara 1: selamat pagi") and txt[1].startswith("Ani Wijaya: kabar baik")
    assert txt[2].startswith("Pembicara 1: baik kita mulai")

    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    jsonschema.validate(data, P20_SCHEMA)
    assert [s["speaker"] for s in data["segments"]][0] == "Pembicara 1"
    assert {s["speaker"] for s in data["segments"]} == {"Pembicara 1", "Ani Wijaya"}


def test_a_merge_and_a_moved_line_change_the_outputs_without_the_model(tmp_path):
    transcript, turns, _ = conversation()
    cues = speakers_of(turns).label(build_cues(transcript, speaker_of=speakers_of(turns).speaker_of), machine=True)
    last = cues[-1]
    layer = SpeakerLayer(names={0: "Budi"}, merges={1: 0})
    merged = speakers_of(turns, layer).label(cues)
    assert {c.speaker for c in merged} == {"Budi"}
    moved = SpeakerLayer(names={0: "Budi", 1: "Ani"}, moves=[Move((last.start + last.end) / 2, 1)])
    relabelled = speakers_of(turns, moved).label(build_cues(transcript, speaker_of=speakers_of(turns).speaker_of),
                                                 machine=True)
    assert relabelled[-1].speaker == "Ani" and relabelled[0].speaker == "Budi"


def test_a_producers_corrected_vtt_keeps_its_text_and_gets_the_new_names(tmp_path):
    transcript, turns, _ = conversation()
    paths = write_transcript_files(tmp_path, transcript, speakers=speakers_of(turns))
    cues = parse_vtt(paths["vtt"].read_text(encoding="utf-8"))
    cues[0].lines = ["Selamat pagi, Bapak Ketua KPU."]
    from studio.workspace.transcript import vtt_sha256
    write_edited_cues(tmp_path, cues, vtt_sha256(tmp_path))
    write_transcript_files(tmp_path, transcript, speakers=speakers_of(turns, SpeakerLayer(names={0: "Budi"})))
    vtt = paths["vtt"].read_text(encoding="utf-8")
    assert "<v Budi>Selamat pagi, Bapak Ketua KPU." in vtt
    assert "Budi: Selamat pagi, Bapak Ketua KPU." in paths["srt"].read_text(encoding="utf-8")


def test_rebase_follows_the_voices_and_names_the_shows_known_ones():
    layer = SpeakerLayer(names={0: "Budi", 1: "Ani"}, merges={2: 1}, moves=[Move(1.0, 0)], prints=PRINTS)
    swapped = {0: PRINTS[1], 1: PRINTS[2], 2: PRINTS[0]}  # the same voices, numbered anew
    rebased = rebase(layer, swapped, engine.recognize, {})
    assert rebased.names == {2: "Budi", 0: "Ani"} and rebased.merges == {1: 0} and rebased.moves == []
    same = rebase(layer, PRINTS, engine.recognize, {})
    assert same.names == layer.names and same.moves == layer.moves
    known = rebase(SpeakerLayer(), PRINTS, engine.recognize, {"Pak Host": PRINTS[2]})
    assert known.names == {2: "Pak Host"}


# -- through `process` -------------------------------------------------------------------------------

@pytest.fixture
def ws(processed_workspace: Workspace, tmp_path: Path, monkeypatch) -> Workspace:
    """A processed episode with the conversation's raw transcript; the diarization stands in for the engine
    (its turns known by construction) and counts its runs."""
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    workspace = Workspace(tmp_path / "ws")
    monkeypatch.setattr("studio.pipeline.transcript.load_model", lambda *a, **k: pytest.fail("model loaded"))
    record_transcript(workspace, episode_id(workspace), conversation(0.1)[0])
    return workspace


class FakeEngine:
    def __init__(self, turns, prints) -> None:
        self.turns, self.prints, self.runs = turns, prints, 0

    def diarize(self, source, *, min_speakers=1, max_speakers=6, ffmpeg=None, progress=None, speech=None):
        self.runs += 1
        return engine.Diarization(3.0, [engine.SpeakerTurn(a, b, s) for a, b, s in self.turns], dict(self.prints))


@pytest.fixture
def fake(monkeypatch) -> FakeEngine:
    _, turns, _ = conversation(0.1)
    fake = FakeEngine(turns, {0: PRINTS[0], 1: PRINTS[1]})
    monkeypatch.setattr(engine, "diarize", fake.diarize)
    return fake


def episode_id(workspace: Workspace) -> str:
    return sorted(workspace.episode_ids())[0]


def process(workspace: Workspace):
    return process_episode(workspace, find_ffmpeg(), episode_id(workspace), Reporter(quiet=True),
                           ProcessOptions(clips=False))


def srt(workspace: Workspace) -> str:
    return workspace.files(episode_id(workspace)).transcript("srt").read_text(encoding="utf-8")


def test_names_and_merges_survive_a_rerun_of_process_and_a_replace(ws, fake, ffmpeg_exe, tmp_path):
    report = process(ws)
    assert "speakers" in report.done and "text" in report.done
    assert "Pembicara 1: Selamat pagi" in srt(ws) and "Pembicara 2: Kabar baik" in srt(ws)
    folder = ws.episode_dir(episode_id(ws))
    assert not (folder / "speakers.json").exists()  # nothing of the producer's yet
    from studio.review.speakers import rename_speaker
    rename_speaker(ws, find_ffmpeg(), episode_id(ws), 0, "Budi")
    rename_speaker(ws, find_ffmpeg(), episode_id(ws), 1, "Ani")
    assert load_layer(folder).prints == {0: PRINTS[0], 1: PRINTS[1]}  # the voices its numbers are

    again = process(ws)  # the names were applied at once (the text stage, no model): nothing left to do
    assert "speakers" in again.skipped and "text" in again.skipped and fake.runs == 1
    assert "Budi: Selamat pagi" in srt(ws) and "Ani: Kabar baik" in srt(ws)
    assert "speakers" in process(ws).skipped and fake.runs == 1

    # a replaced recording: the engine numbers the voices the other way round; the names follow the voices
    episode = ws.episode(episode_id(ws))
    louder = tmp_path / "louder.wav"
    subprocess.run([ffmpeg_exe, "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=400:duration=3",
                    "-ar", "44100", str(louder)], check=True)
    ingest(ws, find_ffmpeg(), IngestRequest(file=louder, show=episode.show, title=episode.title,
                                            recorded_on=episode.recorded_on, replace=True), Reporter(quiet=True))
    assert ws.episode(episode_id(ws)).sha256 != episode.sha256
    fake.turns = [(a, b, 1 - s) for a, b, s in fake.turns]
    fake.prints = {0: PRINTS[1], 1: PRINTS[0]}
    record_transcript(ws, episode_id(ws), conversation(0.1)[0])
    report = process(ws)
    assert "speakers" in report.done and fake.runs == 2
    assert "Budi: Selamat pagi" in srt(ws) and "Ani: Kabar baik" in srt(ws)
    assert load_layer(folder).names == {1: "Budi", 0: "Ani"}


def test_a_merge_in_speakers_json_reaches_the_outputs_at_the_next_process(ws, fake):
    process(ws)
    folder = ws.episode_dir(episode_id(ws))
    layer = load_layer(folder)
    layer.names, layer.merges = {0: "Budi"}, {1: 0}
    save_layer(folder, layer)
    process(ws)
    data = json.loads(ws.files(episode_id(ws)).transcript("json").read_text(encoding="utf-8"))
    assert {s["speaker"] for s in data["segments"]} == {"Budi"}
    assert episode_speakers(folder).shown == [0]


def test_a_known_voice_names_the_speaker_in_the_next_episode(ws, fake):
    save_voice(ws.feeds_dir, "kpu", "Pak Host", PRINTS[0])
    process(ws)
    assert "Pak Host: Selamat pagi" in srt(ws) and "Pembicara 2: Kabar baik" in srt(ws)


def test_one_unnamed_voice_is_not_labelled_and_a_named_one_is(tmp_path):
    transcript, turns, _ = conversation()
    alone = [(turns[0][0], turns[-1][1], 0)]
    paths = write_transcript_files(tmp_path, transcript, speakers=speakers_of(alone))
    assert "<v " not in paths["vtt"].read_text(encoding="utf-8")
    assert paths["txt"].read_text(encoding="utf-8").startswith("selamat pagi")
    paths = write_transcript_files(tmp_path, transcript, speakers=speakers_of(alone, SpeakerLayer(names={0: "Budi"})))
    assert paths["txt"].read_text(encoding="utf-8").startswith("Budi: selamat pagi")


# -- the real engine, end to end -----------------------------------------------------------------------

@pytest.mark.slow
def test_process_labels_a_three_voice_recording_with_the_real_engine(tmp_path, ffmpeg_exe, workspace):
    """The corpus's news reader and two telephone voices in turns, through `process` with the real diarization
    (the transcript recorded, no model): three speakers, ≥ 90% of the words under their own speaker's label."""
    from test_speakers_engine import FAL, MBO, NEWS
    from test_speakers_engine import conversation as corpus_conversation

    turns = [("news", NEWS[0:2]), ("fal", FAL[0:2]), ("mbo", MBO[0:2]), ("news", NEWS[2:4]), ("mbo", MBO[2:3]),
             ("fal", FAL[2:3])]
    path, reference = corpus_conversation(ffmpeg_exe, tmp_path / "three.wav", turns)
    episode = ingest(workspace, find_ffmpeg(), IngestRequest(file=path, show="kpu", title="Tiga suara",
                                                              recorded_on="2026-11-20"), Reporter(quiet=True)).episode
    words, truth = [], []
    for start, end, speaker in reference:  # a word every 0.6 s of each turn, its speaker known
        t = start + 0.2
        while t + 0.4 < end:
            words.append(Word(round(t, 3), round(t + 0.4, 3), f"kata{len(words)}", 0.9))
            truth.append(speaker)
            t += 0.6
    record_transcript(workspace, episode.id, Transcript("id", episode.duration,
                                                        [Segment(words[0].start, words[-1].end, "", words)]))
    report = process_episode(workspace, find_ffmpeg(), episode.id, Reporter(quiet=True),
                             ProcessOptions(clips=False))
    assert "speakers" in report.done
    folder = workspace.episode_dir(episode.id)
    said = {}
    for cue in webvtt.read(str(folder / "transcript.vtt")):
        for word in cue.text.split():
            said[word.strip(".,").lower()] = cue.voice
    labels = [said.get(f"kata{k}") for k in range(len(words))]
    assert set(labels) == {"Pembicara 1", "Pembicara 2", "Pembicara 3"}
    best = {}  # each reference speaker's most frequent label
    for speaker in set(truth):
        mine = [label for label, who in zip(labels, truth) if who == speaker]
        best[speaker] = max(set(mine), key=mine.count)
    assert len(set(best.values())) == 3
    right = sum(label == best[who] for label, who in zip(labels, truth))
    assert right / len(words) >= 0.90, right / len(words)
    assert json.loads((folder / "transcript.json").read_text())["segments"][0]["speaker"] == "Pembicara 1"


def test_status_json_says_who_speaks(ws, fake):
    from click.testing import CliRunner

    from studio.cli import cli

    def status() -> dict:
        result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "status", "--json", episode_id(ws)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)[0]

    assert status()["speakers"] is None  # before the speakers stage
    process(ws)
    folder = ws.episode_dir(episode_id(ws))
    layer = load_layer(folder)
    layer.names, layer.merges = {1: "Ani"}, {}
    save_layer(folder, layer)
    speakers = status()["speakers"]
    assert [(s["label"], s["name"]) for s in speakers] == [("Pembicara 1", None), ("Pembicara 2", "Ani")]
    assert all(s["seconds"] > 0 for s in speakers)


def test_clip_captions_say_who_speaks_when_the_show_asks(ws, fake):
    import dataclasses

    from conftest import episode_context

    from studio.pipeline.clips import _first_named, caption_cues

    process(ws)
    folder = ws.episode_dir(episode_id(ws))
    layer = load_layer(folder)
    layer.names = {0: "Budi", 1: "Ani"}
    save_layer(folder, layer)
    process(ws)
    ctx = episode_context(ws, episode_id(ws))
    assert not any(": " in text for _, _, text in caption_cues(ctx))  # off by default
    ws.save_show(dataclasses.replace(ws.show("kpu"), clip_speakers=True))
    ctx = episode_context(ws, episode_id(ws))
    shown = caption_cues(ctx)
    assert shown[0][2].startswith("Budi: Selamat pagi")
    assert [text.split(": ")[0] for _, _, text in shown if ": " in text] == ["Budi", "Ani", "Budi"]  # at changes
    middle = [c for c in shown if c[2].startswith("Ani: ")][0]
    later = shown[shown.index(middle) + 1:]
    assert ": " not in later[0][2]  # Ani's turn goes on in the next cue
    assert _first_named(ctx, later)[0][2].startswith("Ani: ")  # a clip starting there still names her
