"""A job: one stage of one episode (or a publish), as every runner records it."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

from ..errors import BadInput, ResourceError

STAGES = ("ingest", "process", "renditions", "transcript", "speakers", "text", "clips", "clip", "publish", "push")
WHOLE_WORKSPACE = ("publish", "push")  # the stages of no one episode
STATES = ("queued", "running", "done", "failed")


def threads_per_worker(workers: int) -> int:
    """CTranslate2 threads for each of `workers` job processes on this machine: its share of the cores.

    Each process running a model with one thread per core would oversubscribe the CPUs."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


@dataclass
class Job:
    id: str
    stage: str  # one of STAGES
    episode: str | None  # episode id (of an "ingest": the id it will most likely get), None for "publish"
    params: dict = field(default_factory=dict)  # clip: {"start", "end", "title", "formats"}; ingest: the upload
    state: str = "queued"  # queued | running | done | failed
    worker: str = ""  # host:pid of the worker running it (or that ran it)
    progress: float | None = None  # 0..1 while running, when known
    error: str = ""  # the one-line reason of a failure (the text the CLI prints)
    created_at: str = ""
    started_at: str = ""
    finished_at: str = ""
    exit_code: int = 0  # of a failure: 2 bad input, 1 anything else
    result: dict = field(default_factory=dict)  # what a finished job made (an ingest: {"episode": id, ...})
    attempt: int = 0  # Celery: raised each time the job is queued again after its worker was lost

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def line(self) -> str:
        """One line for `studio jobs`."""
        what = f"{self.stage} {self.episode}" if self.episode else self.stage
        detail = {"queued": "", "done": "",
                  "running": f"on {self.worker}" + (f" {self.progress:.0%}" if self.progress is not None else ""),
                  "failed": self.error}[self.state]
        return f"{self.id[:12]:<12} {self.state:<8} {what:<60} {detail}".rstrip()


class BrokerAway(ResourceError):
    """The broker (Redis) does not answer: the one line the CLI prints and the web turns into a banner."""


class JobsLost(ResourceError):
    """Jobs whose records are gone while the broker answers (Redis restarted without its data)."""

    def __init__(self, job_ids: list[str]):
        super().__init__(f"the broker has lost {len(job_ids)} job(s): was Redis restarted without persistence "
                         "(appendonly yes)?")
        self.job_ids = job_ids


class JobQueue(Protocol):
    def enqueue(self, stage: str, episode: str | None = None, params: dict | None = None) -> Job: ...
    def enqueue_stages(self, episode: str, stages: list[str], params: dict | None = None) -> list[Job]: ...
    def jobs(self, state: str | None = None, limit: int = 200) -> list[Job]: ...
    def get(self, job_id: str) -> Job | None: ...
    def retry(self, job_id: str) -> Job: ...
    def recover(self) -> list: ...


def now_iso() -> str:
    """The current time in ISO 8601 UTC, to the millisecond."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def failed_job(job: Job | None, job_id: str) -> Job:
    """`job` when it can be retried: it exists and it failed (BadInput otherwise)."""
    if job is None:
        raise BadInput(f"no job {job_id}")
    if job.state != "failed":
        raise BadInput(f"job {job_id} is {job.state}, not failed: only a failed job can be retried")
    return job


def check_job(stage: str, episode: str | None, params: dict | None) -> dict:
    """Refuse a job that could never run; returns its params."""
    if stage not in STAGES:
        raise BadInput(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    if (stage in WHOLE_WORKSPACE) != (episode is None):
        raise BadInput(f"{stage} takes no episode" if episode else f"stage {stage} needs an episode")
    params = dict(params or {})
    json.dumps(params)  # params travel as JSON
    return params


def dedupe_key(stage: str, episode: str | None, params: dict) -> str:
    """Jobs with the same key are the same work: enqueueing one while another is queued or running returns it."""
    return json.dumps([stage, episode, params], sort_keys=True)
