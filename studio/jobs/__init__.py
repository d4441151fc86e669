"""One job interface over two runners: the local queue (default) and Celery workers (broker_url set).

    queue = open_queue(workspace)
    job = queue.enqueue("transcript", episode="show/2026-11-20-slug")
    workers = start_local_workers(workspace, count=1)  # the local queue's workers; Celery's are `studio worker`
"""

from __future__ import annotations

from ..workspace.tree import Workspace
from .job import STAGES, STATES, Job, JobQueue
from .local import LocalQueue, LocalWorkers, start_local_workers

__all__ = ["Job", "JobQueue", "LocalQueue", "LocalWorkers", "STAGES", "STATES", "open_queue",
           "start_local_workers"]


def open_queue(workspace: Workspace) -> JobQueue:
    """The workspace's job queue: Celery's when broker_url is set, else the local one."""
    broker_url = workspace.settings.broker_url
    if broker_url:
        from .celery.queue import CeleryQueue

        return CeleryQueue(workspace, broker_url)
    return LocalQueue(workspace)
