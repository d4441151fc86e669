"""The one ffmpeg runner: a hung ffmpeg is stopped, and no ffmpeg outlives the code that started it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli import cli
from studio.errors import ProcessingError
from studio.media.ffmpeg import FFmpeg, find_ffmpeg, read_ffmpeg, run_ffmpeg
from studio.workspace.config import save_settings

REAL = find_ffmpeg().path


def hanging_ffmpeg(tmp_path: Path, when: str = "") -> Path:
    """A wrapper that runs the real ffmpeg, except that it hangs (writing its pid) when its
    arguments contain `when` (always, when empty)."""
    wrapper = tmp_path / "ffmpeg-hangs"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"{when}"*) echo $$ > "{tmp_path}/hung.pid"; exec sleep 3600;; esac\n'
        f'exec "{REAL}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def gone(pid: int, within: float = 20.0) -> bool:
    """Whether process `pid` has ended, waiting up to `within` seconds (a safety net, not a claim about speed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True  # dead, waiting to be reaped by init
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_hung_ffmpeg_is_stopped_with_one_line(tmp_path):
    ffmpeg = FFmpeg(str(hanging_ffmpeg(tmp_path)), "test", stall_timeout=1.0)
    with pytest.raises(ProcessingError, match=r"^ffmpeg made no progress on in\.wav for \d+ s") as error:
        run_ffmpeg(ffmpeg, ["-i", "in.wav", "-f", "null", "-"])  # the wrapper would hang for an hour
    assert "\n" not in str(error.value)
    assert "(ffmpeg_stall_timeout in studio.toml is 1 s)" in str(error.value)
    assert gone(int((tmp_path / "hung.pid").read_text()))


def test_a_slow_reader_is_not_a_stall(tmp_path):
    ffmpeg = FFmpeg(REAL, "test", stall_timeout=1.0)
    blocks = read_ffmpeg(ffmpeg, ["-f", "lavfi", "-i", "sine=duration=2", "-f", "s16le", "-"], block_size=4096)
    total = 0
    for index, block in enumerate(blocks):
        if index == 1:
            time.sleep(2.5)  # the consumer is busy; ffmpeg waits on the full pipe
        total += len(block)
    assert total == 2 * 44100 * 2


def test_closing_the_reader_kills_ffmpeg(tmp_path):
    ffmpeg = FFmpeg(REAL, "test")
    blocks = read_ffmpeg(ffmpeg, ["-f", "lavfi", "-i", "sine", "-f", "s16le", "-"])  # endless
    next(blocks)
    frame = blocks.gi_frame
    child = frame.f_locals["child"]
    blocks.close()
    assert child.proc.poll() is not None


def test_ffmpeg_dies_with_a_killed_parent(tmp_path):
    wrapper = hanging_ffmpeg(tmp_path)
    code = ("import sys; from studio.media.ffmpeg import FFmpeg, run_ffmpeg; "
            f"run_ffmpeg(FFmpeg({str(wrapper)!r}, 'test'), ['-i', 'x.wav', '-f', 'null', '-'])")
    parent = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    pid_file = tmp_path / "hung.pid"
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the wrapper never started"
        time.sleep(0.05)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert gone(int(pid_file.read_text())), "ffmpeg outlived its SIGKILLed parent"


def test_cli_stops_a_hung_ingest_and_releases_everything(tmp_path, workspace, monkeypatch):
    wav = tmp_path / "speech.wav"
    subprocess.run([REAL, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=3", str(wav)], check=True)
    save_settings(workspace.settings_path, dataclasses.replace(workspace.settings, ffmpeg_stall_timeout=1.0))
    monkeypatch.setenv("STUDIO_FFMPEG", str(hanging_ffmpeg(tmp_path, when="ebur128")))
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "ingest", str(wav), "--show", "kpu"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "made no progress" in lines[0], result.output
    assert "Traceback" not in result.output
    assert gone(int((tmp_path / "hung.pid").read_text()))
    assert not list(workspace.episodes_dir.rglob("episode.toml"))


def test_a_failure_says_why_not_how_ffmpeg_exited(tmp_path):
    garbage = tmp_path / "rusak.wav"
    garbage.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(ProcessingError) as error:
        run_ffmpeg(find_ffmpeg(), ["-v", "verbose", "-i", str(garbage), "-f", "null", "-"])
    assert "Invalid data found when processing input" in str(error.value)


def busy_forever_ffmpeg(tmp_path: Path, seconds: int = 120) -> Path:
    """A fake ffmpeg that logs a one-second input and then reports progress, never finishing (it gives up on its
    own after `seconds`, so that a runner without an overall limit returns instead of hanging the suite)."""
    fake = tmp_path / "ffmpeg-busy"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo $$ > "{tmp_path}/busy.pid"\n'
        "echo \"Input #0, wav, from 'in.wav':\" >&2\n"
        'echo "  Duration: 00:00:01.00, bitrate: 1411 kb/s" >&2\n'
        f"i=0; while [ $i -lt {seconds * 20} ]; do\n"
        '  echo "out_time_us=500000"; echo "progress=continue"; i=$((i+1)); sleep 0.05\n'
        "done\n")
    fake.chmod(0o755)
    return fake


def test_an_ffmpeg_that_reports_progress_but_never_ends_is_stopped(tmp_path):
    ffmpeg = FFmpeg(str(busy_forever_ffmpeg(tmp_path)), "test", stall_timeout=60.0, time_factor=2.0,
                    min_time_limit=1.0)
    with pytest.raises(ProcessingError, match=r"^ffmpeg ran for \d+ s on in\.wav \(1 s long\) without finishing and "
                                              r"was stopped \(ffmpeg_time_factor in studio\.toml is 2\)$"):
        run_ffmpeg(ffmpeg, ["-i", "in.wav", "out.mp3"])
    assert gone(int((tmp_path / "busy.pid").read_text()))


def test_the_overall_limit_is_the_callers_duration_when_ffmpeg_logs_none(tmp_path):
    fake = busy_forever_ffmpeg(tmp_path)
    fake.write_text(fake.read_text().replace("Duration: 00:00:01.00", "Duration: N/A"))
    ffmpeg = FFmpeg(str(fake), "test", stall_timeout=60.0, time_factor=3.0, min_time_limit=0.5)
    with pytest.raises(ProcessingError, match=r"\(0.5 s long\) without finishing"):
        run_ffmpeg(ffmpeg, ["-f", "f32le", "-i", "in.raw", "out.mp4"], duration=0.5)
