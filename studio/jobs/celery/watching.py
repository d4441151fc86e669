"""The shows' watch folders on the Celery workers (jobs.watch): Celery beat sends a tick every few seconds,
and the worker that takes it scans the folders when `watch_interval` has passed since the last scan (whichever
process made it), so several workers, each with its beat, still scan at the interval, one at a time."""

from __future__ import annotations

import logging

from ...workspace.tree import Workspace
from ..watch import tick

log = logging.getLogger(__name__)

TICK = "studio.watch"
QUEUE = "default"


def beat_schedule(interval: float) -> dict:
    every = max(1.0, min(interval, 5.0))
    return {"studio-watch": {"task": TICK, "schedule": every, "options": {"queue": QUEUE, "expires": every}}}


def register(app, workspace: Workspace) -> None:
    """The tick task, on the worker's app."""

    @app.task(name=TICK, ignore_result=True)
    def watch_folders() -> None:
        tick(workspace, say=log.warning)
