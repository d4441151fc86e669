"""`studio run` and `studio process` over many episodes: one broken episode does not stop the others,
a locked episode is waited for up to --wait, and every error comes out as one line and an exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import audiogen as g
import feedparser
import pytest
import tomli_w
from click.testing import CliRunner

from studio.cli import cli
from studio.cli.base import StudioGroup

RUNNER = CliRunner()
FAST = ("--no-transcribe", "--no-clips")


def studio(ws: Path, *args):
    return RUNNER.invoke(cli, ["--workspace", str(ws), *map(str, args)], catch_exceptions=False)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def three(tmp_path: Path) -> tuple[Path, list[str]]:
    """A workspace with three ingested (not yet processed) episodes, oldest first: 16 s (long enough for
    a clip), 3 s and 3 s."""
    ws = tmp_path / "ws"
    assert studio(ws, "init", ws).exit_code == 0
    assert studio(ws, "show", "add", "kpu", "--title", "KPU", "--email", "p@example.org").exit_code == 0
    ids = []
    for i, (day, seconds) in enumerate([("2024-01-10", 16.0), ("2024-01-11", 3.0), ("2024-01-12", 3.0)]):
        source = g.encode(g.scale_to(g.speech(seconds, seed=10 + i), -20.0), tmp_path / f"sesi{i}.wav", "-c:a", "pcm_s16le")
        result = studio(ws, "ingest", source, "--show", "kpu", "--recorded-on", day, "--title", f"Sesi {i}")
        assert result.exit_code == 0, result.output
        ids.append(result.stdout.strip())
    return ws, ids


def break_original(ws: Path, episode_id: str) -> None:
    """The kept original becomes garbage after ingest (a disk fault, a bad copy back from backup)."""
    folder = ws / "episodes" / episode_id
    original = folder / tomllib.loads((folder / "episode.toml").read_text())["original"]
    original.write_bytes(b"\x00garbage" * 1000)


def feed_titles(ws: Path) -> list[str]:
    feed = feedparser.parse((ws / "public" / "feeds" / "kpu.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return sorted(entry.title for entry in feed.entries)


# -- one broken episode -------------------------------------------------------------

def test_process_all_goes_on_past_an_unreadable_episode_toml(three):
    ws, (a, b, c) = three
    (ws / "episodes" / b / "episode.toml").write_text('title = "Sesi 1\n', encoding="utf-8")  # a hand edit gone wrong

    result = studio(ws, "process", "--all", *FAST)

    assert result.exit_code == 2, result.output  # the only failure is bad input
    for episode_id in (a, c):
        assert (ws / "episodes" / episode_id / "podcast.mp3").is_file()
    errors = error_lines(result)
    assert errors[0].startswith(f"error: {b}: ") and "invalid episode file" in errors[0], errors
    assert errors[-1] == "error: 1 of 3 episodes failed"


def test_run_processes_and_publishes_the_others_and_names_the_broken_one(three):
    ws, (a, b, c) = three
    break_original(ws, b)

    result = studio(ws, "run", *FAST)

    assert result.exit_code == 1, result.output
    assert feed_titles(ws) == ["Sesi 0", "Sesi 2"]  # b never had a podcast rendition: not in the feed
    for episode_id in (a, c):
        assert (ws / "episodes" / episode_id / "podcast.mp3").is_file()
    errors = error_lines(result)
    assert errors[0].startswith(f"error: {b}: "), errors
    assert f"{b}: {b}" not in errors[0]  # the id is said once
    assert errors[-1] == "error: 1 of 3 episodes failed"
    assert len(errors) == 2


def test_process_named_episodes_goes_on_and_json_lists_the_failure(three):
    ws, (a, b, c) = three
    (ws / "episodes" / b / tomllib.loads((ws / "episodes" / b / "episode.toml").read_text())["original"]).unlink()

    result = studio(ws, "process", a, b, c, "--json", *FAST)

    assert result.exit_code == 1, result.output
    reports = {r["id"]: r for r in json.loads(result.stdout)}
    assert list(reports) == [a, b, c]
    assert reports[a]["error"] is None and "podcast" in reports[a]["done"]
    assert reports[c]["error"] is None and "podcast" in reports[c]["done"]
    assert "missing" in reports[b]["error"] and reports[b]["done"] == []
    assert error_lines(result)[0].startswith(f"error: {b}: ")


def test_a_failed_episode_keeps_what_was_published_before(three):
    ws, (a, b, c) = three
    assert studio(ws, "-q", "run", *FAST).exit_code == 0
    media = {e: ws / "public" / "media" / "kpu" / f"{e.split('/')[1]}.mp3" for e in (a, b, c)}
    before = {e: path.read_bytes() for e, path in media.items()}
    # A new loudness target redoes every podcast rendition; b's original is broken meanwhile.
    show = ws / "feeds" / "kpu.toml"
    settings = tomllib.loads(show.read_text())
    settings.setdefault("loudness", {})["podcast_lufs"] = -19.0
    show.write_text(tomli_w.dumps(settings))
    break_original(ws, b)

    result = studio(ws, "run", "--json", *FAST)

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["processed"] if r["error"]] == [b]
    assert feed_titles(ws) == ["Sesi 0", "Sesi 1", "Sesi 2"]
    assert media[b].read_bytes() == before[b]  # the last good rendition stays published
    assert media[a].read_bytes() != before[a] and media[c].read_bytes() != before[c]


def test_help_says_the_exit_rule(tmp_path):
    ws = tmp_path
    assert "Exit 1 when any episode failed" in " ".join(studio(ws, "run", "--help").output.split())
    assert "Exit 1 when any episode failed" in " ".join(studio(ws, "process", "--help").output.split())


# -- episode locks --------------------------------------------------------------------

@pytest.fixture
def holder(three):
    """A second process holding the lock of the first episode until the test ends."""
    ws, ids = three
    folder = ws / "episodes" / ids[0]
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from studio.workspace.state import episode_lock
        with episode_lock(Path({str(folder)!r})):
            print("locked", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield ws, ids, proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_process_waits_up_to_wait_and_names_the_holder(holder):
    ws, (a, b, c), pid = holder
    result = studio(ws, "process", a, "--wait", "0.5", *FAST)
    assert result.exit_code == 1
    assert f"locked by pid {pid}" in result.stderr
    assert result.stderr.count(f"locked by pid {pid}") == 2  # once while waiting, once in the error
    assert error_lines(result) == [line for line in result.stderr.splitlines() if "still locked" in line]
    assert error_lines(result)[0].startswith(f"error: {a} is still locked by pid {pid}")  # the id once
    assert not (ws / "episodes" / a / "podcast.mp3").exists()


def test_a_busy_episode_is_one_failure_and_the_others_go_on(holder):
    ws, (a, b, c), pid = holder
    result = studio(ws, "process", "--all", "--wait", "0.5", "--json", *FAST)
    assert result.exit_code == 1
    reports = {r["id"]: r for r in json.loads(result.stdout)}
    assert "still locked" in reports[a]["error"]
    assert reports[b]["error"] is None and reports[c]["error"] is None
    assert (ws / "episodes" / c / "podcast.mp3").is_file()


def test_clip_waits_up_to_wait(holder):
    ws, (a, b, c), pid = holder
    result = studio(ws, "clip", a, "--start", "0", "--end", "15.5", "--wait", "0.3")
    assert result.exit_code == 1
    assert len(error_lines(result)) == 1 and "still locked" in error_lines(result)[0]


# -- the error contract -----------------------------------------------------------------

def test_a_file_in_place_of_a_folder_is_one_line_naming_it(three):
    ws, (a, b, c) = three
    state_dir = ws / "episodes" / a / ".studio"
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.write_text("not a folder")  # root ignores chmod; a file where a folder belongs stops anyone

    result = studio(ws, "process", "--all", *FAST)
    assert result.exit_code == 1
    assert error_lines(result)[0].startswith(f"error: {a}: {state_dir}: ")
    assert (ws / "episodes" / b / "podcast.mp3").is_file()

    result = studio(ws, "clip", a, "--start", "0", "--end", "15.5")
    assert result.exit_code == 1
    assert error_lines(result) == [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines(result)) == 1 and str(state_dir) in error_lines(result)[0]


def test_an_unexpected_exception_is_one_line_and_v_shows_the_traceback(three):
    ws, (a, b, c) = three
    state = ws / "episodes" / a / ".studio" / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    # Valid JSON, not what Studio wrote: a file name that is a number.
    state.write_text(json.dumps({"podcast": {"file": 5}}))

    result = studio(ws, "status")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: internal error: TypeError: ")
    assert result.stderr.strip().endswith("(run with -v for the traceback)")

    verbose = studio(ws, "-v", "status")
    assert verbose.exit_code == 1
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1].startswith("error: internal error: TypeError: ")

    # In a batch, such a fault fails only its episode.
    state.write_text(json.dumps({"podcast": "hand-edited"}))
    batch = studio(ws, "process", "--all", *FAST)
    assert batch.exit_code == 1
    assert error_lines(batch)[0].startswith(f"error: {a}: internal error: ")
    assert (ws / "episodes" / c / "podcast.mp3").is_file()


def test_no_space_left_is_one_line():
    group = StudioGroup()

    @group.command()
    def fill() -> None:
        with open("/dev/full", "w") as full:  # the kernel's always-full device: a real ENOSPC, even as root
            full.write("x")

    result = CliRunner().invoke(group, ["fill"])
    assert result.exit_code == 1
    assert result.stderr == "error: no space left on device\n"
