"""The access log `studio serve` writes: one JSON line per public media file or page it answered.

`logs/access/YYYY-MM-DD.jsonl` in the workspace (the day of the request, UTC), each line one O_APPEND write:

    {"time": "2026-11-03T01:02:03.456Z", "client": "<listener key>", "country": "ID", "ua": "AntennaPod/3.4",
     "method": "GET", "path": "/media/kpu/ep.mp3", "status": 206, "range": "bytes=0-1", "sent": 12345}

`client` is the Anonymizer's keyed hash of the address (its IPv6 /64), with a salt of the day that is destroyed
once the day's counting window has closed; `country` its ISO code, looked up offline; `"dc": true` is added for
a data-centre address. The raw address is never written. `sent` is the body bytes that went out (a HEAD, a 304
or a `bytes=0-1` probe: next to nothing; a download broken off: what the listener got). With
`access_log = false` in studio.toml nothing is written. The counting (studio.stats) reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..fsutil import append_line
from ..publish.serve import Access
from ..workspace.layout import ACCESS_LOG_DIR, STATS_LISTS_DIR, STATS_SALTS_DIR
from ..workspace.tree import Workspace
from .identity import Anonymizer


class AccessLogWriter:
    """The access log of `folder` (logs/access): called with each `Access` studio serve answered."""

    def __init__(self, folder: Path, anonymizer: Anonymizer) -> None:
        self.folder = folder
        self.anonymizer = anonymizer

    def line(self, access: Access) -> dict:
        """What is written of `access`: the address only as its listener key and country."""
        when = access.time
        entry = {
            "time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "client": self.anonymizer.client(access.address, when),  # ValueError: no IP address
            "country": self.anonymizer.country(access.address),
            "ua": access.user_agent, "method": access.method, "path": access.path, "status": access.status,
            "range": access.range, "sent": access.sent,
        }
        if self.anonymizer.is_datacentre(access.address):
            entry["dc"] = True  # a server, not a listener: counted as nothing
        return entry

    def __call__(self, access: Access) -> None:
        """Append `access` to its day's file (OSError when it cannot be written). A request whose address cannot
        be keyed (not an IP address, or its day's window already closed) is not written: it counts nothing."""
        try:
            entry = self.line(access)
        except ValueError:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        append_line(self.folder / f"{access.time:%Y-%m-%d}.jsonl", json.dumps(entry, ensure_ascii=False))


def log_dir(workspace: Workspace) -> Path:
    return workspace.root / ACCESS_LOG_DIR


def writer(workspace: Workspace) -> AccessLogWriter | None:
    """The workspace's access log writer for `studio serve`, or None when `access_log = false`."""
    if not workspace.settings.access_log:
        return None
    root = workspace.root  # the lists `studio stats update-lists` fetched are used as soon as they are there
    return AccessLogWriter(log_dir(workspace), Anonymizer(root / STATS_SALTS_DIR, root / STATS_LISTS_DIR))

