"""The job queue on a Redis broker: job records in Redis (celery.records), the work done by Celery workers
(celery.worker).

The stages of one episode are enqueued together as a chain: only the first is sent to Celery, and each
finished stage sends the next, so they run in order on whichever worker is free. While a chain is
unfinished its dedupe key (`studio:dedupe:<hash of stages, episode, params>`) names it, so a second
`studio run` at the same time gets the same jobs instead of new ones. A job whose worker was lost (celery.lost)
is queued again by whoever notices: a new `process` of its episode then waits on a live chain.

Redis unreachable: each call raises BrokerAway, one line naming the broker.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from urllib.parse import urlsplit

from ...errors import BadInput
from ...workspace import Workspace
from ..job import BrokerAway, Job, check_job, dedupe_key, failed_job, now_iso
from .app import make_app, send
from .lost import WORKER_LOST, recover_lost
from .records import DEDUPE_TTL_S, PREFIX, JobRecords


def broker_name(broker_url: str) -> str:
    """host:port of the broker, never its password."""
    parts = urlsplit(broker_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


@contextlib.contextmanager
def broker_errors(broker_url: str) -> Iterator[None]:
    """Redis (or Celery's connection to it) not answering becomes BrokerAway."""
    import redis
    from kombu.exceptions import OperationalError

    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
        raise BrokerAway(f"the broker (Redis at {broker_name(broker_url)}) does not answer: start it, or check "
                         "broker_url in studio.toml") from exc


def _broker(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with broker_errors(self.broker_url):
            return method(self, *args, **kwargs)
    return wrapper


class CeleryQueue:
    """The JobQueue of a workspace whose studio.toml sets broker_url."""

    def __init__(self, workspace: Workspace, broker_url: str):
        self.workspace = workspace
        self.broker_url = broker_url
        self.records = JobRecords(broker_url)
        self.app = make_app(broker_url, workspace.settings.job_time_limit)

    @_broker
    def enqueue(self, stage: str, episode: str | None = None, params: dict | None = None) -> Job:
        check_job(stage, episode, params)
        return self.enqueue_stages(episode, [stage], params)[0]

    @_broker
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
        redis = self.records.redis
        # The records are written before the key names them, so a client that finds the key finds its jobs.
        redis.mset({f"{PREFIX}job:{job.id}": json.dumps(asdict(job)) for job in jobs})
        for _ in range(3):
            if redis.set(key, json.dumps(ids), nx=True, ex=DEDUPE_TTL_S):
                self._list(jobs, key)
                self._send(jobs[0])
                return jobs
            raw = redis.get(key)
            existing = self._live([self.records.get(i) for i in json.loads(raw)]) if raw else []
            if existing and all(existing) and not all(j.finished for j in existing):
                redis.delete(*(f"{PREFIX}job:{i}" for i in ids))  # ours were never listed
                return existing
            if raw:
                self.records.delete_if(key, raw)  # a chain that ended without releasing its key
        redis.delete(*(f"{PREFIX}job:{i}" for i in ids))
        raise BadInput(f"could not enqueue {','.join(stages)} for {episode}: the broker is too busy")

    def _list(self, jobs: list[Job], key: str) -> None:
        """Make a claimed chain's jobs visible: in the job list, each knowing the stages after it and its key."""
        ids = [j.id for j in jobs]
        pipe = self.records.redis.pipeline()
        for index, job in enumerate(jobs):
            pipe.zadd(f"{PREFIX}jobs", {job.id: time.time() + index * 1e-6})
            pipe.set(f"{PREFIX}then:{job.id}", json.dumps(ids[index + 1:]))
            pipe.set(f"{PREFIX}dedupe-of:{job.id}", key, ex=DEDUPE_TTL_S)
        pipe.execute()

    def _live(self, jobs: list[Job | None]) -> list[Job | None]:
        """`jobs` after those whose worker was lost are queued again (or failed): a chain to wait on, or not."""
        if any(job is not None and job.worker and not job.finished for job in jobs):
            recover_lost(self.records, self._send, self.workspace.settings.worker_lost_after,
                         [job.id for job in jobs if job is not None])
            return [self.records.get(job.id) if job is not None else None for job in jobs]
        return jobs

    def _send(self, job: Job) -> None:
        send(self.app, job, self.workspace.settings.job_time_limit)

    @_broker
    def recover(self) -> list[Job]:
        """Queue again (or fail) the jobs of workers lost (not heard from for worker_lost_after seconds)."""
        return recover_lost(self.records, self._send, self.workspace.settings.worker_lost_after)

    @_broker
    def jobs(self, state: str | None = None, limit: int = 200) -> list[Job]:
        found = []
        for raw_id in self.records.redis.zrevrange(f"{PREFIX}jobs", 0, -1):
            job = self.records.get(raw_id.decode())
            if job and (state is None or job.state == state):
                found.append(job)
                if len(found) >= limit:
                    break
        return found

    @_broker
    def get(self, job_id: str) -> Job | None:
        return self.records.get(job_id)

    @_broker
    def retry(self, job_id: str) -> Job:
        """A failed job queued again; a job whose worker was lost is queued again at once (its new attempt)."""
        job = self._live([self.get(job_id)])[0]
        if job is not None and job.state == "queued" and WORKER_LOST in job.error:
            return job
        job = failed_job(job, job_id)
        return self.enqueue(job.stage, job.episode, job.params)
