"""The figures an office reports: what `studio stats`, the Statistik page, its CSV and the monthly PDF show.

INTERFACE STUB (lead, issue 26): the stats-core helper implements `report`; the dataclasses stay (fields may be
added, none removed or renamed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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

    def to_dict(self) -> dict:
        return asdict(self)


def report(workspace, show: str | None = None, month: str | None = None) -> StatsReport:
    """The figures of `show` (all shows when None) for `month` (all time when None), from the counts database.
    Counts what the access log and imported logs hold that is not counted yet, first."""
    return StatsReport(show=show, month=month)
