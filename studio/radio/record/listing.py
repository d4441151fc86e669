"""What `studio recordings` and the radio page show: each airing's last state, and the ones coming up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...media.capture import clock_text
from ...workspace.tree import Workspace
from . import log
from .log import REASONS, Entry
from .schedule import Occurrence, starts_between

STOPPED_AFTER = dt.timedelta(minutes=30)  # after its end, time enough to write and ingest the capture


@dataclass(frozen=True)
class Listing:
    recent: list[Entry]  # each airing's last state, by start (oldest first)
    upcoming: list[Occurrence]  # by start


def listing(workspace: Workspace, now: dt.datetime | None = None, days: int = 7,
            shows: Callable[[str], bool] = lambda slug: True) -> Listing:
    """The recordings log and the airings of the next `days` days, of the shows `shows` accepts."""
    now = now or dt.datetime.now().astimezone()
    recent = sorted((e for e in log.latest(workspace).values() if shows(e.show)), key=lambda e: _when(e.start))
    every = [show for show in workspace.shows().values() if shows(show.slug)]
    return Listing(recent, starts_between(every, now, now + dt.timedelta(days=days)))


def stream_host(url: str) -> str:
    """The stream's host (and port): never a user name, password, path or query."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def stopped(entry: Entry, now: dt.datetime | None = None) -> bool:
    """A recording still "started" well after its end (STOPPED_AFTER): whatever recorded it stopped without a
    word (killed, the machine went off), so it is no longer being recorded."""
    now = now or dt.datetime.now().astimezone()
    return entry.state == "started" and now > _when(entry.start) + dt.timedelta(seconds=entry.duration) + STOPPED_AFTER


def failure_reason(entry: Entry) -> str:
    """A failed recording's kind (one of log.REASONS): "other" for one logged before the kind was kept."""
    return entry.reason if entry.reason in REASONS else "other"


def gap_seconds(entry: Entry) -> float:
    return sum(float(g.get("length", 0)) for g in entry.gaps)


def local_time(start: dt.datetime | str) -> str:
    """The start in its recording's zone: "2026-12-07 09:00 WITA" (a log line keeps only the offset: Indonesia's
    three offsets are named WIB, WITA, WIT; any other shows as UTC+hh:mm)."""
    when = _when(start) if isinstance(start, str) else start
    offset = when.utcoffset()
    zone = INDONESIAN_ZONES.get(offset) if offset is not None else None
    name = when.tzname() or ""
    if zone is None:
        zone = name if name and not name.startswith("UTC") else f"UTC{when:%z}"[:6] + ":" + f"{when:%z}"[3:]
    return f"{when:%Y-%m-%d %H:%M} {zone}"


INDONESIAN_ZONES = {dt.timedelta(hours=7): "WIB", dt.timedelta(hours=8): "WITA", dt.timedelta(hours=9): "WIT"}


def duration_text(seconds: float) -> str:
    """1:30:00, 30:00."""
    return clock_text(seconds)


def _when(start: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(start)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
