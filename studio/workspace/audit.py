"""The audit log: who did what to which episode, when (`.studio/audit.log` in the workspace, JSON lines)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import append_line, no_space_is_resource_error
from .layout import AUDIT_FILE
from .tree import Workspace


@dataclass(frozen=True)
class Entry:
    time: str  # ISO 8601 UTC
    user: str
    action: str  # e.g. "login", "upload", "approve", "publish", "user.add"
    target: str  # an episode id, a user or station name, or ""


def log_path(workspace: Workspace) -> Path:
    return workspace.root / AUDIT_FILE


def record(workspace: Workspace, user: str, action: str, target: str = "") -> Entry:
    entry = Entry(time=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), user=user, action=action,
                  target=target)
    path = log_path(workspace)
    with no_space_is_resource_error(path.parent):  # a full disk is one ResourceError line
        path.parent.mkdir(parents=True, exist_ok=True)
        append_line(path, json.dumps(entry.__dict__, ensure_ascii=False))
    return entry


def read(workspace: Workspace, limit: int = 200) -> list[Entry]:
    """The newest `limit` entries, newest first; unreadable lines are skipped."""
    try:
        lines = log_path(workspace).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in reversed(lines):
        try:
            found.append(Entry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
        if len(found) >= limit:
            break
    return found
