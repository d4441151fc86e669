"""The local job queue: a SQLite file in the workspace, run by worker processes on this machine.

No server: the web app (or `studio worker` without a broker) starts worker
processes that take jobs from `.studio/jobs.sqlite3`. A job is claimed by one
UPDATE (SQLite's write lock makes it atomic), in order: a job waits while an
earlier job of the same episode is queued or running, and a publish waits for
every earlier job. A worker that dies leaves its job "running"; the next
worker on this host to look puts it back in the queue.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from ..errors import explain
from ..workspace import Workspace
from ..workspace.layout import JOBS_FILE
from .job import Job, check_job, dedupe_key, failed_job, now_iso, threads_per_worker

log = logging.getLogger(__name__)

POLL_S = 0.1  # how often an idle worker looks for a job
RECOVER_EVERY_S = 5.0  # how often a worker looks for jobs of dead workers
WATCH_LOOK_S = 1.0  # how often a worker looks whether a scan of the watch folders is due (jobs.watch)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    stage TEXT NOT NULL,
    episode TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued',
    worker TEXT NOT NULL DEFAULT '',
    progress REAL,
    error TEXT NOT NULL DEFAULT '',
    exit_code INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL DEFAULT '',
    finished_at TEXT NOT NULL DEFAULT '',
    dedupe TEXT NOT NULL,
    result TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq);
"""

# The first queued job with no earlier unfinished job of its episode (a publish: of any episode).
CLAIM = """
UPDATE jobs SET state = 'running', worker = ?, started_at = ?, progress = NULL
WHERE seq = (
    SELECT j.seq FROM jobs j WHERE j.state = 'queued' AND NOT EXISTS (
        SELECT 1 FROM jobs e WHERE e.seq < j.seq AND e.state IN ('queued', 'running')
        AND (e.episode = j.episode OR j.episode IS NULL OR e.episode IS NULL))
    ORDER BY j.seq LIMIT 1)
RETURNING *
"""


def _job(row: sqlite3.Row) -> Job:
    return Job(id=row["id"], stage=row["stage"], episode=row["episode"], params=json.loads(row["params"]),
               state=row["state"], worker=row["worker"], progress=row["progress"], error=row["error"],
               created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"],
               exit_code=row["exit_code"], result=json.loads(row["result"]))


class LocalQueue:
    """The job queue in a workspace's SQLite file (WAL mode: readers never wait for the workers)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.path = workspace.root / JOBS_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")}
        if "result" not in columns:  # a queue made by an older Studio
            self._db.execute("ALTER TABLE jobs ADD COLUMN result TEXT NOT NULL DEFAULT '{}'")
        self._lock = threading.Lock()  # one connection, shared by a web app's threads: one transaction at a time

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "LocalQueue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the interface shared with the Celery queue ------------------------
    def enqueue(self, stage: str, episode: str | None = None, params: dict | None = None) -> Job:
        params = check_job(stage, episode, params)
        key = dedupe_key(stage, episode, params)
        with self._transaction():
            row = self._db.execute("SELECT * FROM jobs WHERE dedupe = ? AND state IN ('queued', 'running') "
                                   "ORDER BY seq LIMIT 1", (key,)).fetchone()
            if row:
                return _job(row)
            row = self._db.execute(
                "INSERT INTO jobs (id, stage, episode, params, created_at, dedupe) VALUES (?, ?, ?, ?, ?, ?) "
                "RETURNING *", (uuid.uuid4().hex, stage, episode, json.dumps(params), now_iso(), key)).fetchone()
            return _job(row)

    def enqueue_stages(self, episode: str, stages: list[str], params: dict | None = None) -> list[Job]:
        """One job per stage; they run in this order (a job waits for the episode's earlier ones)."""
        return [self.enqueue(stage, episode, params) for stage in stages]

    def jobs(self, state: str | None = None, limit: int = 200) -> list[Job]:
        if state:
            rows = self._query("SELECT * FROM jobs WHERE state = ? ORDER BY seq DESC LIMIT ?", (state, limit))
        else:
            rows = self._query("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,))
        return [_job(r) for r in rows]

    def get(self, job_id: str) -> Job | None:
        rows = self._query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def retry(self, job_id: str) -> Job:
        job = failed_job(self.get(job_id), job_id)
        return self.enqueue(job.stage, job.episode, job.params)

    # -- what workers do ---------------------------------------------------
    def claim(self, worker: str) -> Job | None:
        with self._transaction():
            row = self._db.execute(CLAIM, (worker, now_iso())).fetchone()
        return _job(row) if row else None

    def set_progress(self, job_id: str, progress: float) -> None:
        self._query("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'running'", (progress, job_id))

    def finish(self, job_id: str, error: str = "", exit_code: int = 0, result: dict | None = None) -> None:
        self._query("UPDATE jobs SET state = ?, error = ?, exit_code = ?, finished_at = ?, progress = ?, result = ? "
                    "WHERE id = ?", ("failed" if error else "done", error, exit_code, now_iso(),
                                     None if error else 1.0, json.dumps(result or {}), job_id))

    def requeue(self, job_id: str) -> None:
        """Put a job whose worker stopped before finishing it back in the queue, in its place."""
        self._query("UPDATE jobs SET state = 'queued', worker = '', started_at = '', progress = NULL "
                         "WHERE id = ? AND state = 'running'", (job_id,))

    def recover(self) -> list[str]:
        """Requeue the running jobs of workers on this host that are gone; returns their ids."""
        host = socket.gethostname()
        lost = []
        for row in self._query("SELECT id, worker FROM jobs WHERE state = 'running'"):
            name, _, pid = row["worker"].rpartition(":")
            if name == host and pid.isdigit() and not _alive(int(pid)):
                self.requeue(row["id"])
                lost.append(row["id"])
        return lost

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _transaction(self):
        return _Immediate(self._db, self._lock)


class _Immediate:
    """BEGIN IMMEDIATE ... COMMIT: takes the write lock at once, so a read-then-write is atomic."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock):
        self.db, self.lock = db, lock

    def __enter__(self):
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, kind, value, tb):
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.lock.release()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def failure_line(job: Job, exc: BaseException, workspace: Workspace) -> tuple[str, int]:
    """The one line (and exit code) the CLI prints for a failed job: it starts with its episode."""
    message, code = explain(exc, workspace.episode_dir(job.episode) if job.episode else workspace.root)
    if job.episode and job.stage != "ingest" and not message.startswith(job.episode):  # an ingest's file says it
        message = f"{job.episode}: {message}"
    return message, code


def run_job(queue: LocalQueue, job: Job, models=None) -> Job:
    """Run a claimed job in this process and record how it ended (a failure as its one line); a job whose
    result names a next stage (an ingest's processing) enqueues it."""
    from .runner import run_stage

    workspace = queue.workspace
    try:
        result = run_stage(workspace, job.stage, job.episode, job.params,
                           progress=lambda share: queue.set_progress(job.id, share), models=models)
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, the worker goes on
        queue.finish(job.id, *failure_line(job, exc, workspace))
    else:
        queue.finish(job.id, result=result)
        if result.get("next"):
            queue.enqueue(result["next"], episode=result["episode"])
    return queue.get(job.id)


def work(workspace: Workspace, once: bool = False, parent: int | None = None, threads: int | None = None) -> None:
    """Take jobs from the local queue and run them until SIGTERM/SIGINT (or, with `once`, until it is empty).

    With `parent` (the pid of the web app that started it), stop when idle and that process is gone: a
    killed web app leaves no workers behind. `threads`: the model's CPU threads (None: one per core)."""
    from ..pipeline import ModelCache
    from .runner import worker_name

    queue = LocalQueue(workspace)
    name = worker_name()
    models = ModelCache(threads)
    stopping = []

    def stop(signum, frame):
        if stopping:
            return
        stopping.append(signum)
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    last_recover = last_watch = 0.0
    current = None
    try:
        while True:
            if time.monotonic() - last_recover >= RECOVER_EVERY_S:
                queue.recover()
                last_recover = time.monotonic()
            if not once and time.monotonic() - last_watch >= WATCH_LOOK_S:
                last_watch = time.monotonic()
                _watch_tick(workspace)
            current = queue.claim(name)
            if current is None:
                if once or (parent is not None and os.getppid() != parent):
                    return
                time.sleep(POLL_S)
                continue
            run_job(queue, current, models)
            current = None
    finally:
        if current is not None:  # stopped in the middle of a job: it runs again later, from its start
            queue.requeue(current.id)
        queue.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch_tick(workspace: Workspace) -> None:
    """Scan the shows' watch folders when a scan is due (jobs.watch); a failure is logged, the worker goes on."""
    from .watch import tick

    try:
        tick(workspace, say=log.warning)
    except Exception as exc:  # noqa: BLE001 - a folder's fault must not stop the jobs
        log.warning("watch folders: %s", explain(exc)[0])


class LocalWorkers:
    """Worker processes started by start_local_workers; stop() ends them (a job cut short is requeued)."""

    def __init__(self, processes: list[subprocess.Popen]):
        self.processes = processes

    def stop(self, timeout: float = 10.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_local_workers(workspace: Workspace, count: int = 1, threads: int | None = None) -> LocalWorkers:
    """Start `count` background worker processes on the workspace's local queue, each running its model
    with `threads` CPU threads (None: its share of the cores)."""
    LocalQueue(workspace).close()  # create the file before the workers race to
    root = str(Path(__file__).resolve().parents[2])  # where this studio package is, for the children
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-c", "from studio.jobs.local import main; main()", str(workspace.root),
               str(os.getpid()), str(threads or threads_per_worker(count))]
    return LocalWorkers([subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL) for _ in range(count)])


def run_workers(workspace: Workspace, count: int = 1, threads: int | None = None) -> None:
    """`studio worker` without a broker: `count` workers on the local queue until SIGTERM or Ctrl-C."""
    if count == 1:
        work(workspace, threads=threads)
        return
    workers = start_local_workers(workspace, count, threads)

    def stop(signum, frame):
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for process in workers.processes:
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        workers.stop()
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    """Entry of a worker process started by start_local_workers: `python -c ... WORKSPACE PARENT_PID THREADS`."""
    work(Workspace(Path(sys.argv[1])), parent=int(sys.argv[2]), threads=int(sys.argv[3]))
