"""When the shows' recordings ([[recordings]] in feeds/<show>.toml) start, in their own time zones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ...errors import BadInput
from ...workspace.config import TITLE_FIELDS, Recording, Show

WEEKDAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
               "November", "Desember")


@dataclass(frozen=True)
class Occurrence:
    """One airing to record: a show's recording on one day."""

    show: Show
    recording: Recording
    start: dt.datetime  # aware, in the recording's zone

    @property
    def key(self) -> str:
        """Names it in the log and in claims: the show and the start in UTC."""
        utc = self.start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.show.slug}@{utc}"

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.recording.seconds)

    @property
    def title(self) -> str:
        return episode_title(self.recording.title, self.show.title, self.start)


def episode_title(pattern: str, show_title: str, start: dt.datetime) -> str:
    """The title pattern filled: {date} "7 Desember 2026", {weekday} "Senin", {iso_date}, {time} "09.00", {show}."""
    try:
        return pattern.format(date=f"{start.day} {MONTH_NAMES[start.month - 1]} {start.year}",
                              weekday=WEEKDAY_NAMES[start.weekday()], iso_date=start.date().isoformat(),
                              time=start.strftime("%H.%M"), show=show_title).strip()
    except (KeyError, IndexError, ValueError):
        raise BadInput(f"title {pattern!r}: it may name only {{{'}, {'.join(TITLE_FIELDS)}}}") from None


def starts_between(shows: list[Show], after: dt.datetime, until: dt.datetime) -> list[Occurrence]:
    """Every recording that starts in (after, until], in order of start."""
    found = []
    for show in shows:
        for recording in show.recordings:
            zone = recording.zone
            first, last = after.astimezone(zone).date() - dt.timedelta(days=1), until.astimezone(zone).date()
            day = first
            while day <= last:
                if _on(recording, day):
                    start = dt.datetime.combine(day, recording.start_time, zone)
                    if after < start <= until:
                        found.append(Occurrence(show, recording, start))
                day += dt.timedelta(days=1)
    return sorted(found, key=lambda o: (o.start, o.show.slug))


def next_start(shows: list[Show], after: dt.datetime, horizon_days: int = 8) -> dt.datetime | None:
    """The first start after `after` (within a week and a day: every weekly one has one), or None."""
    found = starts_between(shows, after, after + dt.timedelta(days=horizon_days))
    return found[0].start if found else None


def _on(recording: Recording, day: dt.date) -> bool:
    if recording.date:
        return day.isoformat() == recording.date
    return day.weekday() in recording.days
