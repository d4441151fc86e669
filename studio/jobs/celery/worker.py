"""`studio worker` with a broker: the Celery app's one task, and the worker that runs it.

The task runs one recorded job (celery.records) with run_stage, the functions
the CLI runs. Bad input and processing failures are final; a failure of the
machine (a hung ffmpeg, a full disk, the episode busy elsewhere, Redis away)
is retried with backoff. The worker's main process beats (celery.lost) and
queues again the jobs of workers no longer heard from.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from ...errors import BadInput, ProcessingError, ResourceError
from ...workspace.state import EpisodeBusy
from ...workspace.tree import Workspace
from ..job import now_iso, threads_per_worker
from . import recording, release, watching
from .app import DEFAULT_QUEUES, QUEUES, TASK, make_app, send
from .lost import beat, beat_every, forget
from .queue import CeleryQueue
from .records import JobRecords

log = logging.getLogger(__name__)

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


def _register(app, workspace: Workspace, worker: str, cpu_threads: int | None) -> None:
    """The task, run in the pool's processes; `worker` (host:pid of the main process) names who took a job."""
    from celery import signals
    from celery.exceptions import SoftTimeLimitExceeded

    from ...pipeline import ModelCache
    from ..local import failure_line
    from ..runner import run_stage

    settings = workspace.settings
    broker_url, job_time_limit, lost_after = settings.broker_url, settings.job_time_limit, settings.worker_lost_after
    records = JobRecords(broker_url)
    models = ModelCache(cpu_threads)  # each worker process keeps its Whisper model from one task to the next

    @signals.task_received.connect(weak=False)
    def taken(request, **_) -> None:
        """In the main process, as a message arrives (also one held back for a retry's countdown): the job
        names this worker, so that it is queued again if this whole worker dies."""
        if request.name != TASK:
            return
        try:
            attempt = int((request.kwargs or {}).get("attempt", 0))
            job = records.get(request.id)
            if job is not None and not job.finished and job.attempt == attempt:
                beat(records, worker, lost_after)
                records.update(request.id, attempt, worker=worker)
        except Exception as exc:  # noqa: BLE001 - the task itself says what is wrong when it runs
            log.warning("could not record job %s as taken: %s", request.id, exc)

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def run_job(task, job_id: str, attempt: int = 0) -> None:
        job = records.get(job_id)
        if job is None or job.attempt != attempt:  # gone, or an attempt given up when its worker was lost
            return
        if job.state == "done":  # delivered again after it finished: at most its next stage is still to send
            _send_next(app, records, job_id, job_time_limit)
            return
        beat(records, worker, lost_after)
        if records.update_surely(job_id, attempt, state="running", worker=worker, started_at=now_iso(),
                                 progress=None) is None:
            return

        def progress(share: float) -> None:
            try:
                records.update(job_id, attempt, progress=share)
            except Exception as exc:  # noqa: BLE001 - progress is a courtesy; Redis away must not fail the job
                log.debug("progress of %s not recorded: %s", job_id, exc)

        params = {"wait": EPISODE_WAIT_S, **job.params}
        try:
            result = run_stage(workspace, job.stage, job.episode, params, progress=progress, models=models)
        except SoftTimeLimitExceeded:
            records.fail(job, f"{job.episode or 'publish'}: {job.stage} stopped after its time limit", 1, attempt)
            return
        except Exception as exc:  # noqa: BLE001 - recorded as the job's one-line reason
            message, code = failure_line(job, exc, workspace)
            if is_transient(exc) and task.request.retries < MAX_RETRIES:
                records.update_surely(job_id, attempt, state="queued", error=f"retrying: {message}", progress=None)
                raise task.retry(countdown=RETRY_BACKOFF_S * 2 ** task.request.retries, max_retries=MAX_RETRIES)
            records.fail(job, message, code, attempt)
            return
        if records.update_surely(job_id, attempt, state="done", finished_at=now_iso(), progress=1.0, error="",
                                 result=result) is None:
            return  # given to another worker meanwhile: its attempt sends the next stage
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


def run_worker(workspace: Workspace, concurrency: int = 1, queues: list[str] | None = None,
               loglevel: str = "INFO", threads: int | None = None) -> None:
    """Run a Celery worker for `workspace` in this process until it is stopped (`studio worker`);
    each of its `concurrency` processes runs its model with `threads` threads (None: its share of the cores)."""
    settings = workspace.settings
    queues = list(queues or DEFAULT_QUEUES)
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise BadInput(f"unknown queue(s) {', '.join(unknown)} (queues: {', '.join(QUEUES)})")
    app = make_app(settings.broker_url, settings.job_time_limit)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    _register(app, workspace, worker, threads or threads_per_worker(concurrency))
    beat, schedule = [], {}
    if release.QUEUE in queues:  # Celery beat in this worker: scheduled publishing (celery.release)
        release.register(app, workspace)
        schedule.update(release.beat_schedule())
    if recording.QUEUE in queues:  # Celery beat in this worker: the shows' recordings (celery.recording)
        recording.register(app, workspace)
        schedule.update(recording.beat_schedule())
    elif any(show.recordings for show in workspace.shows().values()):
        log.warning("the shows name recordings: a worker with --queues record (or `studio recorder`) records them")
    watching.register(app, workspace)  # any worker may take a tick another one's beat sent
    if watching.QUEUE in queues and any(show.watch_folder for show in workspace.shows().values()):
        schedule.update(watching.beat_schedule(settings.watch_interval))  # the watch folders (jobs.watch)
    if schedule:
        app.conf.beat_schedule = schedule
        beat = ["--beat", "--scheduler=celery.beat:Scheduler"]  # kept in memory: a missed start is the log's
    heartbeat = Heartbeat(CeleryQueue(workspace, settings.broker_url), worker)
    heartbeat.start()
    try:
        app.worker_main(["worker", f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
                         f"--hostname=studio-{os.getpid()}@{socket.gethostname()}", f"--loglevel={loglevel}",
                         "--without-gossip", "--without-mingle", *beat])
    finally:
        heartbeat.stop()


class Heartbeat:
    """A thread of the worker's main process: says every few seconds that the worker is alive, and queues
    again the jobs of workers that have not said so for worker_lost_after seconds (celery.lost)."""

    def __init__(self, queue: CeleryQueue, worker: str):
        self.queue, self.worker = queue, worker  # a queue (Redis and Celery clients) of the thread's own
        self.lost_after = queue.workspace.settings.worker_lost_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="studio-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        try:
            forget(self.queue.records, self.worker)
        except Exception as exc:  # noqa: BLE001 - Redis away: the key expires by itself
            log.debug("heartbeat key left to expire: %s", exc)

    def _run(self) -> None:
        every = beat_every(self.lost_after)
        while True:
            try:
                beat(self.queue.records, self.worker, self.lost_after)
                for job in self.queue.recover():
                    log.warning("%s", job.error.removeprefix("retrying: "))
            except Exception as exc:  # noqa: BLE001 - Redis away: Celery says so; beat again when it is back
                log.debug("heartbeat: %s", exc)
            if self._stop.wait(every):
                return
