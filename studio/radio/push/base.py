"""What every playout kind is given and gives back.

INTERFACE (lead, issue 25): the radio-api helper implements AzuraCast and LibreTime against it, the radio-push
helper Rivendell and the run. Fields may be added, none removed or renamed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

Progress = Callable[[int, int], None]  # (bytes sent so far, total bytes)


@dataclass(frozen=True)
class PushItem:
    """One broadcast file to deliver to one station."""

    show: str
    episode: str
    path: Path  # the broadcast WAV (with its bext and cart chunks)
    sha256: str
    bytes: int
    duration: float  # seconds
    title: str
    artist: str  # the show's title (or author)
    album: str  # the show's title
    cue_in: float = 0.0  # seconds into the file where the programme starts
    cue_out: float | None = None  # seconds into the file where it ends (None: the end)
    fade_in: float = 0.0
    fade_out: float = 0.0
    air_from: dt.datetime | None = None  # aware datetimes; None: no window
    air_until: dt.datetime | None = None
    cart: int | None = None  # Rivendell cart number (from the station's range)
    scheduler_code: str = ""


@dataclass(frozen=True)
class Remote:
    """What the station holds for one item after a push: enough to replace it, reschedule it or expire it."""

    sha256: str  # of the file the station holds
    media_id: str  # the station's id for the file (AzuraCast media id, LibreTime file id, Rivendell: the file name)
    playlist_id: str | None = None  # AzuraCast playlist / LibreTime show instance or schedule id, when scheduled
    extra: dict = field(default_factory=dict)  # kind-specific ids (schedule item ids, ...)


class PushError(Exception):
    """A delivery that failed; `reason` is one of: "auth" (wrong key), "too_large" (the server refuses the size),
    "unreachable" (connection refused, DNS, timeout after the retries), "server" (5xx after the retries),
    "refused" (any other 4xx). The message is one line, safe to show (never the key)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Pusher(Protocol):
    def push(self, item: PushItem, previous: Remote | None, journal: Path, progress: Progress | None = None) -> Remote:
        """Deliver `item`: nothing when `previous` holds the same sha256 (and its metadata/schedule is current),
        replace the station's copy when it changed. `journal` is a folder of this station and item, kept across
        runs, for resuming an upload cut off mid-way (a kill); emptied by the caller after success. Retries 5xx and
        timeouts with backoff itself; raises PushError."""
        ...

    def expire(self, remote: Remote, delete_file: bool = False) -> None:
        """Take the item out of the station's playlist/schedule (the file too only with `delete_file`)."""
        ...
