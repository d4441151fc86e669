"""Waiting for jobs from a client (`studio process` and `studio run` with a broker), saying what changes."""

from __future__ import annotations

import time
from typing import Callable

from .job import Job, JobQueue

NO_WORKER_HINT_S = 10.0


def wait_for_jobs(queue: JobQueue, job_ids: list[str], say: Callable[[str], None], poll_s: float = 0.2) -> list[Job]:
    """Wait until every job has finished; `say` gets a line per change (state, worker, each tenth of progress).

    The jobs live in the queue, not here: while the broker is away this waits for it to come back."""
    try:
        from redis import ConnectionError as BrokerAway
    except ImportError:  # pragma: no cover - redis comes with celery[redis]
        BrokerAway = ConnectionError
    seen: dict[str, tuple] = {}
    hint_at = time.monotonic() + NO_WORKER_HINT_S
    while True:
        try:
            jobs = [queue.get(job_id) for job_id in job_ids]
        except BrokerAway:
            say("broker unreachable; waiting for it")
            time.sleep(2.0)
            continue
        for job in jobs:
            if job is None:
                continue
            tenths = int(job.progress * 10) if job.state == "running" and job.progress is not None else None
            now = (job.state, job.worker, tenths)
            if seen.get(job.id) != now:
                seen[job.id] = now
                where = f" on {job.worker}" if job.state == "running" and job.worker else ""
                where += f" {tenths * 10}%" if tenths is not None else ""
                say(f"{job.episode or 'publish'}: {job.stage} {job.state}{where}")
        if all(job is not None and job.finished for job in jobs):
            return jobs
        if hint_at and time.monotonic() > hint_at:
            hint_at = 0.0
            if all(job is not None and job.state == "queued" for job in jobs):
                say("no job has started yet: is a worker running (`studio worker`)?")
        time.sleep(poll_s)
