"""The job queue on a Redis broker: job records in Redis, the work done by Celery workers (celery_app).

Each job is a JSON record `studio:job:<id>`, listed newest first in the sorted
set `studio:jobs`. The stages of one episode are enqueued together as a chain:
only the first is sent to Celery, and each finished stage sends the next, so
they run in order on whichever worker is free. While a chain is unfinished its
dedupe key (`studio:dedupe:<hash of stages, episode, params>`) names it, so a
second `studio run` at the same time gets the same jobs instead of new ones.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict, replace

from ...errors import BadInput
from ...workspace.tree import Workspace
from ..job import Job, check_job, dedupe_key, failed_job, now_iso

PREFIX = "studio:"
DEDUPE_TTL_S = 7 * 24 * 3600  # a dedupe key outlives no chain by more than this, whatever happens
REDIS_RETRY_S = 120.0  # how long a job's final record is retried while Redis is down

QUEUE_OF = {"transcript": "transcribe", "clips": "clips", "clip": "clips"}  # others: "default"
QUEUES = ("default", "transcribe", "clips")
# Each stage's hard time limit as a share of Settings.job_time_limit (transcription is the longest).
TIME_SHARE = {"process": 1.0, "transcript": 1.0, "renditions": 0.5, "clips": 0.5, "clip": 0.25, "captions": 0.1,
              "publish": 0.5}


def queue_for(stage: str) -> str:
    return QUEUE_OF.get(stage, "default")


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

    def update(self, job_id: str, **changes) -> Job | None:
        job = self.get(job_id)
        if job is None:
            return None
        job = replace(job, **changes)
        self.save(job)
        return job

    def update_surely(self, job_id: str, **changes) -> Job | None:
        """update(), retried while Redis is unreachable (a worker's final word must not be lost)."""
        import redis

        deadline = time.monotonic() + REDIS_RETRY_S
        while True:
            try:
                return self.update(job_id, **changes)
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

    def release(self, job_id: str) -> None:
        """The chain `job_id` belongs to has ended: a later enqueue makes new jobs."""
        key = self.dedupe(job_id)
        if key:
            self.redis.delete(key)


class CeleryQueue:
    """The JobQueue of a workspace whose studio.toml sets broker_url."""

    def __init__(self, workspace: Workspace, broker_url: str):
        from .worker import make_app

        self.workspace = workspace
        self.records = JobRecords(broker_url)
        self.app = make_app(broker_url, workspace.settings.job_time_limit)

    def enqueue(self, stage: str, episode: str | None = None, params: dict | None = None) -> Job:
        check_job(stage, episode, params)
        return self.enqueue_stages(episode, [stage], params)[0]

    def enqueue_stages(self, episode: str | None, stages: list[str], params: dict | None = None) -> list[Job]:
        """One task per stage, run in this order; the same unfinished chain if one was enqueued already."""
        params = dict(params or {})
        for stage in stages:
            check_job(stage, episode, params)
        key = PREFIX + "dedupe:" + hashlib.sha256(dedupe_key(",".join(stages), episode, params).encode()).hexdigest()
        created = now_iso()
        jobs = [Job(id=uuid.uuid4().hex, stage=stage, episode=episode, params=params, created_at=created)
                for stage in stages]
        ids = [j.id for j in jobs]
        for _ in range(3):
            if self.records.redis.set(key, json.dumps(ids), nx=True, ex=DEDUPE_TTL_S):
                break
            raw = self.records.redis.get(key)
            existing = [self.records.get(i) for i in json.loads(raw)] if raw else []
            if existing and all(existing) and not all(j.finished for j in existing):
                return existing
            self.records.redis.delete(key)  # a chain that ended without releasing its key
        else:
            raise BadInput(f"could not enqueue {','.join(stages)} for {episode}: the broker is too busy")
        pipe = self.records.redis.pipeline()
        for index, job in enumerate(jobs):
            pipe.set(f"{PREFIX}job:{job.id}", json.dumps(asdict(job)))
            pipe.zadd(f"{PREFIX}jobs", {job.id: time.time() + index * 1e-6})
            pipe.set(f"{PREFIX}then:{job.id}", json.dumps(ids[index + 1:]))
            pipe.set(f"{PREFIX}dedupe-of:{job.id}", key, ex=DEDUPE_TTL_S)
        pipe.execute()
        send(self.app, jobs[0], self.workspace.settings.job_time_limit)
        return jobs

    def jobs(self, state: str | None = None, limit: int = 200) -> list[Job]:
        found = []
        for raw_id in self.records.redis.zrevrange(f"{PREFIX}jobs", 0, -1):
            job = self.records.get(raw_id.decode())
            if job and (state is None or job.state == state):
                found.append(job)
                if len(found) >= limit:
                    break
        return found

    def get(self, job_id: str) -> Job | None:
        return self.records.get(job_id)

    def retry(self, job_id: str) -> Job:
        job = failed_job(self.get(job_id), job_id)
        return self.enqueue(job.stage, job.episode, job.params)


def send(app, job: Job, job_time_limit: float) -> None:
    """Hand a recorded job to Celery, on its stage's queue and with its stage's time limits."""
    hard = max(10.0, TIME_SHARE.get(job.stage, 1.0) * job_time_limit)
    app.send_task("studio.run_job", args=[job.id], task_id=job.id, queue=queue_for(job.stage),
                  time_limit=hard, soft_time_limit=hard * 0.9)
