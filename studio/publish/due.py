"""The publish tick: publish when a scheduled episode's time has come, or an unpublished one is still out.

`studio run` and `studio publish` (from cron) publish everything that is due anyway; the worker's beat
(jobs.celery.release) calls `publish_due` every minute so a scheduled episode goes out on time with nothing
else running. It publishes only when the last publish differs from what is due now (no work otherwise).
"""

from __future__ import annotations

import datetime as dt

from ..progress import Reporter
from ..workspace import Workspace
from ..workspace.release import due, withdrawn_from_publish
from .run import PublishReport, publish


def publish_due(workspace: Workspace, now: dt.datetime | None = None,
                reporter: Reporter | None = None) -> PublishReport | None:
    """Publish (as `studio publish` would) when an episode became due by `now` or must leave; None when nothing
    changed since the last publish."""
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = workspace.index.rows()
    if not (due(rows, now) or withdrawn_from_publish(rows, now)):
        return None
    return publish(workspace, reporter=reporter, now=now)
