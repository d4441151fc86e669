"""Job records in Redis, shared by the queue (clients) and the workers.

Each job is a JSON record `studio:job:<id>`, listed newest first in the sorted set `studio:jobs`; a
chain's later stages are `studio:then:<id>`; an unfinished chain's dedupe key names its jobs. The jobs a
worker has taken (received or running) are the set `studio:taken`, each naming its worker in its record.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace

from ..job import Job, now_iso

PREFIX = "studio:"
TAKEN = PREFIX + "taken"  # ids of the jobs a worker has taken and not finished
DEDUPE_TTL_S = 7 * 24 * 3600  # a dedupe key outlives no chain by more than this, whatever happens
REDIS_RETRY_S = 120.0  # how long a job's final record is retried while Redis is down
# Delete KEYS[1] only while it still holds ARGV[1]: a key another client has just replaced stays.
DELETE_IF_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class JobRecords:
    """Job records in Redis, shared by the queue (clients) and the workers."""

    def __init__(self, broker_url: str):
        import redis

        self.redis = redis.Redis.from_url(broker_url, socket_timeout=10, socket_connect_timeout=5)

    def save(self, job: Job) -> None:
        self.redis.set(f"{PREFIX}job:{job.id}", json.dumps(asdict(job)))

    def get(self, job_id: str) -> Job | None:
        raw = self.redis.get(f"{PREFIX}job:{job_id}")
        return Job(**json.loads(raw)) if raw else None

    def update(self, job_id: str, attempt: int | None = None, **changes) -> Job | None:
        """Change a job's record; with `attempt`, only while the record is still that attempt (a job given to
        another worker after its own was lost is no longer this worker's to change). None: no change made."""
        job = self.get(job_id)
        if job is None or (attempt is not None and job.attempt != attempt):
            return None
        job = replace(job, **changes)
        pipe = self.redis.pipeline()
        pipe.set(f"{PREFIX}job:{job.id}", json.dumps(asdict(job)))
        if job.finished:
            pipe.srem(TAKEN, job.id)
        elif job.worker:
            pipe.sadd(TAKEN, job.id)
        pipe.execute()
        return job

    def update_surely(self, job_id: str, attempt: int | None = None, **changes) -> Job | None:
        """update(), retried while Redis is unreachable (a worker's final word must not be lost)."""
        import redis

        deadline = time.monotonic() + REDIS_RETRY_S
        while True:
            try:
                return self.update(job_id, attempt, **changes)
            except redis.ConnectionError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)

    def chain(self, job_id: str) -> list[str]:
        """The ids of the jobs that run after `job_id`, in order."""
        raw = self.redis.get(f"{PREFIX}then:{job_id}")
        return json.loads(raw) if raw else []

    def dedupe(self, job_id: str) -> str | None:
        raw = self.redis.get(f"{PREFIX}dedupe-of:{job_id}")
        return raw.decode() if raw else None

    def delete_if(self, key: str, value: bytes) -> None:
        """Delete `key` if it still holds `value` (one step on the server, so no other client slips between)."""
        self.redis.eval(DELETE_IF_SCRIPT, 1, key, value)

    def release(self, job_id: str) -> None:
        """The chain `job_id` belongs to has ended: a later enqueue makes new jobs."""
        key = self.dedupe(job_id)
        raw = self.redis.get(key) if key else None
        if raw and job_id in json.loads(raw):  # still this chain's key, not a newer chain's
            self.delete_if(key, raw)

    def fail(self, job: Job, message: str, code: int, attempt: int | None = None) -> None:
        """Record the failure; the chain's later stages will not run, and say so."""
        if self.update_surely(job.id, attempt, state="failed", error=message, exit_code=code,
                              finished_at=now_iso()) is not None:
            self.end_chain(job, code)

    def end_chain(self, job: Job, code: int) -> None:
        """`job` failed: its chain's later stages fail without running, and the chain ends."""
        for later in self.chain(job.id):
            self.update_surely(later, state="failed", error=f"{job.episode}: not run: {job.stage} failed",
                               exit_code=code, finished_at=now_iso())
        self.release(job.id)
