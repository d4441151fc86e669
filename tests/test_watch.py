"""Recordings that arrive by themselves (issue 28, item 11): a show's watch folder, scanned with real ffmpeg
ingests. Scans are driven one by one (scan(), `studio watch --once`): no sleeps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import audiogen as g
import pytest

from studio.jobs.local import LocalQueue
from studio.jobs.watch import WATCH_SOURCE, name_fields, scan
from studio.workspace.config import save_settings


@pytest.fixture
def watched(workspace, tmp_path):
    """The workspace with show kpu watching tmp_path/masuk (stable after the default 3 scans)."""
    folder = tmp_path / "masuk"
    folder.mkdir()
    workspace.save_show(dataclasses.replace(workspace.show("kpu"), watch_folder=str(folder)))
    return workspace, folder


def recording(tmp_path: Path, seconds: float = 4.0, seed: int = 0) -> bytes:
    path = g.encode(g.scale_to(g.speech(seconds, seed=seed), -24.0), tmp_path / f"src-{seed}.wav")
    return path.read_bytes()


def queued(workspace) -> list[tuple[str, str]]:
    with LocalQueue(workspace) as queue:
        return [(j.stage, j.episode) for j in queue.jobs()]


def test_the_name_gives_the_date_and_title():
    assert name_fields("2026-12-07 Sosialisasi DPT.mp3") == ("2026-12-07", "Sosialisasi DPT")
    assert name_fields("2026-12-07_Rapat_pleno.wav") == ("2026-12-07", "Rapat pleno")
    assert name_fields("2026-13-40 Salah.mp3") == ("", "")
    assert name_fields("rekaman.mp3") == ("", "")


def test_a_file_copied_in_slowly_is_ingested_once_it_stood_still_for_three_scans(watched, tmp_path):
    workspace, folder = watched
    data = recording(tmp_path)
    target = folder / "2026-12-07 Sosialisasi DPT.wav"
    thirds = [data[: len(data) // 3], data[len(data) // 3: 2 * len(data) // 3], data[2 * len(data) // 3:]]
    for part in thirds:  # written in parts between scans: each scan sees it changed
        with open(target, "ab") as f:
            f.write(part)
        assert scan(workspace) == []
    assert scan(workspace) == []  # the second scan of the finished file
    assert target.exists() and not workspace.index.rows()
    [arrival] = scan(workspace)  # the third: ingested
    assert arrival.outcome == "ingested", arrival
    episode = workspace.episode(arrival.episode)
    assert arrival.episode == "kpu/2026-12-07-sosialisasi-dpt"
    assert (episode.title, episode.recorded_on, episode.source) == ("Sosialisasi DPT", "2026-12-07", WATCH_SOURCE)
    assert not target.exists()
    done = folder / "done" / target.name
    assert done.read_bytes() == data
    reason = (folder / "done" / f"{target.name}.alasan.txt").read_text()
    assert reason.count("\n") == 1 and arrival.episode in reason
    assert queued(workspace) == [("process", arrival.episode)]


def test_a_file_that_stays_incomplete_is_left_alone(watched, tmp_path):
    workspace, folder = watched
    data = recording(tmp_path, seconds=6.0)
    target = folder / "siaran.wav"
    step = len(data) // 8
    for n in range(1, 8):  # still growing at every scan
        target.write_bytes(data[: n * step])
        assert scan(workspace) == []
    assert target.exists() and not (folder / "done").exists() and not (folder / "refused").exists()
    assert workspace.index.rows() == [] and queued(workspace) == []


def test_a_bad_file_is_refused_with_its_reason_beside_it(watched):
    workspace, folder = watched
    bad = folder / "2026-12-07 Rusak.mp3"
    bad.write_bytes(b"bukan audio " * 1000)
    assert [scan(workspace) for _ in range(2)] == [[], []]
    [arrival] = scan(workspace)
    assert arrival.outcome == "refused"
    assert (folder / "refused" / bad.name).is_file() and not bad.exists()
    reason = (folder / "refused" / f"{bad.name}.alasan.txt").read_text()
    assert reason.startswith("ditolak: ") and reason.count("\n") == 1
    assert str(folder) not in reason
    assert workspace.index.rows() == [] and queued(workspace) == []


def test_the_same_file_twice_is_refused_the_second_time(watched, tmp_path):
    workspace, folder = watched
    data = recording(tmp_path)
    (folder / "2026-12-07 Rapat.wav").write_bytes(data)
    for _ in range(3):
        arrivals = scan(workspace)
    assert [a.outcome for a in arrivals] == ["ingested"]
    (folder / "2026-12-08 Rapat lagi.wav").write_bytes(data)  # the same bytes under another name
    for _ in range(3):
        arrivals = scan(workspace)
    [again] = arrivals
    assert again.outcome == "refused" and again.episode == "kpu/2026-12-07-rapat"
    reason = (folder / "refused" / "2026-12-08 Rapat lagi.wav.alasan.txt").read_text()
    assert reason.startswith("sudah ada")
    assert [r.id for r in workspace.index.rows()] == ["kpu/2026-12-07-rapat"]
    assert queued(workspace) == [("process", "kpu/2026-12-07-rapat")]


def test_studio_watch_once_counts_scans_across_runs_and_takes_the_settings(watched, tmp_path, cli_run):
    workspace, folder = watched
    save_settings(workspace.settings_path, dataclasses.replace(workspace.settings, watch_stable_scans=2))
    (folder / "2026-12-07 Dialog.wav").write_bytes(recording(tmp_path))
    first = cli_run("watch", "--once")
    assert first.exit_code == 0 and "ingested" not in first.output
    second = cli_run("watch", "--once")  # from cron: the second scan of the same file, in a new process
    assert second.exit_code == 0, second.output
    assert "kpu: 2026-12-07 Dialog.wav: ingested (kpu/2026-12-07-dialog)" in second.output
    state = json.loads((workspace.root / ".studio" / "watch" / "kpu.json").read_text())
    assert state["files"] == {}


@pytest.fixture
def cli_run(watched):
    from click.testing import CliRunner

    from studio.cli import cli

    workspace, _ = watched

    def run(*args):
        return CliRunner().invoke(cli, ["--workspace", str(workspace.root), *args], catch_exceptions=False)

    return run


@pytest.mark.workers
def test_a_local_worker_scans_the_watch_folders_by_itself(watched, tmp_path):
    """`studio worker` (and the web app's workers) scan at watch_interval: the file is ingested and its processing
    queued with no `studio watch` running."""
    import time

    from studio.jobs import start_local_workers

    workspace, folder = watched
    save_settings(workspace.settings_path, dataclasses.replace(workspace.settings, watch_interval=0.2))
    (folder / "2026-12-07 Siaran pagi.wav").write_bytes(recording(tmp_path))
    workers = start_local_workers(workspace, count=1)
    try:
        done = folder / "done" / "2026-12-07 Siaran pagi.wav"
        deadline = time.monotonic() + 120
        while not done.exists() and time.monotonic() < deadline:  # waiting on the file's move, not a time
            time.sleep(0.1)
        assert done.exists(), "the worker never took the file"
        assert workspace.episode("kpu/2026-12-07-siaran-pagi").source == "folder pantauan"
    finally:
        workers.stop()


def test_a_missing_folder_is_said_once_an_interval(watched, tmp_path):
    from studio.jobs.watch import due

    workspace, folder = watched
    folder.rmdir()
    said = []
    assert scan(workspace, say=said.append) == []
    assert len(said) == 1 and "kpu" in said[0] and "not a folder" in said[0]
    assert not due(workspace)  # the next look waits for watch_interval, as after any scan


def test_the_celery_beat_tick_scans_when_due(watched, tmp_path):
    """The tick task a worker's beat sends (celery.watching), run as the worker runs it: a scan when due."""
    from studio.jobs.celery.app import make_app
    from studio.jobs.celery.watching import TICK, beat_schedule, register

    workspace, folder = watched
    save_settings(workspace.settings_path, dataclasses.replace(workspace.settings, watch_stable_scans=1,
                                                               watch_interval=3600.0))
    assert beat_schedule(3600.0)["studio-watch"]["schedule"] == 5.0  # a look every 5 s; a scan when due
    app = make_app("redis://127.0.0.1:1/0", 60.0)  # never reached: the task runs here, its enqueue is local
    register(app, type(workspace)(workspace.root))
    (folder / "2026-12-07 Siaran.wav").write_bytes(recording(tmp_path))
    app.tasks[TICK]()
    assert (folder / "done" / "2026-12-07 Siaran.wav").exists()
    (folder / "2026-12-08 Lain.wav").write_bytes(recording(tmp_path, seed=1))
    app.tasks[TICK]()  # within the interval: no scan
    assert (folder / "2026-12-08 Lain.wav").exists()
