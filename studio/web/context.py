"""What a request needs from the app: the workspace, the page language, the job queue."""

from __future__ import annotations

import threading

from flask import current_app

from ..workspace.tree import Workspace
from .messages import error_message, library_message
from .strings import translate


def workspace() -> Workspace:
    return current_app.extensions["studio"]["workspace"]


def lang() -> str:
    return current_app.extensions["studio"]["lang"]


def t(key: str) -> str:
    return translate(lang(), key)


def say(exc: BaseException) -> str:
    """What the page shows for a failure the library raised (studio.web.messages)."""
    return error_message(exc, t)


def say_line(line: str) -> str:
    """What the page shows for a job's recorded failure line ("" for none)."""
    return library_message(line, t, bad_input=False) if line else ""


def job_queue():
    """The workspace's job queue (studio.jobs), opened once per app and server thread (one SQLite
    connection each)."""
    from ..jobs import open_queue

    studio = current_app.extensions["studio"]
    local = studio.setdefault("queues", threading.local())
    if getattr(local, "queue", None) is None:
        local.queue = open_queue(studio["workspace"])
    return local.queue
