"""Times on every page as people say them (studio.localtime): `{{ value|localtime(show) }}` gives
<time datetime="2026-12-21T06:00:00+08:00">Senin, 21 Desember 2026 pukul 06.00 WITA</time> in the page's
language and the show's zone (its `timezone`, else the machine's); `{{ day|localdate }}` a date alone
("Senin, 21 Desember 2026"). Stored times stay ISO 8601; a value that is no time is shown as it is."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from markupsafe import Markup, escape

from ..errors import BadInput
from ..localtime import format_date, format_local, zone_name
from ..workspace.config import time_zone
from ..workspace.episode import END_OF_DAY, air_time
from .context import lang, workspace


def zone_of(show: str = "") -> dt.tzinfo:
    """Show `show`'s clock (an episode id names its show too); the machine's for none or an unknown one."""
    slug = show.split("/")[0] if show else ""
    if slug:
        try:
            return workspace().show(slug).zone
        except BadInput:
            pass
    return time_zone("")


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str) and "T" in value:
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def local_time(value: object, show: str = "", own_zone: bool = False) -> Markup | str:
    """`value` (an ISO date-time, a datetime or epoch seconds) in the show's zone, in a <time> element; a
    UTC-naive value is UTC. `own_zone`: an aware value stays in its own offset (an off-air recording starts on
    its stream's clock). Empty for nothing; a value that is no time as it is."""
    if value in (None, ""):
        return ""
    moment = _moment(value)
    if moment is None:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment if own_zone and moment.utcoffset() is not None else moment.astimezone(zone_of(show))
    text = format_local(local, local.tzinfo, lang())
    return Markup('<time datetime="{}">{}</time>').format(local.isoformat(timespec="seconds"), escape(text))


def local_date(value: object) -> Markup | str:
    """A date alone (YYYY-MM-DD, or the start of a longer ISO value) as "Senin, 21 Desember 2026"."""
    if value in (None, ""):
        return ""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), format_date(day, lang()))


def zone_label(show: str = "") -> str:
    """WIB, WITA or WIT (UTC+hh:mm elsewhere): the show's clock as its pages name it."""
    return zone_name(dt.datetime.now(zone_of(show)))


def air_input(value: str, show: str, field: str = "air_from") -> str:
    """An air-window bound as the form shows it, in the show's zone without the offset (the form reads it back
    there): "2026-12-05" for a day's start (air_from) or its last second (air_until), else "2026-12-05 06:00"."""
    if not value:
        return ""
    zone = zone_of(show)
    try:
        local = air_time(value, zone, end_of_day=field == "air_until").astimezone(zone)
    except (TypeError, ValueError):
        return value
    if local.time() == (END_OF_DAY if field == "air_until" else dt.time(0)):
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def air_window_text(episode, show: str) -> Markup | str:
    """ "Senin, 21 Desember 2026 pukul 06.00 WITA – Sabtu, 26 Desember 2026 pukul 23.59 WITA" ("" for none)."""
    zone = zone_of(show)
    parts = []
    for field in ("air_from", "air_until"):
        value = getattr(episode, field)
        try:
            parts.append(local_time(air_time(value, zone, end_of_day=field == "air_until"), show) if value else "")
        except (TypeError, ValueError):
            parts.append(value)
    if not any(parts):
        return ""
    return Markup(" – ").join(part or "…" for part in parts)


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_filter(local_date, "localdate")
    app.add_template_filter(air_input, "airinput")
    app.add_template_global(zone_label, "zone_label")
    app.add_template_global(air_window_text, "air_window_text")
