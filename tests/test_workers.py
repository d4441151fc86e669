"""Celery workers on a real Redis: real `redis-server` and `studio worker` processes (issue 14).

Outside CI these skip when redis-server is absent; under CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import audiogen as g
import pytest
from conftest import free_port, need_program, stop, wait_for_port

from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.workspace.config import load_settings, save_settings, with_changes
from studio.workspace.tree import Workspace

pytestmark = pytest.mark.workers  # a real redis-server and `studio worker` processes in every test

ROOT = Path(__file__).resolve().parent.parent
QUIET = Reporter(quiet=True)


class Redis:
    """A redis-server on a random loopback port, its data (append-only file) in a folder of its own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, appendonly: bool = True) -> None:
        """Start it; `appendonly=False`: without persistence (it starts empty, whatever the folder holds)."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes" if appendonly else "no", "--appendfsync", "always", "--save", "",
             "--protected-mode", "no"],
            stdout=open(self.folder / "redis.log", "ab"), stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def redis_server(tmp_path):
    need_program("redis-server", "install Debian's redis-server (apt-get install redis-server), as .ci/run does")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = Redis(folder)
    server.start()
    yield server
    server.stop()


def env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def studio_args(ws: Workspace, *args) -> list[str]:
    return [sys.executable, "-m", "studio", "--workspace", str(ws.root), *map(str, args)]


class Workers:
    def __init__(self, ws: Workspace, log_dir: Path):
        self.ws, self.log_dir, self.processes = ws, log_dir, []

    def log(self, index: int) -> Path:
        return self.log_dir / f"worker{index}.log"

    def start(self, *args, ffmpeg: Path | None = None) -> subprocess.Popen:
        log = open(self.log(len(self.processes)), "ab")
        process = subprocess.Popen(studio_args(self.ws, "worker", *args), stdout=log, stderr=subprocess.STDOUT,
                                   env={**env(), **({"STUDIO_FFMPEG": str(ffmpeg)} if ffmpeg else {})},
                                   start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool processes at once, as a machine that dies."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def clients():
    """The `studio process` clients a test starts (append them): stopped at its end, whatever happened."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        stop(process)


@pytest.fixture
def workers(tmp_path):
    found = Workers(None, tmp_path)
    yield found
    found.stop_all()


def broker_workspace(workspace: Workspace, url: str, job_time_limit: float = 14400.0, **more) -> Workspace:
    settings = load_settings(workspace.settings_path)
    save_settings(workspace.settings_path, with_changes(settings, broker_url=url, job_time_limit=job_time_limit,
                                                        **more))
    return workspace


def add_episode(ws: Workspace, tmp_path: Path, name: str, seconds: float = 4.0, seed: int = 0) -> str:
    source = g.encode(g.scale_to(g.speech(seconds, seed=seed), -24.0), tmp_path / f"{name}.wav")
    return ingest(ws, find_ffmpeg(), IngestRequest(file=source, show="kpu", title=name), QUIET).episode.id


def jobs_of(ws: Workspace) -> list[dict]:
    out = subprocess.run(studio_args(ws, "jobs", "--json"), env=env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def wait_for_text(path: Path, text: str, timeout: float = 120.0) -> None:
    """Wait until the log at `path` says `text` (a safety deadline, not a claim about speed)."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and text in path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{path.name} never said {text!r}"
        time.sleep(0.1)


def wait_jobs(ws: Workspace, done, timeout: float = 180.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = jobs_of(ws)
        if done(found):
            return found
        time.sleep(0.5)
    raise TimeoutError(f"jobs not as expected after {timeout} s: {jobs_of(ws)}")


def test_bad_recording_fails_once_is_not_retried_and_blocks_nothing(workspace, tmp_path, redis_server, workers):
    ws = broker_workspace(workspace, redis_server.url)
    bad = add_episode(ws, tmp_path, "rusak", seed=1)
    good = add_episode(ws, tmp_path, "baik", seed=2)
    original = ws.episode_dir(bad) / ws.episode(bad).original
    original.write_bytes(original.read_bytes()[:44] + b"\x00garbage" * 10)
    workers.ws = ws
    workers.start("--concurrency", "1")
    result = subprocess.run(studio_args(ws, "process", bad, good, "--no-transcribe", "--no-clips"), env=env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (1, 2), result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith(f"error: {bad}: ") and len(errors) == 2, result.stderr  # its line, then "1 of 2"
    assert (ws.episode_dir(good) / "podcast.mp3").is_file() and not (ws.episode_dir(bad) / "podcast.mp3").exists()
    found = jobs_of(ws)
    failed = [j for j in found if j["state"] == "failed"]
    assert [j["episode"] for j in failed] == [bad] and failed[0]["error"] == errors[0][len("error: "):]
    assert all(j["state"] == "done" for j in found if j["episode"] == good)
    log = "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker*.log"))
    assert "Retry in" not in log  # bad input is final


def test_two_runs_at_once_enqueue_each_stage_once(workspace, tmp_path, redis_server, workers):
    ws = broker_workspace(workspace, redis_server.url)
    episodes = [add_episode(ws, tmp_path, f"sesi{i}", seed=i) for i in range(2)]
    logs = [tmp_path / f"run{i}.log" for i in range(2)]
    runs = [subprocess.Popen(studio_args(ws, "run", "--no-transcribe", "--no-clips"), env=env(),
                             stdout=subprocess.DEVNULL, stderr=open(log, "w")) for log in logs]
    # No worker yet: both runs have enqueued and wait (each says so, a line per job); every stage is there once.
    for log in logs:
        for episode in episodes:
            wait_for_text(log, f"{episode}: renditions queued")
    found = jobs_of(ws)
    assert sorted((j["stage"], j["episode"]) for j in found) == sorted(("renditions", e) for e in episodes)
    workers.ws = ws
    workers.start("--concurrency", "2")
    for run, log in zip(runs, logs):
        assert run.wait(timeout=300) == 0, log.read_text()
    found = jobs_of(ws)
    stages = sorted((j["stage"], j["episode"]) for j in found)
    assert stages.count(("publish", None)) <= 2 and all(j["state"] == "done" for j in found)
    assert sorted(s for s in stages if s[0] != "publish") == sorted(("renditions", e) for e in episodes)
    assert all((ws.episode_dir(e) / "podcast.mp3").is_file() for e in episodes)


def test_many_clients_enqueuing_one_chain_at_once_make_it_once(workspace, redis_server):
    """Every client that enqueues an unfinished chain gets the same jobs, however their steps interleave."""
    from studio.jobs.celery.queue import CeleryQueue

    ws = broker_workspace(workspace, redis_server.url)
    for round_ in range(10):
        queues = [CeleryQueue(ws, redis_server.url) for _ in range(8)]
        start = threading.Barrier(len(queues))
        chains: list[list[str]] = []

        def enqueue(queue: CeleryQueue) -> None:
            start.wait()
            chains.append([j.id for j in queue.enqueue_stages(f"show/ep{round_}", ["renditions", "text"])])

        threads = [threading.Thread(target=enqueue, args=(q,)) for q in queues]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(chains) == len(queues) and len({tuple(c) for c in chains}) == 1, chains
    assert len(jobs_of(ws)) == 20  # two stages of ten chains, no stray records


def test_redis_stopped_and_started_again_loses_nothing(workspace, tmp_path, redis_server, workers):
    ws = broker_workspace(workspace, redis_server.url)
    episodes = [add_episode(ws, tmp_path, f"sesi{i}", seed=i) for i in range(3)]
    run = subprocess.Popen(studio_args(ws, "process", "--all", "--no-transcribe", "--no-clips"), env=env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_jobs(ws, lambda jobs: len(jobs) == 3, timeout=60)
    redis_server.stop()  # the jobs wait in Redis's append-only file; nobody has taken them yet
    workers.ws = ws
    workers.start("--concurrency", "1")  # starts while the broker is away and keeps trying
    wait_for_text(workers.log(0), "Cannot connect to redis")  # Celery's line: it tried, and will try again
    redis_server.start()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert all(j["state"] == "done" for j in jobs_of(ws))
    assert all((ws.episode_dir(e) / "broadcast.wav").is_file() for e in episodes)


def transcribed_text(ws: Workspace, episode: str) -> str:
    return (ws.episode_dir(episode) / "transcript.txt").read_text(encoding="utf-8")


@pytest.mark.model
@pytest.mark.slow
def test_two_workers_make_what_the_in_process_path_makes(workspace, tmp_path, redis_server, workers):
    ws = broker_workspace(workspace, redis_server.url)
    episodes = [add_episode(ws, tmp_path, f"sesi{i}", seconds=6.0, seed=i) for i in range(4)]
    reference = Workspace(tmp_path / "reference")
    shutil.copytree(ws.root, reference.root)
    broker_workspace(reference, "")
    made = subprocess.run(studio_args(reference, "-q", "process", "--all", "--no-clips"), env=env(),
                          capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stderr
    workers.ws = ws
    workers.start("--concurrency", "1")
    workers.start("--concurrency", "1")
    for index in range(2):  # both take jobs from the first one on, however slowly the machine starts them
        wait_for_text(workers.log(index), " ready.")  # Celery's line once it is connected and consuming
    result = subprocess.run(studio_args(ws, "process", "--all", "--no-clips"), env=env(), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert len({j["worker"] for j in jobs_of(ws)}) == 2  # both worked
    for episode in episodes:
        for name in ("podcast.mp3", "broadcast.wav"):
            ours, theirs = g.measure(ws.episode_dir(episode) / name), g.measure(reference.episode_dir(episode) / name)
            assert abs(ours.integrated - theirs.integrated) < 0.1
        assert transcribed_text(ws, episode) == transcribed_text(reference, episode)
        files = sorted(p.name for p in ws.episode_dir(episode).iterdir())
        assert files == sorted(p.name for p in reference.episode_dir(episode).iterdir())


def held_ffmpeg(folder: Path) -> Path:
    """A wrapper of the real ffmpeg for a worker to be caught mid-transcription: the transcription's decode
    (16 kHz mono samples to stdout) writes every sample, notes it in `folder`/held, then keeps its stdout open
    for an hour. That transcription cannot finish, however fast the machine; every other run is the real one."""
    real = find_ffmpeg().path
    wrapper = folder / "ffmpeg-held"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *"-ar 16000 -f s16le"*)\n'
                       f'    "{real}" "$@"; touch "{folder}/held"; exec sleep 3600;;\nesac\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.model
@pytest.mark.slow
def test_a_worker_killed_mid_transcription_is_replaced_by_the_other(workspace, tmp_path, redis_server, workers,
                                                                    clients):
    """The whole first worker (main process and pool) SIGKILLed mid-transcription, with the default
    job_time_limit (Celery alone would hand the task on after 5 h): the idle second worker, already running,
    notices within worker_lost_after and transcribes the episode."""
    ws = broker_workspace(workspace, redis_server.url, worker_lost_after=LOST_AFTER)
    episode = add_episode(ws, tmp_path, "panjang", seconds=25.0)
    workers.ws = ws
    first = workers.start("--concurrency", "1", "--queues", "default,transcribe", ffmpeg=held_ffmpeg(tmp_path))
    run = subprocess.Popen(studio_args(ws, "process", episode, "--no-clips"), env=env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    clients.append(run)
    wait_for_file(tmp_path / "held", run, first)  # the first worker is in the transcription, and stays there
    second = workers.start("--concurrency", "1", "--queues", "default,transcribe")
    wait_for_text(workers.log(1), " ready.")  # idle, consuming: Celery would give it nothing before 5 h
    killed_worker = next(j["worker"] for j in jobs_of(ws) if j["stage"] == "transcript" and j["state"] == "running")
    workers.kill(first)
    folder = ws.episode_dir(episode)
    assert not (folder / ".studio/transcript.raw.json").exists()
    _, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    found = jobs_of(ws)
    transcript = next(j for j in found if j["stage"] == "transcript")
    assert transcript["state"] == "done" and transcript["worker"] != killed_worker and second.poll() is None
    assert transcript["worker"].endswith(f":{second.pid}") and transcript["attempt"] == 1
    assert (folder / ".studio/transcript.raw.json").is_file() and (folder / "transcript.vtt").is_file()
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name]  # no temporary left behind
    assert len([j for j in found if j["stage"] == "transcript"]) == 1


# -- under faults (issue 29): a whole worker lost, Redis restarted without its data -------------------------

LOST_AFTER = 5.0  # worker_lost_after in these tests: a worker unheard this long is lost (60 s by default)


def held_renditions_ffmpeg(folder: Path) -> Path:
    """A wrapper of the real ffmpeg for a worker to be caught rendering: the first renditions encode (the MP3)
    notes it in `folder`/held and never ends; every other run is the real one."""
    real = find_ffmpeg().path
    held = folder / "held"
    wrapper = folder / "ffmpeg-held"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *libmp3lame*) if [ ! -e "{held}" ]; then touch "{held}"; '
                       f'exec sleep 3600; fi;;\nesac\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def wait_for_file(path: Path, *alive: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout  # a safety net, not a claim about speed
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        assert all(p.poll() is None for p in alive), "a process ended before it"
        time.sleep(0.1)


def test_a_whole_worker_killed_mid_job_is_given_to_another_at_once(workspace, tmp_path, redis_server, workers,
                                                                   clients):
    """The default job_time_limit (4 h): Celery alone would hand the task on after 5 h. The worker's heartbeat
    stops; the waiting `process` (or `studio jobs`) queues the job again; `jobs --retry` accepts it; a second
    `process` of the episode waits on the live chain; a new worker finishes it."""
    ws = broker_workspace(workspace, redis_server.url, worker_lost_after=LOST_AFTER)
    episode = add_episode(ws, tmp_path, "mati")
    workers.ws = ws
    first = workers.start("--concurrency", "1", ffmpeg=held_renditions_ffmpeg(tmp_path))
    args = studio_args(ws, "process", episode, "--no-transcribe", "--no-clips")
    run = subprocess.Popen(args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    clients.append(run)
    wait_for_file(tmp_path / "held", run, first)
    job = next(j for j in jobs_of(ws) if j["stage"] == "renditions")
    assert job["state"] == "running" and job["worker"].endswith(f":{first.pid}")  # the worker, not its pool child
    workers.kill(first)
    again = subprocess.Popen(args, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    clients.append(again)
    deadline = time.monotonic() + 120  # a safety net: the job is known lost LOST_AFTER s after the kill
    while True:
        retried = subprocess.run(studio_args(ws, "jobs", "--retry", job["id"]), env=env(), capture_output=True,
                                 text=True, timeout=60, check=False)
        if retried.returncode == 0:
            break
        assert "is running, not failed" in retried.stderr and time.monotonic() < deadline, retried.stderr
        time.sleep(0.5)
    assert retried.stdout.strip() == job["id"]  # the same job, queued again: not a second one
    lost = next(j for j in jobs_of(ws) if j["id"] == job["id"])
    assert lost["state"] == "queued" and "worker lost" in lost["error"] and lost["attempt"] == 1
    second = workers.start("--concurrency", "1")
    said = []
    for client in (run, again):
        _, err = client.communicate(timeout=300)
        assert client.returncode == 0, err
        said.append(err)
    assert "worker lost" in said[0]  # the first client saw its job queued again, and why
    found = [j for j in jobs_of(ws) if j["stage"] == "renditions"]
    assert len(found) == 1 and found[0]["state"] == "done" and found[0]["worker"].endswith(f":{second.pid}")
    assert (ws.episode_dir(episode) / "podcast.mp3").is_file()
    assert second.poll() is None


def test_redis_restarted_without_its_data_under_a_waiting_client(workspace, tmp_path, redis_server, workers,
                                                                 clients):
    """Redis comes back empty (no append-only file): the waiting `process` sees its jobs gone while Redis
    answers, says so in one line and enqueues them again; a worker then does them."""
    ws = broker_workspace(workspace, redis_server.url)
    episodes = [add_episode(ws, tmp_path, f"sesi{i}", seed=i) for i in range(2)]
    log = tmp_path / "process.log"
    with open(log, "w") as stderr:
        run = subprocess.Popen(studio_args(ws, "process", "--all", "--no-transcribe", "--no-clips"), env=env(),
                               stdout=subprocess.DEVNULL, stderr=stderr)
    clients.append(run)
    for episode in episodes:
        wait_for_text(log, f"{episode}: renditions queued")
    redis_server.stop()
    wait_for_text(log, "waiting for it")  # the client waits for the broker, and says so (once: below)
    redis_server.start(appendonly=False)
    wait_for_text(log, "lost 2 job(s)")
    workers.ws = ws
    workers.start("--concurrency", "1")
    assert run.wait(timeout=300) == 0, log.read_text()
    text = log.read_text()
    assert text.count("does not answer") == 1 and "enqueuing them again" in text
    assert all((ws.episode_dir(e) / "broadcast.wav").is_file() for e in episodes)
    assert all(j["state"] == "done" for j in jobs_of(ws))


def test_doctor_checks_that_redis_keeps_queued_jobs(workspace, tmp_path, redis_server):
    from studio.doctor import check_broker

    assert check_broker(redis_server.url).ok  # started with --appendonly yes
    redis_server.stop()
    away = check_broker(redis_server.url)
    assert not away.ok and "does not answer" in away.detail
    redis_server.start(appendonly=False)
    bare = check_broker(redis_server.url)
    assert not bare.ok and "appendonly no" in bare.detail and "\n" not in bare.detail
    ws = broker_workspace(workspace, redis_server.url)
    out = subprocess.run(studio_args(ws, "doctor", "--json"), env=env(), capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 1
    assert [c for c in json.loads(out.stdout) if c["name"] == "broker"] == [{"name": "broker", "ok": False,
                                                                            "detail": bare.detail}]


def test_web_pages_with_redis_down_show_a_banner_and_what_they_can(workspace, tmp_path, redis_server):
    """Real HTTP against `studio web` whose broker is stopped: no bare 500, a banner in the page's language,
    the episodes from the workspace's index; once Redis is back, the pages show the jobs again."""
    import re

    import requests
    from conftest import free_port

    from studio.web.strings import translate
    from studio.workspace.users import add_user

    ws = broker_workspace(workspace, redis_server.url)
    episode = add_episode(ws, tmp_path, "banjir")
    add_user(ws, "prod", "producer", "produser-rahasia-1")
    port = free_port()
    with open(tmp_path / "web.log", "w") as log:
        server = subprocess.Popen(studio_args(ws, "web", "--port", port), env=env(), stdout=log, stderr=log)
    try:
        wait_for_port(port, server)
        base = f"http://127.0.0.1:{port}"
        client = requests.Session()
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"{base}/login").text).group(1)
        signed_in = client.post(f"{base}/login", data={"name": "prod", "password": "produser-rahasia-1",
                                                       "csrf_token": token}, allow_redirects=False)
        assert signed_in.status_code == 302
        redis_server.stop()
        away = translate("id", "broker.away")
        episodes = client.get(f"{base}/episodes")
        assert episodes.status_code == 200 and away in episodes.text and "banjir" in episodes.text
        jobs = client.get(f"{base}/jobs")
        assert jobs.status_code == 200 and away in jobs.text
        publish = client.get(f"{base}/publish")
        assert publish.status_code == 200 and away in publish.text
        posted = client.post(f"{base}/publish", data={"csrf_token": token})
        assert posted.status_code == 200 and translate("id", "broker.not_queued") in posted.text
        cell = client.get(f"{base}/episodes/state/{episode}", headers={"HX-Request": "true"})
        assert cell.status_code == 200 and cell.text.startswith("<td")
        assert client.get(f"{base}/jobs/table", headers={"HX-Request": "true"}).json() == {"error": away}
        redis_server.start()
        client.post(f"{base}/publish", data={"csrf_token": token})
        back = client.get(f"{base}/jobs")
        assert back.status_code == 200 and away not in back.text and "publish" in back.text
    finally:
        stop(server)


def test_a_killed_pool_process_alone_is_replaced_by_its_worker_in_seconds(workspace, tmp_path, redis_server, workers,
                                                                          clients):
    """Only the pool process running the job SIGKILLed: the worker's main process lives on (its heartbeat
    too), Celery puts the task back at once and the same worker runs it again: no lost worker, no new attempt."""
    ws = broker_workspace(workspace, redis_server.url, worker_lost_after=LOST_AFTER)
    episode = add_episode(ws, tmp_path, "anak")
    workers.ws = ws
    worker = workers.start("--concurrency", "1", ffmpeg=held_renditions_ffmpeg(tmp_path))
    run = subprocess.Popen(studio_args(ws, "process", episode, "--no-transcribe", "--no-clips"), env=env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    clients.append(run)
    wait_for_file(tmp_path / "held", run, worker)
    children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True,
                              check=True).stdout.split()
    # the pool process is the child with the job's own children (ffmpeg); another child may be the embedded beat
    pool = [pid for pid in children if subprocess.run(["pgrep", "-P", pid], capture_output=True).returncode == 0]
    assert len(pool) == 1, children
    os.kill(int(pool[0]), signal.SIGKILL)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    job = next(j for j in jobs_of(ws) if j["stage"] == "renditions")
    assert job["state"] == "done" and job["attempt"] == 0 and job["worker"].endswith(f":{worker.pid}")
    assert "worker lost" not in err and (ws.episode_dir(episode) / "podcast.mp3").is_file()
