"""`studio process`: incremental re-runs, a run killed half-way, and the bundled sample episodes.

Renditions are measured with the independent meter of audiogen (pyloudnorm and
4x oversampled true peak), never with Studio's own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import audiogen as g
import pytest
import tomli_w
from click.testing import CliRunner
from conftest import realtime_ffmpeg

from studio.cli import cli

ROOT = Path(__file__).resolve().parent.parent
RUNNER = CliRunner()
TARGETS = {"podcast.mp3": -16.0, "broadcast.wav": -23.0}
RENDITIONS = tuple(TARGETS)


def studio(ws: Path, *args):
    return RUNNER.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


def studio_command(ws: Path, *args) -> list[str]:
    """The real console entry point, in a process of its own."""
    return [sys.executable, "-c", "import sys; from studio.cli import main; sys.argv[0] = 'studio'; main()",
            "--workspace", str(ws), *map(str, args)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_on_target(path: Path, target: float | None = None) -> g.Measured:
    target = TARGETS[path.name] if target is None else target
    m = g.measure(path)
    assert abs(m.integrated - target) <= 0.5, f"{path}: {m.integrated:.2f} LUFS, target {target}"
    assert m.true_peak <= -1.0, f"{path}: true peak {m.true_peak:.2f} dBTP"
    return m


def make_workspace(root: Path, show: str = "radio") -> Path:
    assert studio(root, "init", root).exit_code == 0
    result = studio(root, "show", "add", show, "--title", "Radio Abdi Persada", "--author", "RAP")
    assert result.exit_code == 0, result.output
    return root


def ingest(ws: Path, source: Path, show: str = "radio", *args) -> tuple[str, Path]:
    result = studio(ws, "ingest", source, "--show", show, "--json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["id"], Path(data["path"])


def process_json(ws: Path, *args) -> dict[str, dict]:
    """`studio process --json` without transcription and clips (tested elsewhere), keyed by episode id;
    `done` and `skipped` keep only the audio renditions."""
    result = studio(ws, "-q", "process", "--json", "--no-transcribe", "--no-clips", *(args or ("--all",)))
    assert result.exit_code == 0, result.output
    reports = {r["id"]: r for r in json.loads(result.stdout)}
    for report in reports.values():
        for key in ("done", "skipped"):
            report[key] = sorted(stage for stage in report[key] if stage in ("podcast", "broadcast"))
    return reports


# -- incremental --------------------------------------------------------------------

def test_rerun_skips_and_a_new_target_redoes_only_its_rendition(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    x = g.concat(g.scale_to(g.music(3.0, seed=3), -14.0), g.stereo(g.scale_to(g.speech(8.0, seed=4), -27.0)))
    episode_id, folder = ingest(ws, g.encode(x, tmp_path / "sesi.wav", "-c:a", "pcm_s16le"))

    first = process_json(ws)[episode_id]
    assert sorted(first["done"]) == ["broadcast", "podcast"] and first["skipped"] == []
    assert 1 <= first["decodes"] <= 2  # the loudness analysis made at ingest is reused
    for name in RENDITIONS:
        assert_on_target(folder / name)
    before = {name: (digest(folder / name), (folder / name).stat().st_mtime_ns) for name in RENDITIONS}

    again = process_json(ws)[episode_id]
    assert again["done"] == [] and sorted(again["skipped"]) == ["broadcast", "podcast"]
    assert again["decodes"] == 0
    assert {name: (digest(folder / name), (folder / name).stat().st_mtime_ns) for name in RENDITIONS} == before

    feed = ws / "feeds" / "radio.toml"
    settings = tomllib.loads(feed.read_text(encoding="utf-8"))
    settings.setdefault("loudness", {})["podcast_lufs"] = -19.0
    feed.write_text(tomli_w.dumps(settings), encoding="utf-8")

    changed = process_json(ws, episode_id)[episode_id]
    assert changed["done"] == ["podcast"] and changed["skipped"] == ["broadcast"]
    assert 1 <= changed["decodes"] <= 2
    assert (digest(folder / "broadcast.wav"), (folder / "broadcast.wav").stat().st_mtime_ns) == before["broadcast.wav"]
    assert digest(folder / "podcast.mp3") != before["podcast.mp3"][0]
    assert_on_target(folder / "podcast.mp3", -19.0)
    assert_on_target(folder / "broadcast.wav")

    status = json.loads(studio(ws, "status", "--json").stdout)
    assert status[0]["state"] == "processed"
    assert abs(status[0]["loudness"]["podcast"]["integrated"] + 19.0) <= 0.5

    # A rendition deleted by hand is made again, and only it.
    (folder / "broadcast.wav").unlink()
    redone = process_json(ws)[episode_id]
    assert redone["done"] == ["broadcast"] and redone["skipped"] == ["podcast"]
    assert_on_target(folder / "broadcast.wav")


# -- killed half-way ------------------------------------------------------------------

def check_final_files(folder: Path, duration: float) -> list[str]:
    """Each rendition under its final name is absent or whole; returns the names present."""
    present = []
    for name in RENDITIONS:
        path = folder / name
        if not path.exists():
            continue
        present.append(name)
        m = assert_on_target(path)
        # the podcast keeps the whole recording, the broadcast all but the silence trimmed at either end
        assert duration - 5.0 < m.seconds < duration + 0.5, f"{name} is {m.seconds:.1f} s long"
        if name == "podcast.mp3":
            mp3 = g.parse_mp3(path)  # every MPEG frame is there, to the end of the file
            assert mp3.bitrates == {128} and abs(mp3.frames * 1152 / 44100 - duration) < 0.2
        else:
            chunks = g.riff_chunks(path)
            offset, size = struct.unpack("<QQ", chunks[b"data"])
            riff_size = struct.unpack("<I", path.read_bytes()[4:8])[0]
            assert offset + size <= path.stat().st_size == riff_size + 8  # as long as its headers say
            assert g.parse_bext(chunks[b"bext"]).loudness_value != 0  # filled in after the audio was written
    return present


@pytest.mark.slow
def test_killed_mid_way_leaves_no_partial_file_and_completes_on_rerun(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    duration = 200.0
    x = g.scale_to(g.speech(duration, seed=5), -30.0)  # quiet: both renditions limited, so rendering takes a while
    at = int(100 * g.RATE)
    x[at:at + len(g.clap())] += g.clap()
    episode_id, folder = ingest(ws, g.encode(x, tmp_path / "panjang.flac", "-c:a", "flac"))

    command = studio_command(ws, "-q", "process", "--all", "--no-transcribe", "--no-clips")
    realtime = {**os.environ, "STUDIO_FFMPEG": str(realtime_ffmpeg(tmp_path))}  # this render takes 200 s anywhere
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=realtime)
    deadline = time.monotonic() + 120  # a safety net, not a claim about speed
    temps: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        temps = [p for p in folder.glob(".*.tmp*") if p.is_file() and p.stat().st_size > 100_000]
        if temps:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "process finished before it could be killed"
    assert temps, "no rendition was being written"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job at once (studio and its ffmpeg), as an OOM kill or power cut
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert check_final_files(folder, duration) == [], "killed mid-render, yet a rendition exists under its final name"
    status = json.loads(studio(ws, "status", "--json").stdout)[0]
    assert status["artifacts"]["podcast"] is None and status["artifacts"]["broadcast"] is None

    report = process_json(ws)[episode_id]
    assert sorted(report["done"]) == ["broadcast", "podcast"]
    assert check_final_files(folder, duration) == list(RENDITIONS)
    assert not list(folder.glob(".*.tmp*")), "temporary files left behind"
    assert not [p for p in (ws / "episodes").rglob("*") if p.name.startswith(".") and p.suffix == ".tmp"]


def processes_naming(text: str) -> list[str]:
    """Command lines of the running processes that mention `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode("utf-8", "replace") for a in args if a)
        if text in line:
            found.append(line)
    return found


@pytest.mark.model
@pytest.mark.slow
def test_killing_process_mid_way_also_ends_the_renditions_made_beside_the_transcription(tmp_path: Path) -> None:
    """With transcription on, the renditions are made by a child process: an OOM kill of `studio process`
    alone ends that child and its ffmpeg too, leaves no partial file, and a rerun completes."""
    ws = make_workspace(tmp_path / "ws")
    duration = 200.0
    x = g.scale_to(g.speech(duration, seed=6), -30.0)
    episode_id, folder = ingest(ws, g.encode(x, tmp_path / "beside.flac", "-c:a", "flac"))

    realtime = {**os.environ, "STUDIO_FFMPEG": str(realtime_ffmpeg(tmp_path))}  # renders take 200 s, on any machine
    proc = subprocess.Popen(studio_command(ws, "-q", "process", "--all", "--no-clips"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=realtime)
    deadline = time.monotonic() + 120  # a safety net, not a claim about speed
    temps: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None and not temps:
        temps = [p for p in folder.glob(".*.tmp*") if p.is_file() and p.stat().st_size > 100_000]
        time.sleep(0.05)
    assert proc.poll() is None and temps, "no rendition was being written while process ran"
    assert processes_naming("child_main"), "the renditions were not made by a child process"
    proc.kill()  # the parent alone, as the OOM killer picks the largest process
    proc.wait()
    def survivors() -> list[str]:  # the child names the workspace, its ffmpeg the episode folder
        return processes_naming("child_main") + processes_naming(str(folder))

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and survivors():
        time.sleep(0.1)
    assert survivors() == [], "the renditions child or its ffmpeg outlived studio"
    assert check_final_files(folder, duration) == [], "killed mid-render, yet a rendition exists under its final name"

    result = studio(ws, "-q", "process", "--json", "--no-clips", episode_id)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["done"][:3] == ["podcast", "broadcast", "transcript"]
    assert check_final_files(folder, duration) == list(RENDITIONS)
    assert not list(folder.glob(".*.tmp*")), "temporary files left behind"
    state = json.loads((folder / ".studio" / "state.json").read_text(encoding="utf-8"))
    assert {"podcast", "broadcast", "transcript"} <= set(state)


# -- the bundled samples ---------------------------------------------------------------

SAMPLES = sorted((ROOT / "episodes").glob("*/*/episode.toml"))


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLES, reason="no sample episodes in episodes/ yet")
def test_bundled_samples(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    if (ROOT / "studio.toml").exists():
        shutil.copyfile(ROOT / "studio.toml", ws / "studio.toml")
    shutil.copytree(ROOT / "feeds", ws / "feeds")
    derived = {"podcast.mp3", "broadcast.wav", ".studio"}
    for toml in SAMPLES:
        src = toml.parent
        dst = ws / "episodes" / src.relative_to(ROOT / "episodes")
        shutil.copytree(src, dst, ignore=lambda folder, names: [n for n in names if n in derived])
    reports = process_json(ws)
    assert len(reports) == len(SAMPLES)
    status = {s["id"]: s for s in json.loads(studio(ws, "status", "--json").stdout)}
    for episode_id, report in reports.items():
        assert sorted(report["done"]) == ["broadcast", "podcast"], report
        assert report["decodes"] <= 2, report
        folder = ws / "episodes" / episode_id
        for name in RENDITIONS:
            assert_on_target(folder / name)
        fmt = g.wav_format(g.riff_chunks(folder / "broadcast.wav"))
        assert (fmt.rate, fmt.bits) == (48000, 24)
        assert g.parse_mp3(folder / "podcast.mp3").bitrates == {128}
        assert status[episode_id]["state"] == "processed"


# -- order: what goes on air never waits on video --------------------------------------------

@pytest.mark.model
def test_renditions_and_transcript_are_written_before_any_clip(tmp_path: Path) -> None:
    """The renditions run beside transcription, yet every audio and text deliverable is final
    before the first clip is started, and state.json keeps every stage's entry."""
    from studio.workspace.tree import Workspace

    ws = make_workspace(tmp_path / "ws")
    x = g.stereo(g.scale_to(g.speech(20.0, seed=7), -20.0))
    episode_id, folder = ingest(ws, g.encode(x, tmp_path / "urutan.wav", "-c:a", "pcm_s16le"))
    workspace = Workspace(ws)
    episode = workspace.episode(episode_id)
    episode.highlights.append({"start": 1.0, "end": 16.5, "title": "Urutan", "formats": ["square"]})
    workspace.save_episode(episode)

    deliverables = [folder / name for name in (*RENDITIONS, "transcript.vtt", "transcript.srt",
                                                ".studio/transcript.raw.json")]
    proc = subprocess.Popen(studio_command(ws, "-q", "process", "--json", episode_id), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen_at_clip_start = None
    while proc.poll() is None and seen_at_clip_start is None:
        if (folder / "clips").is_dir() and any((folder / "clips").iterdir()):  # a clip's temporary or final file
            seen_at_clip_start = [p.name for p in deliverables if p.is_file()]
        time.sleep(0.01)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    report = json.loads(out)[0]
    assert report["done"][:3] == ["podcast", "broadcast", "transcript"] and "clip 1" in report["done"]
    if seen_at_clip_start is not None:  # caught the clip being rendered (else it was too quick to see)
        assert seen_at_clip_start == [p.name for p in deliverables]
    clips = sorted((folder / "clips").glob("*.mp4"))
    assert clips and all(p.is_file() for p in deliverables)
    assert max(p.stat().st_mtime_ns for p in deliverables) < min(p.stat().st_mtime_ns for p in clips)
    state = json.loads((folder / ".studio" / "state.json").read_text(encoding="utf-8"))
    assert {"podcast", "broadcast", "transcript", "clips"} <= set(state)
