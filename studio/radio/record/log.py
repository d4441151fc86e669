"""The recordings log (logs/recordings.jsonl): one JSON line per state of each off-air recording.

    started   the capture began (a claim: a recording with any line is never started again)
    done      captured and ingested: the episode, the gaps (start and length of each silence put in)
    failed    the stream never came up, or the capture or its ingest failed: the one-line reason
    missed    its start passed while nothing was running (the machine was off): reported, not recorded

Lines are appended in one O_APPEND write each; a claim holds a file lock while it reads and appends.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ...fsutil import append_line, file_lock
from ...workspace.layout import RECORDINGS_LOCK_FILE, RECORDINGS_LOG_FILE
from ...workspace.tree import Workspace

STATES = ("started", "done", "failed", "missed")
# why a recording failed, for a page to say in its own words: the stream never came up, it was a file and not a
# live stream, no time was left to record it, the capture was interrupted, its ingest failed, something else
REASONS = ("no_stream", "not_live", "no_time", "interrupted", "ingest", "other")


@dataclass(frozen=True)
class Entry:
    key: str  # the occurrence (show@start in UTC), or show@the moment a one-off began
    show: str
    state: str  # one of STATES
    start: str  # ISO 8601 with offset: the scheduled (or actual) start
    duration: float  # seconds scheduled
    url: str  # without credentials
    time: str = ""  # when this line was written (UTC)
    episode: str = ""
    gaps: list[dict] = field(default_factory=list)  # {"at": s, "length": s}
    error: str = ""
    file: str = ""  # a capture kept because its ingest failed, relative to the workspace
    title: str = ""  # the episode's title (filled from the show's pattern)
    reason: str = ""  # a failure's kind, one of REASONS ("" in lines written before it was kept: "other")

    def line(self, when: str = "") -> str:
        """One line for `studio recordings`; `when`: the start as people read it (default: as stored)."""
        what = {"done": self.episode, "failed": self.error, "missed": "missed: nothing was running at its start",
                "started": "recording"}[self.state]
        gaps = f" ({len(self.gaps)} gap(s), {sum(g['length'] for g in self.gaps):.1f} s)" if self.gaps else ""
        return f"{when or self.start}  {self.show:<16} {self.state:<8} {what}{gaps}"


def log_path(workspace: Workspace) -> Path:
    return workspace.root / RECORDINGS_LOG_FILE


def write(workspace: Workspace, entry: Entry) -> Entry:
    entry = Entry(**{**asdict(entry), "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    path = log_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    append_line(path, json.dumps(asdict(entry), ensure_ascii=False))
    return entry


def read(workspace: Workspace) -> list[Entry]:
    """Every line, oldest first (unreadable ones skipped)."""
    try:
        lines = log_path(workspace).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(Entry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return found


def latest(workspace: Workspace) -> dict[str, Entry]:
    """Each recording's last state, by key."""
    return {entry.key: entry for entry in read(workspace)}


def claim(workspace: Workspace, entry: Entry) -> bool:
    """Write `entry` (started or missed) unless its recording has a line already: whether it was written."""
    with file_lock(workspace.root / RECORDINGS_LOCK_FILE):
        if entry.key in latest(workspace):
            return False
        write(workspace, entry)
        return True
