"""Work outside the command that asked for it: one job interface over two runners, the local queue (a
SQLite file and worker processes on this machine, the default) and Celery workers (broker_url set).

    queue = open_queue(workspace)
    job = queue.enqueue("transcript", episode="show/2026-11-20-slug")
    workers = start_local_workers(workspace, count=1)  # the local queue's workers; Celery's are `studio worker`

A job runs the functions the command line runs (runner); the command line waits for jobs it gave the
workers (batch, wait).
"""

from __future__ import annotations

from ..workspace import Workspace
from .batch import process_on_workers, publish_on_workers
from .job import STAGES, STATES, Job, JobQueue, threads_per_worker
from .local import LocalQueue, LocalWorkers, run_workers, start_local_workers

__all__ = ["STAGES", "STATES", "Job", "JobQueue", "LocalQueue", "LocalWorkers", "open_queue", "process_on_workers",
           "publish_on_workers", "run_workers", "start_local_workers", "threads_per_worker"]


def open_queue(workspace: Workspace) -> JobQueue:
    """The workspace's job queue: Celery's when broker_url is set, else the local one."""
    broker_url = workspace.settings.broker_url
    if broker_url:
        from .celery.queue import CeleryQueue

        return CeleryQueue(workspace, broker_url)
    return LocalQueue(workspace)
