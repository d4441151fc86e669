"""The command line itself: workspace and show commands, help, status and doctor."""

from __future__ import annotations

import fcntl
import io
import json
import os
import select
import struct
import termios
import time
from pathlib import Path

import audiogen as g
import pytest
from click.testing import CliRunner
from conftest import need_shared
from PIL import Image

from studio.cli import cli
from studio.progress import Reporter

REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def make_image(path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> Path:
    Image.new(mode, size, "navy").save(path, fmt)
    return path


def test_help_teaches_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("init", "show", "ingest", "process", "run", "status", "doctor"):
        assert command in result.output


def test_init_creates_a_workspace_and_is_idempotent(tmp_path):
    assert invoke("init", tmp_path / "ws").exit_code == 0
    assert (tmp_path / "ws" / "studio.toml").is_file()
    (tmp_path / "ws" / "studio.toml").write_text('[studio]\nbase_url = "https://example.org"\n')
    assert invoke("init", tmp_path / "ws").exit_code == 0
    assert "example.org" in (tmp_path / "ws" / "studio.toml").read_text()


def test_show_add_with_artwork_and_list(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    art = make_image(tmp_path / "art work.jpg", (1400, 1400))
    result = invoke("--workspace", ws, "show", "add", "kpu-kalsel", "--title", "KPU & Diskominfo <Kalsel>",
                    "--artwork", art, "--json")
    assert result.exit_code == 0, result.output
    show = json.loads(result.output)
    assert show["artwork"] == "kpu-kalsel.jpg"
    assert (ws / "feeds" / "kpu-kalsel.jpg").read_bytes() == art.read_bytes()
    listed = json.loads(invoke("--workspace", ws, "show", "list", "--json").output)
    assert [s["title"] for s in listed] == ["KPU & Diskominfo <Kalsel>"]


def test_show_add_rejects_bad_artwork_and_writes_nothing(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    text = tmp_path / "not-an-image.jpg"
    text.write_text("hello")
    cases = {
        "small": make_image(tmp_path / "small.jpg", (1000, 1000)),
        "large": make_image(tmp_path / "large.png", (3200, 3200), fmt="PNG"),
        "not square": make_image(tmp_path / "wide.jpg", (2000, 1400)),
        "gif": make_image(tmp_path / "art.gif", (1400, 1400), mode="P", fmt="GIF"),
        "alpha": make_image(tmp_path / "alpha.png", (1400, 1400), mode="RGBA", fmt="PNG"),
        "text": text,
        "missing": tmp_path / "missing.jpg",
    }
    for name, path in cases.items():
        result = invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU", "--artwork", path)
        assert result.exit_code == 2, name
        assert len(result.output.strip().splitlines()) == 1, name
        assert sorted(p.name for p in (ws / "feeds").iterdir()) == [], name


def test_show_add_rejects_bad_slug_and_duplicates(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    assert invoke("--workspace", ws, "show", "add", "Bad Slug", "--title", "x").exit_code == 2
    assert invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU").exit_code == 0
    assert invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU 2").exit_code == 2
    assert invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU 2", "--replace").exit_code == 0


def test_process_needs_episodes_or_all(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    assert invoke("--workspace", ws, "process").exit_code == 2
    result = invoke("--workspace", ws, "process", "nope/2026-01-01-x")
    assert result.exit_code == 2 and "unknown episode" in result.output


def test_status_of_empty_workspace(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    assert json.loads(invoke("--workspace", ws, "status", "--json").output) == []


@pytest.mark.model
@pytest.mark.slow  # joins and loads the Whisper model
def test_doctor_reports_ffmpeg_and_workspace(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    invoke("init", ws)
    cache = tmp_path / "cache"  # doctor joins the bundled model into the cache: a temporary one, never ~/.cache
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(cache))
    result = invoke("--workspace", ws, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)}  # (the local-address warning is on stderr)
    assert checks["ffmpeg"]["ok"] and "imageio-ffmpeg" in checks["ffmpeg"]["detail"]
    assert checks["workspace"]["ok"]
    assert checks["fonts"]["ok"] and "NotoSans" in checks["fonts"]["detail"]
    assert checks["model"]["ok"], checks["model"]
    assert str(cache) in checks["model"]["detail"] and (cache / "whisper-base" / "model.bin").is_file()
    assert result.exit_code == 0


def test_shared_test_data_absent_is_a_skip_here_and_a_failure_in_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        need_shared(tmp_path / "corpus")
    (tmp_path / "empty").mkdir()
    with pytest.raises(pytest.skip.Exception):
        need_shared(tmp_path / "empty")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        need_shared(tmp_path / "corpus")
    (tmp_path / "corpus.wav").write_bytes(b"RIFF")
    need_shared(tmp_path / "corpus.wav")


def test_doctor_fails_on_a_model_that_does_not_load(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    (ws / "studio.toml").write_text(f'[studio]\nmodel = "{tmp_path / "no-model"}"\n')
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "doctor"])
    assert result.exit_code == 1
    assert "FAIL model" in result.output and "no-model" in result.output


@pytest.mark.model
def test_doctor_fails_on_a_broken_ffmpeg(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    invoke("init", ws)
    monkeypatch.setenv("STUDIO_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "doctor"])
    assert result.exit_code == 1
    assert "FAIL ffmpeg" in result.output


# -- progress -------------------------------------------------------------------

class FakeClock:
    """A clock the test moves by hand: how long a stage took is what the test says, on any machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_until(condition, what: str, within: float = 30.0) -> None:
    """Poll `condition` (a safety deadline, not a claim about speed)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def test_progress_without_a_terminal_is_a_line_when_a_stage_starts_and_ends():
    log = io.StringIO()  # not a terminal, like a cron log or CI
    with Reporter(stream=log, show_after=3600).bar("kpu/x: checking", 10.0) as update:
        update(10.0)
    assert log.getvalue() == ""  # over before it would be announced: a refused input keeps its one line
    clock = FakeClock()
    reporter = Reporter(stream=log, clock=clock, show_after=0.01)
    with reporter.bar("kpu/x: rendering podcast", 10.0) as update:
        # no update meanwhile, as when ffmpeg hangs: still announced (by the reporter's timer thread)
        wait_until(lambda: "started" in log.getvalue(), "the rendering stage announced")
        clock.now += 2.3
        update(10.0)
    with pytest.raises(KeyboardInterrupt), reporter.bar("kpu/x: transcribing", 10.0):
        wait_until(lambda: "transcribing: started" in log.getvalue(), "the transcribing stage announced")
        clock.now += 12.3
        raise KeyboardInterrupt
    assert log.getvalue().splitlines() == [
        "kpu/x: rendering podcast: started",
        "kpu/x: rendering podcast: done in 2.3 s",
        "kpu/x: transcribing: started",
        "kpu/x: transcribing: stopped after 12.3 s",
    ]


def test_process_progress_in_a_log_and_with_q(tmp_path):
    ws = tmp_path / "ws"
    invoke("init", ws)
    invoke("--workspace", ws, "show", "add", "kpu", "--title", "KPU")
    source = g.encode(g.scale_to(g.speech(3.0), -20.0), tmp_path / "sesi.wav", "-c:a", "pcm_s16le")
    episode_id = invoke("--workspace", ws, "-q", "ingest", source, "--show", "kpu").stdout.strip()

    quiet = invoke("--workspace", ws, "-q", "process", "--all", "--no-transcribe", "--no-clips")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    (ws / "episodes" / episode_id / "podcast.mp3").unlink()
    result = invoke("--workspace", ws, "process", "--all", "--no-transcribe", "--no-clips")
    assert result.exit_code == 0
    assert result.stderr == f"{episode_id}: podcast\n"  # short work: no bar, no stage lines, the outcome


def test_progress_on_a_terminal_is_a_bar_shown_only_for_long_work():
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    try:
        with open(secondary, "w", closefd=False) as terminal:
            with Reporter(stream=terminal, show_after=3600).bar("kpu/x: short", 10.0) as update:
                update(10.0)
            with Reporter(stream=terminal, show_after=0.05).bar("kpu/x: rendering", 10.0) as update:
                update(2.0)
                time.sleep(0.1)  # the work has now taken longer than show_after (a sleep never ends early)
                update(10.0)
        output = b""
        while select.select([primary], [], [], 0.5)[0]:
            output += os.read(primary, 65536)
    finally:
        os.close(primary)
        os.close(secondary)
    text = output.decode()
    assert "short" not in text  # over before the bar would show
    assert "kpu/x: rendering" in text and "100%" in text
    assert "started" not in text and "done in" not in text


@pytest.mark.parametrize("args", [["status"], ["status", "--json"], ["--help"]])
def test_a_reader_that_stops_early_is_no_error(tmp_path, args):
    """`studio status | head -1`: the reader closing the pipe ends the command quietly (click's exit 1), never
    with "error: Broken pipe"."""
    import subprocess
    import sys

    invoke("--workspace", tmp_path, "init")
    run = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(tmp_path), *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # the reader is gone before anything is written
    errors = run.stderr.read().decode()
    assert run.wait() == 1
    assert errors == ""
