"""When an episode goes out: scheduled publishing and unpublishing, and the episode basics podcast hosts have
(season, number, type), checked where episode.toml is read.

    publish_at      an ISO date-time with its offset (a producer's local time is read in the show's zone:
                    Show.timezone, "" the machine's). Until then the episode stays out of the feed, the
                    site, its search and the radio manifest; the first publish after it (`studio publish`
                    or `studio run` from cron, or the worker's tick: jobs.celery.release) puts it out.
    unpublished_at  set when a producer takes the episode down: it leaves the feed, the site and its search
                    at the next publish (its files leave the target with `publish --prune`); cleared when
                    it is put back.

Publish asks `released(row, now)` of every episode; `now` is passed in (the command line reads
STUDIO_NOW, an ISO date-time, so that a test or a rehearsal can move the clock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import TYPE_CHECKING, Iterable

from ..errors import BadInput
from ..localtime import format_local
from .config import time_zone

if TYPE_CHECKING:
    from ..progress import Reporter
    from .episode import Episode
    from .index import EpisodeRow

EPISODE_TYPES = ("full", "trailer", "bonus")  # itunes:episodeType
NOW_ENV = "STUDIO_NOW"


def now_from_env() -> dt.datetime:
    """Now, or the moment in $STUDIO_NOW (an ISO date-time; one without a zone is the machine's)."""
    value = os.environ.get(NOW_ENV, "").strip()
    if not value:
        return dt.datetime.now(dt.timezone.utc)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{NOW_ENV}={value!r} is not an ISO date-time (e.g. 2026-12-21T06:00+08:00)") from None
    return moment if moment.tzinfo else moment.astimezone()


def parse_publish_at(value: str, zone_name: str = "") -> str:
    """A producer's publish time (ISO date-time; a missing offset is the show's zone) as stored: ISO with its
    offset, to the minute. "" stays "" (no schedule)."""
    value = value.strip().replace(" ", "T", 1)
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"publish time {value!r} is not a date and time (e.g. 2026-12-21T06:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=time_zone(zone_name))
    return moment.replace(second=0, microsecond=0).isoformat(timespec="minutes")


def publish_time(value: str) -> dt.datetime | None:
    """A stored publish_at as an aware datetime (None for none); ValueError when it is not ISO."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.astimezone()


def check_basics(episode: Episode) -> None:
    """BadInput, naming episode.toml, when a hand edit left a basic that a feed cannot carry."""
    where = f"{episode.id}: episode.toml"
    try:
        publish_time(episode.publish_at)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: publish_at = {episode.publish_at!r} is not an ISO date-time in quotes "
                       "(e.g. \"2026-12-21T06:00+08:00\")") from None
    for name in ("season", "number"):
        value = getattr(episode, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise BadInput(f"{where}: {name} = {value!r} is not a whole number from 1")
    if episode.episode_type and episode.episode_type not in EPISODE_TYPES:
        raise BadInput(f"{where}: episode_type = {episode.episode_type!r} is not one of {', '.join(EPISODE_TYPES)}")


def parse_number(value: str | int | None, what: str) -> int | None:
    """A season or episode number as a producer types it ("" for none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BadInput(f"{what} {value!r} is not a whole number") from None
    if not 1 <= number <= 99999:
        raise BadInput(f"{what} {number} must be from 1 to 99999")
    return number


def parse_type(value: str) -> str:
    """An episode type as stored: "" for full (the default), else trailer or bonus."""
    value = value.strip().lower()
    if value in ("", "full"):
        return ""
    if value not in EPISODE_TYPES:
        raise BadInput(f"episode type {value!r}: use {', '.join(EPISODE_TYPES)}")
    return value


def _fields(row: EpisodeRow) -> dict:
    return row.episode if isinstance(row.episode, dict) else {}


def released(row: EpisodeRow, now: dt.datetime) -> bool:
    """Whether the episode may go out at `now`: not taken down, and its publish time (if any) has come."""
    fields = _fields(row)
    if fields.get("unpublished_at"):
        return False
    try:
        when = publish_time(fields.get("publish_at") or "")
    except (TypeError, ValueError):
        return False  # said by the index (the row is broken)
    return when is None or when <= now


def held_back(rows: Iterable[EpisodeRow], now: dt.datetime, reporter: Reporter | None = None,
              zones: dict[str, str] | None = None) -> list[EpisodeRow]:
    """The rows that go out at `now`; each one held back is said in one line (scheduled: when; unpublished)."""
    kept = []
    for row in rows:
        if released(row, now):
            kept.append(row)
        elif reporter:
            fields = _fields(row)
            if fields.get("unpublished_at"):
                reporter.info(f"{row.id}: not published: unpublished (`studio episode restore {row.id}` puts it back)")
            else:
                when = publish_time(fields["publish_at"])
                local = format_local(when, time_zone((zones or {}).get(row.show, "")), "en")
                reporter.info(f"{row.id}: not published yet: scheduled for {local}")
    return kept


def release_signature(rows: Iterable[EpisodeRow], now: dt.datetime) -> str:
    """Which scheduled or unpublished episodes go out at `now`: part of publish's input fingerprint, so a publish
    time that came makes a new plan although no file changed."""
    lines = sorted(f"{row.id} {released(row, now)}" for row in rows
                   if _fields(row).get("publish_at") or _fields(row).get("unpublished_at"))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def due(rows: Iterable[EpisodeRow], now: dt.datetime) -> list[str]:
    """Scheduled episodes whose time has come but that the last publish did not carry (the tick publishes then)."""
    return [row.id for row in rows if _fields(row).get("publish_at") and released(row, now) and not row.published
            and isinstance(row.record.get("podcast"), dict) and not row.broken]


def withdrawn_from_publish(rows: Iterable[EpisodeRow], now: dt.datetime) -> list[str]:
    """Episodes the last publish carried that may not go out now (unpublished since): the tick publishes then."""
    return [row.id for row in rows if row.published and not released(row, now)]
