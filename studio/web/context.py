"""What a request needs from the app: the workspace, the page language, the job queue."""

from __future__ import annotations

import threading

from flask import current_app

from ..workspace.tree import Workspace
from .strings import translate


def workspace() -> Workspace:
    return current_app.extensions["studio"]["workspace"]


def lang() -> str:
    return current_app.extensions["studio"]["lang"]


def t(key: str) -> str:
    return translate(lang(), key)


def job_queue():
    """The workspace's job queue (studio.jobs), opened once per app and server thread (one SQLite
    connection each)."""
    from ..jobs import open_queue

    studio = current_app.extensions["studio"]
    local = studio.setdefault("queues", threading.local())
    if getattr(local, "queue", None) is None:
        local.queue = open_queue(studio["workspace"])
    return local.queue
