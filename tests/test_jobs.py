"""The local job queue (studio.jobs): SQLite in the workspace, run by real worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import audiogen as g
import pytest
from conftest import realtime_ffmpeg

from studio.jobs import Job, open_queue, start_local_workers
from studio.jobs.local import LocalQueue, work
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline.ingest import IngestRequest, ingest
from studio.pipeline.session import ProcessOptions, process_episode
from studio.progress import Reporter
from studio.workspace.tree import Workspace

ROOT = Path(__file__).resolve().parent.parent
QUIET = Reporter(quiet=True)


def add_episode(ws: Workspace, tmp_path: Path, name: str, seconds: float = 4.0, seed: int = 0) -> str:
    source = g.encode(g.scale_to(g.speech(seconds, seed=seed), -24.0), tmp_path / f"{name}.wav")
    return ingest(ws, find_ffmpeg(), IngestRequest(file=source, show="kpu", title=name), QUIET).episode.id


def wait_for(queue, ids: list[str], timeout: float = 120.0) -> list[Job]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [queue.get(i) for i in ids]
        if all(j.finished for j in jobs):
            return jobs
        time.sleep(0.1)
    raise TimeoutError(f"jobs not finished after {timeout} s: {[queue.get(i) for i in ids]}")


def test_enqueue_dedupes_lists_newest_first_and_checks_stages(workspace):
    queue = open_queue(workspace)
    assert isinstance(queue, LocalQueue)
    first = queue.enqueue("renditions", episode="kpu/2024-01-01-a")
    assert queue.enqueue("renditions", episode="kpu/2024-01-01-a").id == first.id  # queued: the same job
    other = queue.enqueue("renditions", episode="kpu/2024-01-01-b")
    clip = queue.enqueue("clip", episode="kpu/2024-01-01-a", params={"start": 1.0, "end": 20.0})
    assert [j.id for j in queue.jobs()] == [clip.id, other.id, first.id]
    assert queue.jobs(state="done") == [] and queue.get(first.id).state == "queued"
    assert queue.get("nope") is None
    for stage, episode in (("transcode", "kpu/x"), ("publish", "kpu/x"), ("transcript", None)):
        with pytest.raises(Exception):
            queue.enqueue(stage, episode=episode)


def test_claims_are_in_order_per_episode_and_publish_waits(workspace):
    queue = LocalQueue(workspace)
    a1, a2 = queue.enqueue_stages("kpu/a", ["renditions", "transcript"])
    b1 = queue.enqueue("renditions", "kpu/b")
    pub = queue.enqueue("publish")
    assert queue.claim("w1").id == a1.id
    assert queue.claim("w2").id == b1.id  # a2 waits for a1: same episode
    assert queue.claim("w3") is None
    queue.finish(a1.id)
    assert queue.claim("w3").id == a2.id
    queue.finish(a2.id, "kpu/a: broken", 1)
    assert queue.claim("w1") is None  # publish waits for b1
    queue.finish(b1.id)
    assert queue.claim("w1").id == pub.id
    failed = queue.get(a2.id)
    assert failed.state == "failed" and failed.error == "kpu/a: broken" and failed.worker == "w3"
    again = queue.retry(a2.id)
    assert again.id != a2.id and again.state == "queued" and again.stage == "transcript"
    with pytest.raises(Exception):
        queue.retry(b1.id)  # done, not failed


def test_a_dead_workers_job_is_queued_again(workspace):
    queue = LocalQueue(workspace)
    job = queue.enqueue("renditions", "kpu/a")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket
    queue.claim(f"{socket.gethostname()}:{dead.pid}")
    assert queue.recover() == [job.id] and queue.get(job.id).state == "queued"


@pytest.mark.workers
def test_workers_run_stages_like_the_cli(workspace, tmp_path):
    """Two worker processes run two episodes' stages (audio only): the same files as process_episode makes."""
    a = add_episode(workspace, tmp_path, "satu", seed=1)
    b = add_episode(workspace, tmp_path, "dua", seed=2)
    bad = add_episode(workspace, tmp_path, "rusak", seed=3)
    original = workspace.episode_dir(bad) / workspace.episode(bad).original
    original.write_bytes(original.read_bytes()[:44] + b"\x00garbage" * 10)  # ingested fine, now unreadable
    queue = open_queue(workspace)
    ids = [j.id for e in (bad, a, b) for j in queue.enqueue_stages(e, ["renditions", "clips"],
                                                                     {"transcribe": False})]
    workers = start_local_workers(workspace, count=2)
    try:
        jobs = wait_for(queue, ids)
    finally:
        workers.stop()
    failed = [j for j in jobs if j.state == "failed"]
    assert {j.episode for j in failed} == {bad}, failed
    assert failed[0].error.startswith(f"{bad}: ") and "\n" not in failed[0].error and failed[0].exit_code in (1, 2)
    assert all(j.state == "done" and j.worker and j.started_at <= j.finished_at for j in jobs if j.episode != bad)
    assert len({j.worker for j in jobs}) >= 1
    reference = Workspace(tmp_path / "ref")
    import shutil
    shutil.copytree(workspace.root, reference.root, ignore=shutil.ignore_patterns("podcast.mp3", "broadcast.wav",
                                                                                   "state.json", "jobs.sqlite3*"))
    process_episode(reference, find_ffmpeg(), a, QUIET, ProcessOptions(transcribe=False))
    for name in ("podcast.mp3", "broadcast.wav"):
        made, expected = g.measure(workspace.episode_dir(a) / name), g.measure(reference.episode_dir(a) / name)
        assert abs(made.integrated - expected.integrated) < 0.1
    state = json.loads((workspace.episode_dir(a) / ".studio/state.json").read_text())
    ref_state = json.loads((reference.episode_dir(a) / ".studio/state.json").read_text())
    assert state["podcast"]["key"] == ref_state["podcast"]["key"]


@pytest.mark.workers
def test_a_worker_stopped_mid_job_leaves_it_queued(workspace, tmp_path, monkeypatch):
    """Progress is written back while a job runs; SIGTERM then: the job goes back to the queue and the next
    worker finishes it."""
    a = add_episode(workspace, tmp_path, "panjang", seconds=60.0)
    queue = LocalQueue(workspace)
    job = queue.enqueue("renditions", a)
    monkeypatch.setenv("STUDIO_FFMPEG", str(realtime_ffmpeg(tmp_path)))  # the worker's render takes a minute
    workers = start_local_workers(workspace, count=1)
    monkeypatch.delenv("STUDIO_FFMPEG")  # (the worker in this process, below, renders at full speed)
    deadline = time.monotonic() + 60  # a safety net, not a claim about speed
    while not queue.get(job.id).progress and time.monotonic() < deadline:  # progress is written back
        time.sleep(0.05)
    running = queue.get(job.id)
    assert running.state == "running" and 0 < running.progress < 1, running
    workers.stop()
    assert queue.get(job.id).state == "queued"
    assert not (workspace.episode_dir(a) / "podcast.mp3").exists()
    work(workspace, once=True)  # in this process, until the queue is empty
    done = queue.get(job.id)
    assert done.state == "done", done
    assert (workspace.episode_dir(a) / "podcast.mp3").is_file()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the in-process worker gave its handlers back


def test_one_queue_shared_by_threads_and_processes_claims_each_job_once(workspace):
    """A web app's threads share one LocalQueue; workers in other processes claim: every job exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    queue = LocalQueue(workspace)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda i: queue.enqueue("renditions", f"kpu/e{i % 20}"), range(40)))
    assert len({j.id for j in made}) == 20  # the same episode's second enqueue got the first job
    others = [LocalQueue(workspace) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        claimed = list(pool.map(lambda q: [j.id for j in iter(lambda: q.claim("w"), None)], others))
    assert sorted(sum(claimed, [])) == sorted({j.id for j in made})


@pytest.mark.workers
def test_studio_worker_and_jobs_commands_on_the_local_queue(workspace, tmp_path):
    a = add_episode(workspace, tmp_path, "satu", seed=1)
    queue = LocalQueue(workspace)
    job = queue.enqueue("renditions", a)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(workspace.root), "worker",
                               "--concurrency", "2"], env=env)
    try:
        wait_for(queue, [job.id])
    finally:
        worker.terminate()
        assert worker.wait(timeout=20) == 0
    listed = subprocess.run([sys.executable, "-m", "studio", "--workspace", str(workspace.root), "jobs", "--json"],
                            env=env, capture_output=True, text=True, check=True)
    assert [(j["id"], j["state"]) for j in json.loads(listed.stdout)] == [(job.id, "done")]
    status = subprocess.run([sys.executable, "-m", "studio", "--workspace", str(workspace.root), "status"],
                            env=env, capture_output=True, text=True, check=True)
    assert a in status.stdout


def test_only_failures_of_the_machine_are_retried_on_celery_workers():
    import errno as errno_mod

    import redis

    from studio.errors import BadInput, ProcessingError, ResourceError
    from studio.jobs.celery.worker import is_transient
    from studio.workspace.state import EpisodeBusy

    assert is_transient(ResourceError("ffmpeg hung")) and is_transient(EpisodeBusy("locked"))
    assert is_transient(redis.ConnectionError("away")) and is_transient(OSError(errno_mod.EIO, "I/O error"))
    assert not is_transient(BadInput("not audio")) and not is_transient(ProcessingError("ffmpeg failed"))
    assert not is_transient(ValueError("a bug"))


@pytest.mark.workers
def test_local_workers_end_when_the_process_that_started_them_dies(workspace):
    """A web app killed with SIGKILL leaves no worker processes behind."""
    code = ("import sys, time; from studio.jobs import start_local_workers; from studio.workspace.tree import Workspace; "
            "w = start_local_workers(Workspace(sys.argv[1]), 2); print(' '.join(str(p.pid) for p in w.processes), "
            "flush=True); time.sleep(60)")
    app = subprocess.Popen([sys.executable, "-c", code, str(workspace.root)], stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    pids = [int(p) for p in app.stdout.readline().split()]
    app.kill()
    app.wait()
    deadline = time.monotonic() + 20

    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # a zombie has exited
        except FileNotFoundError:
            return False

    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert time.monotonic() < deadline, "workers outlived their parent"
