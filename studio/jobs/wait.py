"""Waiting for jobs from a client (`studio process` and `studio run` with a broker), saying what changes."""

from __future__ import annotations

import time
from collections.abc import Callable

from .job import BrokerAway, Job, JobQueue, JobsLost

NO_WORKER_HINT_S = 10.0
RECOVER_EVERY_S = 2.0  # how often a waiting client looks for jobs whose worker was lost
BROKER_RETRY_S = 2.0


def wait_for_jobs(queue: JobQueue, job_ids: list[str], say: Callable[[str], None], poll_s: float = 0.2) -> list[Job]:
    """Wait until every job has finished; `say` gets a line per change (state, worker, each tenth of progress).

    The jobs live in the queue, not here: while the broker is away this waits for it to come back (saying so
    once). A job whose worker was lost is queued again (queue.recover). Raises JobsLost when the broker
    answers but has lost some of the jobs' records (Redis restarted without its data)."""
    seen: dict[str, tuple] = {}
    hint_at = time.monotonic() + NO_WORKER_HINT_S
    recover_at = 0.0
    away = False
    while True:
        try:
            if time.monotonic() >= recover_at:
                queue.recover()
                recover_at = time.monotonic() + RECOVER_EVERY_S
            jobs = [queue.get(job_id) for job_id in job_ids]
        except BrokerAway as exc:
            if not away:
                say(f"{exc}; waiting for it")
                away = True
            time.sleep(BROKER_RETRY_S)
            continue
        if away:
            say("the broker answers again")
            away = False
        missing = [job_id for job_id, job in zip(job_ids, jobs) if job is None]
        if missing:
            raise JobsLost(missing)
        for job in jobs:
            tenths = int(job.progress * 10) if job.state == "running" and job.progress is not None else None
            now = (job.state, job.worker, tenths)
            if seen.get(job.id) != now:
                seen[job.id] = now
                where = f" on {job.worker}" if job.state == "running" and job.worker else ""
                where += f" {tenths * 10}%" if tenths is not None else ""
                where += f" ({job.error.removeprefix('retrying: ')})" if job.state == "queued" and job.error else ""
                say(f"{job.episode or 'publish'}: {job.stage} {job.state}{where}")
        if all(job.finished for job in jobs):
            return jobs
        if hint_at and time.monotonic() > hint_at:
            hint_at = 0.0
            if all(job.state == "queued" for job in jobs):
                say("no job has started yet: is a worker running (`studio worker`)?")
        time.sleep(poll_s)
