"""Time as people in Indonesia say it: a show's zone (WIB/WITA/WIT) and dates written the Indonesian way.

    format_local(when, zone)       "Senin, 21 Desember 2026 pukul 06.00 WITA"
    format_local(when, zone, "en") "Monday, 21 December 2026 at 06:00 WITA"

Every page, the radio manifest's human fields and the CLI's lines use this one module; stored times stay
ISO 8601 with their offset (or UTC), only what people read is local.
"""

from __future__ import annotations

import datetime as dt

ZONES = {  # Indonesia's three zones, by their IANA names; the picker on the show settings offers these
    "Asia/Jakarta": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
OFFSET_NAMES = {dt.timedelta(hours=7): "WIB", dt.timedelta(hours=8): "WITA", dt.timedelta(hours=9): "WIT"}
DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def zone_name(when: dt.datetime) -> str:
    """WIB, WITA or WIT for Indonesia's offsets; UTC+hh:mm for any other (an aware datetime)."""
    offset = when.utcoffset() or dt.timedelta(0)
    if offset in OFFSET_NAMES:
        return OFFSET_NAMES[offset]
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_date(day: dt.date, lang: str = "id") -> str:
    """ "Senin, 21 Desember 2026" """
    lang = lang if lang in DAYS else "id"
    return f"{DAYS[lang][day.weekday()]}, {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_iso(value: str, zone: dt.tzinfo, lang: str = "id") -> str:
    """An ISO 8601 date-time (as stored: with its offset, or UTC) as format_local writes it; `value` unchanged
    when it is no date-time."""
    try:
        return format_local(dt.datetime.fromisoformat(value), zone, lang)
    except (TypeError, ValueError):
        return value


def format_local(when: dt.datetime, zone: dt.tzinfo, lang: str = "id") -> str:
    """An aware (or UTC-naive) datetime in `zone`, the way people read it (see the module's docstring)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    local = when.astimezone(zone)
    if lang == "en":
        return f"{format_date(local.date(), 'en')} at {local:%H:%M} {zone_name(local)}"
    return f"{format_date(local.date())} pukul {local:%H.%M} {zone_name(local)}"
