"""`studio worker` with a broker: the Celery app's one task, and the worker that runs it.

The task runs one recorded job (celery.records) with run_stage, the functions
the CLI runs. Bad input and processing failures are final; a failure of the
machine (a hung ffmpeg, a full disk, the episode busy elsewhere, Redis away)
is retried with backoff.
"""

from __future__ import annotations

import os
import socket

from ...errors import BadInput, ProcessingError, ResourceError
from ...workspace.state import EpisodeBusy
from ...workspace.tree import Workspace
from ..job import now_iso, threads_per_worker
from .app import QUEUES, TASK, make_app, send
from .queue import CeleryQueue
from .records import JobRecords

MAX_RETRIES = 3
RETRY_BACKOFF_S = 10  # then 20, 40
EPISODE_WAIT_S = 60.0  # a stage waits this long for an episode another process holds, then is retried


def is_transient(exc: BaseException) -> bool:
    """A failure of the machine, not of the input: worth another try later."""
    import redis

    if isinstance(exc, (ResourceError, EpisodeBusy, redis.ConnectionError, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, (BadInput, ProcessingError)):
        return False
    return isinstance(exc, OSError)


def _register(app, workspace: Workspace, broker_url: str, job_time_limit: float, cpu_threads: int | None) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    from ...pipeline import ModelCache
    from ..local import failure_line
    from ..runner import run_stage

    records = JobRecords(broker_url)
    models = ModelCache(cpu_threads)  # each worker process keeps its Whisper model from one task to the next

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def run_job(task, job_id: str) -> None:
        job = records.get(job_id)
        if job is None:
            return
        if job.state == "done":  # delivered again after it finished: at most its next stage is still to send
            _send_next(app, records, job_id, job_time_limit)
            return
        worker = f"{socket.gethostname()}:{os.getpid()}"
        records.update_surely(job_id, state="running", worker=worker, started_at=now_iso(), progress=None)

        def progress(share: float) -> None:
            try:
                records.update(job_id, progress=share)
            except Exception:  # noqa: BLE001 - progress is a courtesy; Redis away must not fail the job
                pass

        params = {"wait": EPISODE_WAIT_S, **job.params}
        try:
            result = run_stage(workspace, job.stage, job.episode, params, progress=progress, models=models)
        except SoftTimeLimitExceeded:
            _fail(records, job, f"{job.episode or 'publish'}: {job.stage} stopped after its time limit", 1)
            return
        except Exception as exc:  # noqa: BLE001 - recorded as the job's one-line reason
            message, code = failure_line(job, exc, workspace)
            if is_transient(exc) and task.request.retries < MAX_RETRIES:
                records.update_surely(job_id, state="queued", error=f"retrying: {message}", progress=None)
                raise task.retry(countdown=RETRY_BACKOFF_S * 2 ** task.request.retries, max_retries=MAX_RETRIES)
            _fail(records, job, message, code)
            return
        records.update_surely(job_id, state="done", finished_at=now_iso(), progress=1.0, error="", result=result)
        _send_next(app, records, job_id, job_time_limit)
        if result.get("next"):  # an ingest's processing
            CeleryQueue(workspace, broker_url).enqueue(result["next"], result["episode"])


def _send_next(app, records: JobRecords, job_id: str, job_time_limit: float) -> None:
    """Send the chain's next stage (if it has not started yet), or end the chain."""
    following = records.chain(job_id)
    if not following:
        records.release(job_id)
        return
    after = records.get(following[0])
    if after is not None and after.state == "queued" and not after.started_at:
        send(app, after, job_time_limit)


def _fail(records: JobRecords, job, message: str, code: int) -> None:
    """Record the failure; the chain's later stages will not run, and say so."""
    records.update_surely(job.id, state="failed", error=message, exit_code=code, finished_at=now_iso())
    for later in records.chain(job.id):
        records.update_surely(later, state="failed", error=f"{job.episode}: not run: {job.stage} failed",
                              exit_code=code, finished_at=now_iso())
    records.release(job.id)


def run_worker(workspace: Workspace, concurrency: int = 1, queues: list[str] | None = None,
               loglevel: str = "INFO", threads: int | None = None) -> None:
    """Run a Celery worker for `workspace` in this process until it is stopped (`studio worker`);
    each of its `concurrency` processes runs its model with `threads` threads (None: its share of the cores)."""
    settings = workspace.settings
    queues = list(queues or QUEUES)
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise BadInput(f"unknown queue(s) {', '.join(unknown)} (queues: {', '.join(QUEUES)})")
    app = make_app(settings.broker_url, settings.job_time_limit)
    _register(app, workspace, settings.broker_url, settings.job_time_limit, threads or threads_per_worker(concurrency))
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
                     f"--hostname=studio-{os.getpid()}@{socket.gethostname()}", f"--loglevel={loglevel}",
                     "--without-gossip", "--without-mingle"])
