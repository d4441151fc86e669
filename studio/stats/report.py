"""The figures an office reports: what `studio stats`, the Statistik page, its CSV and the monthly PDF show.

Days whose window is closed come from the daily and monthly counts; the days after `counted_through` are added
from the listeners of the open windows that already passed the one-minute threshold (they can only grow).
"""

from __future__ import annotations

import calendar
import collections
import datetime as dt
import re
import sqlite3
from dataclasses import asdict, dataclass, field, replace

from ..errors import BadInput
from ..radio.deliveries import log_path, read
from ..workspace.layout import STATS_DB_FILE
from . import store
from .identity import WINDOW_ZONE, window_day


@dataclass(frozen=True)
class EpisodeDownloads:
    show: str
    episode: str
    title: str
    downloads: int


@dataclass(frozen=True)
class Count:
    name: str  # a day (YYYY-MM-DD), a month (YYYY-MM), an app, a platform, a country code, a station...
    count: int


@dataclass(frozen=True)
class ClipViews:
    show: str
    episode: str
    clip: str  # the clip's slug
    title: str
    views: int


@dataclass(frozen=True)
class StationDeliveries:
    station: str
    files: int  # distinct broadcast files delivered
    bytes: int


@dataclass(frozen=True)
class StatsReport:
    show: str | None  # None: every show
    month: str | None  # "2026-11"; None: all time
    downloads: int = 0
    by_day: tuple[Count, ...] = ()  # every day of the month (zeros included), or of the last 30 days
    by_month: tuple[Count, ...] = ()  # every month with downloads, oldest first
    by_episode: tuple[EpisodeDownloads, ...] = ()  # most downloaded first
    apps: tuple[Count, ...] = ()  # podcast apps and browsers (OPAWG names), most first
    platforms: tuple[Count, ...] = ()  # operating systems / devices, most first
    countries: tuple[Count, ...] = ()  # ISO codes, most first
    clip_views: tuple[ClipViews, ...] = ()  # clip pages of the listener site, most viewed first
    radio: tuple[StationDeliveries, ...] = ()
    counted_through: str | None = None  # the last day whose window is closed and counted (YYYY-MM-DD)
    notes: tuple[str, ...] = field(default_factory=tuple)
    clip_view_total: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def check_month(month: str | None) -> None:
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise BadInput(f"month {month!r} must be written YYYY-MM, e.g. 2026-11")


def report(workspace, show: str | None = None, month: str | None = None, now: dt.datetime | None = None,
           count_first: bool = True) -> StatsReport:
    """The figures of `show` (all shows when None) for `month` (all time when None), from the counts database.
    Counts what the access log and imported logs hold that is not counted yet, first."""
    check_month(month)
    if show is not None and show not in workspace.shows():
        raise BadInput(f"no show {show!r} (studio show list)")
    busy = False
    if count_first:
        from .counting import count  # the lists and the salts: only a report that counts needs them

        busy = count(workspace, now=now, wait=False) is None
    db = store.connect(workspace.root / STATS_DB_FILE)
    try:
        figures = _figures(workspace, db, show, month, now or dt.datetime.now(dt.timezone.utc))
    finally:
        db.close()
    if busy:
        figures = replace(figures, notes=(*figures.notes, "a count is under way: the newest requests are not in yet"))
    return figures


def _where(show: str | None, month: str | None, day_column: str = "day") -> tuple[str, list]:
    """A WHERE clause over a table of episodes (`episode` column) and days or months."""
    clauses, args = ["1"], []
    if show is not None:
        clauses.append("episode >= ? AND episode < ?")
        args += [f"{show}/", f"{show}0"]  # "0" follows "/": every episode id of the show
    if month is not None:
        clauses.append(f"{day_column} >= ? AND {day_column} <= ?")
        args += [f"{month}-01", f"{month}-31"]
    return " AND ".join(clauses), args


def _ranked(counter: collections.Counter) -> tuple[Count, ...]:
    return tuple(Count(name, n) for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])) if n)


def _days(month: str | None, now: dt.datetime) -> list[dt.date]:
    if month is not None:
        first = dt.date.fromisoformat(f"{month}-01")
        return [first + dt.timedelta(days=i) for i in range(calendar.monthrange(first.year, first.month)[1])]
    today = now.astimezone(WINDOW_ZONE).date()
    return [today - dt.timedelta(days=29 - i) for i in range(30)]


def _figures(workspace, db: sqlite3.Connection, show: str | None, month: str | None, now: dt.datetime) -> StatsReport:
    closed = store.meta(db, "counted_through") or None
    per = {k: collections.Counter() for k in ("day", "month", "episode", "app", "platform", "country")}
    # the closed days: the per-show rollups
    show_clause, show_args = ("show = ?", [show]) if show is not None else ("1", [])
    month_clause, month_args = ("month = ?", [month]) if month is not None else ("1", [])
    for dimension, name, n in db.execute(
            f"SELECT dimension, name, sum(count) FROM monthly WHERE {show_clause} AND {month_clause} "
            "GROUP BY dimension, name", show_args + month_args):
        per[dimension][name] += n
    per["month"].update(dict(db.execute(
        f"SELECT month, sum(count) FROM monthly WHERE {show_clause} AND dimension = 'episode' GROUP BY month",
        show_args)))
    days = _days(month, now)
    per["day"].update(dict(db.execute(
        f"SELECT day, sum(count) FROM daily WHERE {show_clause} AND day >= ? AND day <= ? GROUP BY day",
        [*show_args, days[0].isoformat(), days[-1].isoformat()])))
    # the open windows: listeners past the threshold so far
    where, args = _where(show, None)
    for day, episode, app, platform, country, n in db.execute(
            "SELECT day, l.episode, app, platform, country, count(*) FROM listeners l JOIN thresholds t "
            f"ON t.episode = l.episode WHERE l.bytes >= t.bytes AND {where.replace('episode', 'l.episode')} "
            "GROUP BY day, l.episode, app, platform, country", args):
        per["month"][day[:7]] += n
        per["day"][day] += n
        if month is None or day.startswith(month):
            for dimension, name in (("episode", episode), ("app", app), ("platform", platform),
                                    ("country", country)):
                per[dimension][name] += n
    titles = {row.id: row.title for row in workspace.index.rows(show)}
    where, args = _where(show, month)
    views = collections.Counter(dict(((e, c), n) for e, c, n in db.execute(
        f"SELECT episode, clip, sum(count) FROM views WHERE {where} GROUP BY episode, clip", args)))
    skipped = dict(db.execute("SELECT reason, count FROM skipped"))
    notes = []
    if closed is None or days[-1].isoformat() > closed:
        notes.append(f"days after {closed or 'the first'} are still open: their figures can grow")
    if skipped:
        notes.append("requests that counted nothing: " + ", ".join(f"{n} {r}" for r, n in sorted(skipped.items())))
    return StatsReport(
        show=show, month=month, downloads=sum(per["episode"].values()),
        by_day=tuple(Count(d.isoformat(), per["day"][d.isoformat()]) for d in days),
        by_month=tuple(Count(m, n) for m, n in sorted(per["month"].items()) if n),
        by_episode=tuple(EpisodeDownloads(e.split("/", 1)[0], e, titles.get(e, e.split("/", 1)[-1]), n)
                         for e, n in sorted(per["episode"].items(), key=lambda kv: (-kv[1], kv[0])) if n),
        apps=_ranked(per["app"]), platforms=_ranked(per["platform"]), countries=_ranked(per["country"]),
        clip_views=tuple(ClipViews(e.split("/", 1)[0], e, c, titles.get(e, e.split("/", 1)[-1]), n)
                         for (e, c), n in sorted(views.items(), key=lambda kv: (-kv[1], kv[0]))),
        clip_view_total=sum(views.values()),
        radio=_radio(workspace, show, month), counted_through=closed, notes=tuple(notes))


def _radio(workspace, show: str | None, month: str | None) -> tuple[StationDeliveries, ...]:
    files: dict[str, set[str]] = collections.defaultdict(set)
    sizes: collections.Counter = collections.Counter()
    for delivery in read(log_path(workspace)):
        if show is not None and not delivery.file.startswith(f"{show}/"):
            continue
        if month is not None:
            try:
                if window_day(dt.datetime.fromisoformat(delivery.time))[:7] != month:
                    continue
            except ValueError:
                continue
        files[delivery.station].add(delivery.file)
        sizes[delivery.station] += delivery.bytes
    return tuple(StationDeliveries(s, len(files[s]), sizes[s]) for s in sorted(files, key=lambda s: (-sizes[s], s)))
