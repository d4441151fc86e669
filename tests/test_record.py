"""Off-air recording (issue 25, part 2): the show settings, the schedule, and real captures from a real Icecast
server on loopback (Debian's icecast2) fed by the bundled ffmpeg.

Outside CI the Icecast tests skip when icecast2 is absent; under CI=true they fail instead (.ci/run installs it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import zoneinfo
from dataclasses import replace
from pathlib import Path

import pytest
import test_workers
from conftest import need_program, stop
from icecast import ICECAST, Icecast
from test_workers import broker_workspace, jobs_of, wait_for_text

from studio.errors import BadInput
from studio.media.capture import capture_stream
from studio.media.ffmpeg import find_ffmpeg, probe
from studio.radio.record import Recorder, episode_title, starts_between
from studio.radio.record import log as rec_log
from studio.workspace.config import Recording, load_show, save_show
from studio.workspace.tree import Workspace

redis_server, workers = test_workers.redis_server, test_workers.workers  # fixtures: redis-server, `studio worker`s
ROOT = Path(__file__).resolve().parent.parent
MAKASSAR = zoneinfo.ZoneInfo("Asia/Makassar")


# -- the show's settings --------------------------------------------------------

SHOW_TOML = """title = "Sosialisasi KPU"

[[recordings]]
url = "http://radio.example.go.id:8000/live.mp3"
weekdays = ["senin", "Jum'at"]
start = "09:00"
timezone = "Asia/Makassar"
duration = "1h30m"
title = "Sosialisasi Pemilu {date}"
"""


def test_recordings_are_read_checked_and_written_back(tmp_path):
    path = tmp_path / "kpu.toml"
    path.write_text(SHOW_TOML)
    show = load_show(path)
    (recording,) = show.recordings
    assert recording.seconds == 5400 and recording.days == {0, 4} and recording.timezone == "Asia/Makassar"
    save_show(path, show)
    assert load_show(path) == show


def _bad(tmp_path, old, new):
    path = tmp_path / "kpu.toml"
    path.write_text(SHOW_TOML.replace(old, new))
    with pytest.raises(BadInput) as info:
        load_show(path)
    return str(info.value)


BAD = [
    ('duration = "1h30m"', 'colour = "red"\nduration = "1h30m"', "unknown setting(s) colour"),
    ('duration = "1h30m"', 'duration = "an hour"', "is not a duration"),
    ('timezone = "Asia/Makassar"', 'timezone = "Mars/Olympus"', "time zone 'Mars/Olympus' is unknown"),
    ('weekdays = ["senin", "Jum\'at"]', 'weekdays = ["someday"]', "weekday 'someday'"),
    ('weekdays = ["senin", "Jum\'at"]', 'weekdays = ["senin"]\ndate = "2026-12-07"', "either weekdays or a date"),
    ('start = "09:00"', 'start = "9 pagi"', "start '9 pagi'"),
    ('url = "http://radio.example.go.id:8000/live.mp3"', 'url = "icecast://x/live"', "use the stream's http://"),
    ('title = "Sosialisasi Pemilu {date}"', 'title = "Sosialisasi {tanggal}"', "it may name only"),
]


@pytest.mark.parametrize("old, new, says", BAD)
def test_bad_recording_settings_are_refused(tmp_path, old, new, says):
    message = _bad(tmp_path, old, new)
    assert says in message and "recording 1" in message and "\n" not in message


# -- the schedule -------------------------------------------------------------

def _show(tmp_path, toml: str = SHOW_TOML):
    path = tmp_path / "kpu.toml"
    path.write_text(toml)
    return load_show(path)


def test_starts_are_in_the_recordings_zone(tmp_path):
    show = _show(tmp_path)
    utc = dt.timezone.utc
    # Monday 7 December 2026, 09:00 in Makassar (UTC+8) is 01:00 UTC; Friday the 11th likewise.
    found = starts_between([show], dt.datetime(2026, 12, 6, 0, 0, tzinfo=utc), dt.datetime(2026, 12, 13, tzinfo=utc))
    assert [o.start.astimezone(utc) for o in found] == [dt.datetime(2026, 12, 7, 1, 0, tzinfo=utc),
                                                        dt.datetime(2026, 12, 11, 1, 0, tzinfo=utc)]
    assert found[0].key == "kpu@2026-12-07T01:00:00Z"
    assert found[0].title == "Sosialisasi Pemilu 7 Desember 2026"
    assert found[0].end - found[0].start == dt.timedelta(minutes=90)


def test_title_pattern_fields():
    start = dt.datetime(2026, 12, 11, 9, 5, tzinfo=MAKASSAR)
    assert episode_title("{weekday}, {date} pukul {time} ({iso_date}) {show}", "KPU", start) == \
        "Jumat, 11 Desember 2026 pukul 09.05 (2026-12-11) KPU"
    with pytest.raises(BadInput, match="it may name only"):
        episode_title("Siaran {tanggal}", "KPU", start)


# -- the recorder's clock: a missed start ---------------------------------------

def _workspace_with_recording(workspace: Workspace, **recording) -> Workspace:
    workspace.save_show(replace(workspace.show("kpu"), recordings=(Recording(**recording),)))
    return Workspace(workspace.root)  # read again


def test_a_start_missed_while_nothing_ran_is_reported_and_logged(workspace):
    ws = _workspace_with_recording(workspace, url="http://127.0.0.1:9/live.mp3", date="2026-12-07", start="09:00",
                                   timezone="Asia/Makassar", duration="30m", title="Siaran {date}")
    said = []
    clock = [dt.datetime(2026, 12, 7, 8, 0, tzinfo=MAKASSAR)]
    recorder = Recorder(ws, find_ffmpeg(), after=lambda e: None, say=said.append, now=lambda: clock[0])
    assert recorder.tick() == []  # 08:00: the recorder looks, then the machine is off
    clock[0] = dt.datetime(2026, 12, 7, 9, 20, tzinfo=MAKASSAR)  # back on twenty minutes after the start
    assert recorder.tick() == []
    assert not recorder.running
    assert [line for line in said if "missed" in line] == [
        "kpu@2026-12-07T01:00:00Z: missed: nothing was running at its start (2026-12-07T09:00+08:00)"]
    (entry,) = rec_log.read(ws)
    assert (entry.state, entry.key, entry.show) == ("missed", "kpu@2026-12-07T01:00:00Z", "kpu")
    recorder.tick()  # reported once
    assert len(rec_log.read(ws)) == 1


# -- a real Icecast on loopback ---------------------------------------------------

@pytest.fixture(scope="module")
def icecast(tmp_path_factory):
    need_program(ICECAST, "install Debian's icecast2 (apt-get install icecast2), as .ci/run does")
    server = Icecast(tmp_path_factory.mktemp("icecast"))
    yield server
    server.stop()


@pytest.fixture
def sources():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        stop(process)


def env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def studio(ws: Workspace, *args) -> list[str]:
    return [sys.executable, "-m", "studio", "--workspace", str(ws.root), *map(str, args)]


def length(path: Path) -> float:
    return probe(path).duration


@pytest.mark.slow
def test_record_captures_the_right_length_and_processes_it(workspace, icecast, sources):
    sources.append(icecast.source("len.mp3"))
    icecast.mounted("len.mp3")
    out = subprocess.run(studio(workspace, "record", "--from", icecast.url("len.mp3"), "--duration", "20s",
                                "--show", "kpu", "--title", "Siaran {date}", "--no-transcribe", "--no-clips"),
                         env=env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    episode_id = out.stdout.strip()
    ws = Workspace(workspace.root)
    episode = ws.episode(episode_id)
    assert abs(episode.duration - 20.0) <= 1.0
    assert episode.original == "original.flac" and episode.source.startswith("siaran http://127.0.0.1")
    assert episode.title.startswith("Siaran ") and episode.recorded_on == dt.date.today().isoformat()
    assert abs(length(ws.episode_dir(episode_id) / "original.flac") - 20.0) <= 1.0
    assert (ws.episode_dir(episode_id) / "podcast.mp3").is_file()  # processed with no hand step
    assert (ws.episode_dir(episode_id) / "broadcast.wav").is_file()
    (started, done) = rec_log.read(ws)
    assert (started.state, done.state, done.episode, done.gaps) == ("started", "done", episode_id, [])
    assert not any((ws.root / ".studio" / "recordings").iterdir())  # the capture is the episode's now


@pytest.mark.slow
def test_a_source_killed_and_restarted_leaves_a_logged_gap_and_the_right_length(workspace, icecast, sources):
    sources.append(icecast.source("drop.mp3"))
    icecast.mounted("drop.mp3")
    recorder = subprocess.Popen(studio(workspace, "record", "--from", icecast.url("drop.mp3"), "--duration", "20s",
                                       "--show", "kpu", "--no-process", "--json"),
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    six_seconds = threading.Event()

    def read_stderr() -> None:
        for line in recorder.stderr:
            lines.append(line)
            if "recorded 0:06 of 0:20" in line:
                six_seconds.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert six_seconds.wait(120), "".join(lines)  # connected, six seconds in
        stop(sources.pop())
        time.sleep(3.0)  # the pause the gap must account for (a known length, not a wait for an event)
        sources.append(icecast.source("drop.mp3"))
        stdout = recorder.stdout.read()
        assert recorder.wait(timeout=300) == 0, "".join(lines)
    finally:
        stop(recorder)
    reader.join(timeout=10)
    result = json.loads(stdout)
    assert abs(result["duration"] - 20.0) < 1e-6
    (gap,) = result["gaps"]
    assert 5.0 <= gap["at"] <= 9.0 and 2.0 <= gap["length"] <= 6.0, result
    assert any(line.startswith("gap at ") for line in lines), "".join(lines)
    ws = Workspace(workspace.root)
    assert abs(ws.episode(result["episode"]).duration - 20.0) <= 1.0
    assert rec_log.read(ws)[-1].gaps == [gap]


def test_a_stream_that_never_comes_up_is_one_line_and_exit_1(workspace, icecast):
    out = subprocess.run(studio(workspace, "-q", "record", "--from", icecast.url("nobody.mp3"), "--duration", "20s",
                                "--show", "kpu", "--connect-timeout", "3"),
                         env=env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [f"error: the stream {icecast.url('nobody.mp3')} did not come up within 3 s: "
                                       "check the address and that the station is on air"]
    (started, failed) = rec_log.read(Workspace(workspace.root))
    assert (started.state, failed.state) == ("started", "failed")
    assert not Workspace(workspace.root).episode_ids()


@pytest.mark.slow
def test_a_scheduled_recording_becomes_an_ingested_episode(workspace, icecast, sources):
    sources.append(icecast.source("sched.mp3"))
    icecast.mounted("sched.mp3")
    ws = _workspace_with_recording(workspace, url=icecast.url("sched.mp3"), weekdays=("senin",), start="09:00",
                                   timezone="Asia/Makassar", duration="8s", title="Sosialisasi Pemilu {date}")
    clock = [dt.datetime(2026, 12, 7, 8, 59, 58, tzinfo=MAKASSAR)]  # a Monday, two seconds before the start
    ingested: list[str] = []
    done = threading.Event()
    said: list[str] = []

    def sleep(seconds: float) -> bool:
        clock[0] += dt.timedelta(seconds=seconds)  # the recorder's clock, not the test's: no real sleep
        return done.wait(0.05)

    def after(episode_id: str) -> None:
        ingested.append(episode_id)
        done.set()

    recorder = Recorder(ws, find_ffmpeg(), after=after, say=said.append, now=lambda: clock[0], sleep=sleep)
    runner = threading.Thread(target=recorder.run)
    runner.start()
    runner.join(timeout=300)
    assert not runner.is_alive() and ingested == ["kpu/2026-12-07-sosialisasi-pemilu-7-desember-2026"], said
    episode = ws.episode(ingested[0])
    assert episode.title == "Sosialisasi Pemilu 7 Desember 2026" and episode.recorded_on == "2026-12-07"
    assert abs(episode.duration - 8.0) <= 1.0
    states = [(e.key, e.state) for e in rec_log.read(ws)]
    assert states == [("kpu@2026-12-07T01:00:00Z", "started"), ("kpu@2026-12-07T01:00:00Z", "done")]
    assert recorder.tick() == []  # the same airing is never taken twice


def soon(seconds: float) -> dt.datetime:
    """A start `seconds` from now, local time, to the second."""
    return (dt.datetime.now().astimezone() + dt.timedelta(seconds=seconds)).replace(microsecond=0)


def wait_for(check, what: str, timeout: float = 300.0):
    """Wait until `check()` gives something true (a safety deadline for a loaded machine, not a speed claim)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.2)
    return found


@pytest.mark.slow
def test_studio_recorder_records_at_the_time_and_processes_the_episode(workspace, icecast, sources, tmp_path):
    sources.append(icecast.source("rec.mp3"))
    icecast.mounted("rec.mp3")
    start = soon(6)
    ws = _workspace_with_recording(workspace, url=icecast.url("rec.mp3"), date=start.date().isoformat(),
                                   start=start.strftime("%H:%M:%S"), duration="6s", title="Siaran {date}")
    log_file = tmp_path / "recorder.log"
    with open(log_file, "wb") as out:
        recorder = subprocess.Popen(studio(ws, "recorder", "--no-transcribe", "--no-clips"), env=env(), stdout=out,
                                    stderr=subprocess.STDOUT)
    try:
        done = wait_for(lambda: [e for e in rec_log.read(ws) if e.state == "done"], "the recording is ingested")
        episode_id = done[0].episode
        wait_for(lambda: (ws.episode_dir(episode_id) / "broadcast.wav").is_file(), "the episode is processed")
        wait_for(lambda: "processed" in log_file.read_text(), "the recorder says it processed it")
        recorder.terminate()
        assert recorder.wait(timeout=60) == 0, log_file.read_text()
    finally:
        stop(recorder)
    said = log_file.read_text()
    assert f"connected to {icecast.url('rec.mp3')}" in said and f"ingested as {episode_id}" in said, said
    assert abs(Workspace(ws.root).episode(episode_id).duration - 6.0) <= 1.0


@pytest.mark.slow
@pytest.mark.workers
def test_two_workers_with_beat_record_an_airing_once_and_queue_its_processing(workspace, icecast, sources,
                                                                                redis_server, workers):
    ws = broker_workspace(workspace, redis_server.url)
    sources.append(icecast.source("beat.mp3"))
    icecast.mounted("beat.mp3")
    workers.ws = ws
    for _ in range(2):
        workers.start("--concurrency", "2", "--queues", "record")
    for index in range(2):
        wait_for_text(workers.log(index), "ready")
    start = soon(2)  # read at the next tick: the shows are read afresh each time
    ws = _workspace_with_recording(ws, url=icecast.url("beat.mp3"), date=start.date().isoformat(),
                                   start=start.strftime("%H:%M:%S"), duration="15s", title="Siaran {date}")
    done = wait_for(lambda: [e for e in rec_log.read(ws) if e.state in ("done", "failed")], "the airing is recorded")
    assert done[0].state == "done", done
    episode_id = done[0].episode
    wait_for(lambda: any(j["episode"] == episode_id for j in jobs_of(ws)), "its processing is queued")
    assert [e.state for e in rec_log.read(ws)] == ["started", "done"]  # taken once, by one of the two
    assert Workspace(ws.root).episode(episode_id).duration >= 15.0 - 5.0 - 1.0  # found at most a tick late


def test_studio_recordings_lists_the_log_and_what_comes(workspace):
    ws = _workspace_with_recording(workspace, url="http://127.0.0.1:9/live.mp3", weekdays=("senin", "kamis"),
                                   start="09:00", timezone="Asia/Makassar", duration="30m", title="Siaran {date}")
    clock = [dt.datetime(2026, 12, 7, 8, 0, tzinfo=MAKASSAR)]
    recorder = Recorder(ws, find_ffmpeg(), after=lambda e: None, say=lambda line: None, now=lambda: clock[0])
    recorder.tick()
    clock[0] = dt.datetime(2026, 12, 7, 10, 0, tzinfo=MAKASSAR)
    recorder.tick()
    out = subprocess.run(studio(ws, "recordings", "--json"), env=env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [(e["key"], e["state"]) for e in listed["log"]] == [("kpu@2026-12-07T01:00:00Z", "missed")]
    assert len(listed["upcoming"]) == 2 and {u["duration"] for u in listed["upcoming"]} == {1800.0}
    text = subprocess.run(studio(ws, "recordings"), env=env(), capture_output=True, text=True, timeout=60).stdout
    assert "missed" in text and text.count("upcoming") == 2


@pytest.mark.slow
def test_an_hls_stream_is_recorded_too(tmp_path, sources):
    """A live HLS playlist (ffmpeg's hls muxer writing 1 s segments) served over real HTTP."""
    import functools
    import http.server

    folder = tmp_path / "hls"
    folder.mkdir()
    sources.append(subprocess.Popen(
        [find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
         "sine=frequency=330:duration=600", "-c:a", "aac", "-b:a", "96k", "-f", "hls", "-hls_time", "1",
         "-hls_list_size", "6", "-hls_flags", "delete_segments", str(folder / "live.m3u8")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    server.RequestHandlerClass.log_message = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for(lambda: (folder / "live.m3u8").is_file() and len(list(folder.glob("*.ts"))) >= 3,
                 "three segments are listed")
        said: list[str] = []
        captured = capture_stream(find_ffmpeg(), f"http://127.0.0.1:{server.server_port}/live.m3u8",
                                  tmp_path / "hls.flac", 8.0, say=said.append)
    finally:
        server.shutdown()
        server.server_close()
    assert captured.connections == 1 and captured.gaps == [], said
    assert abs(length(captured.file) - 8.0) < 0.05
    assert probe(captured.file).sample_rate == 48000 and not list(tmp_path.glob(".*.tmp*"))


def test_a_file_is_not_taken_for_a_live_stream_and_a_bad_address_is_refused(workspace, tmp_path):
    import functools
    import http.server

    import audiogen as g

    folder = tmp_path / "files"
    g.encode(g.scale_to(g.speech(90.0), -20.0), folder / "talk.mp3", "-c:a", "libmp3lame", "-b:a", "64k")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    server.RequestHandlerClass.log_message = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = subprocess.run(studio(workspace, "-q", "record", "--from",
                                    f"http://127.0.0.1:{server.server_port}/talk.mp3", "--duration", "20s"),
                             env=env(), capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert "is not a live stream" in out.stderr and "studio ingest" in out.stderr
    bad = subprocess.run(studio(workspace, "record", "--from", "/tmp/talk.mp3", "--duration", "20s"),
                         env=env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr == "error: --from '/tmp/talk.mp3': use the stream's http:// or " \
                                                 "https:// address\n"


def test_an_airing_is_taken_once_by_two_recorders_and_a_late_one_for_what_is_left(workspace):
    ws = _workspace_with_recording(workspace, url="http://127.0.0.1:9/live.mp3", date="2026-12-07", start="09:00",
                                   timezone="Asia/Makassar", duration="30m", title="Siaran {date}")
    clock = [dt.datetime(2026, 12, 7, 8, 59, tzinfo=MAKASSAR)]
    taken: list[tuple[str, str, float]] = []

    def recorder(name: str) -> Recorder:
        return Recorder(Workspace(ws.root), find_ffmpeg(), after=lambda e: None, say=lambda line: None,
                        now=lambda: clock[0],
                        start=lambda take, end: taken.append((name, take.key, (end - clock[0]).total_seconds())))

    first, second = recorder("first"), recorder("second")
    first.tick(), second.tick()
    clock[0] = dt.datetime(2026, 12, 7, 9, 1, 30, tzinfo=MAKASSAR)  # 90 s late: within record_late_after (120 s)
    assert [o.key for o in first.tick()] == ["kpu@2026-12-07T01:00:00Z"]
    (ws.root / ".studio" / "recorder.json").unlink()  # as if the second had looked at the same moment
    assert second.tick() == []  # it sees the airing, but the first has claimed it in the log
    assert taken == [("first", "kpu@2026-12-07T01:00:00Z", 30 * 60 - 90)]  # what is left of the airing
    assert [e.state for e in rec_log.read(ws)] == ["started"]
