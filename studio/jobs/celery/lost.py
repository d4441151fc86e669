"""Workers' heartbeats in Redis, and the jobs of a worker no longer heard from given to another one.

Each `studio worker` (a thread of its main process, so a busy pool process does not matter) sets
`studio:worker:<host:pid>` every few seconds, with worker_lost_after (studio.toml) as its time to live, and a
job it takes names it. A taken job whose worker's key has expired was lost with its worker (a machine that
died, the whole worker SIGKILLed): whoever notices first (another worker, `studio jobs`, a `process` waiting
on it, a new `process` of its episode) queues it again at once as its next attempt, whatever Celery's
visibility timeout. The lost worker's message, delivered again by Redis hours later, names an older
attempt and is dropped. A job lost MAX_LOST times fails as "worker lost" (`studio jobs --retry` queues it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, replace

from ..job import Job, now_iso
from .records import PREFIX, TAKEN, JobRecords

WORKER = PREFIX + "worker:"  # + host:pid of a worker's main process: set while it is alive
MAX_LOST = 3
WORKER_LOST = "worker lost"  # in the record's error of a job queued again (or failed) after its worker was lost


def beat_every(lost_after: float) -> float:
    """How often a worker sets its key: well within the time it lives."""
    return max(0.2, min(5.0, lost_after / 4))


def beat(records: JobRecords, name: str, lost_after: float) -> None:
    """Say that worker `name` is alive, for the next `lost_after` seconds."""
    records.redis.set(WORKER + name, now_iso(), px=max(1, int(lost_after * 1000)))


def forget(records: JobRecords, name: str) -> None:
    """Worker `name` stops (its jobs have ended)."""
    records.redis.delete(WORKER + name)


def recover_lost(records: JobRecords, send: Callable[[Job], None], lost_after: float,
                 only: list[str] | None = None) -> list[Job]:
    """Queue again (or fail) each taken job (of `only`, if given) whose worker has not been heard from for
    `lost_after` seconds; `send` hands a job queued again to Celery. Returns the jobs changed."""
    redis = records.redis
    if _uptime(records) < lost_after:
        return []  # Redis has just started: its workers have not had the time to say they are alive
    ids = only if only is not None else [raw.decode() for raw in redis.smembers(TAKEN)]
    changed = []
    for job_id in ids:
        job = records.get(job_id)
        if job is None or job.finished:
            if only is None:
                redis.srem(TAKEN, job_id)
            continue
        if not job.worker or redis.exists(WORKER + job.worker):
            continue
        again = _requeue(records, job, lost_after)
        if again is None:
            continue  # someone else noticed first, or the job moved on
        if again.finished:
            records.end_chain(again, again.exit_code)
        else:
            send(again)
        changed.append(again)
    return changed


def _uptime(records: JobRecords) -> float:
    """Seconds since Redis started (infinity where INFO is refused, as on some managed Redis)."""
    import redis as redis_mod

    try:
        return float(records.redis.info("server").get("uptime_in_seconds", 0))
    except redis_mod.ResponseError:
        return float("inf")


def _requeue(records: JobRecords, job: Job, lost_after: float) -> Job | None:
    """The job's next attempt, queued (or failed after MAX_LOST losses), if its record is still what was read:
    of the noticers at once, one wins."""
    import redis as redis_mod

    key = f"{PREFIX}job:{job.id}"
    note = f"{job.episode or 'publish'}: {job.stage}: {WORKER_LOST} ({job.worker} not heard from for {lost_after:g} s)"
    with records.redis.pipeline() as pipe:
        try:
            pipe.watch(key)
            raw = pipe.get(key)
            current = Job(**json.loads(raw)) if raw else None
            if current is None or current.finished or (current.worker, current.attempt) != (job.worker, job.attempt):
                return None
            attempt = current.attempt + 1
            if attempt >= MAX_LOST:
                again = replace(current, state="failed", error=note, exit_code=1, finished_at=now_iso(),
                                progress=None, attempt=attempt)
            else:
                again = replace(current, state="queued", worker="", started_at="", progress=None,
                                error=f"retrying: {note}", attempt=attempt)
            pipe.multi()
            pipe.set(key, json.dumps(asdict(again)))
            pipe.srem(TAKEN, job.id)
            pipe.execute()
        except redis_mod.WatchError:
            return None
    return again
