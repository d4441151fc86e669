"""What a request needs from the app: the workspace, the page language, the job queue."""

from __future__ import annotations

from flask import current_app

from ..workspace import Workspace
from .strings import translate


def workspace() -> Workspace:
    return current_app.extensions["studio"]["workspace"]


def lang() -> str:
    return current_app.extensions["studio"]["lang"]


def t(key: str) -> str:
    return translate(lang(), key)


def job_queue():
    """The workspace's job queue (studio.jobs), opened once per app; None while studio.jobs is not there."""
    studio = current_app.extensions["studio"]
    if "queue" not in studio:
        try:
            from ..jobs import open_queue
        except ImportError:
            studio["queue"] = None
        else:
            studio["queue"] = open_queue(studio["workspace"])
    return studio["queue"]
