"""Scheduled publishing on the workers: Celery beat sends the publish tick every TICK_EVERY_S seconds, and the
worker that takes it publishes when a scheduled episode's time has come or an unpublished one is still out
(publish.publish_due; nothing otherwise). Beat runs in each `studio worker` that takes the default queue;
with several, publish's own lock makes them take turns, and the second finds nothing due."""

from __future__ import annotations

import logging

from ...publish import publish_due
from ...workspace.release import now_from_env
from ...workspace.tree import Workspace

log = logging.getLogger(__name__)

QUEUE = "default"
TICK = "studio.publish_due"
TICK_EVERY_S = 60.0  # a scheduled episode goes out at most this late (cron with `studio run`: its own period)


def beat_schedule() -> dict:
    return {"studio-publish-due": {"task": TICK, "schedule": TICK_EVERY_S,
                                   "options": {"queue": QUEUE, "expires": TICK_EVERY_S}}}


def register(app, workspace: Workspace) -> None:
    """The publish tick, on the worker's app."""

    @app.task(name=TICK, ignore_result=True)
    def publish_when_due() -> None:
        report = publish_due(Workspace(workspace.root), now_from_env())
        if report is not None:
            log.warning("scheduled publishing: %s", report.message)
