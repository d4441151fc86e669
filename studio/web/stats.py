"""The Statistik page (producers and admins): the listener figures of a month, of one show or every show, with
their CSV export and the monthly PDF report.

The page only renders `studio.stats.report.report()`; the chart is SVG drawn on the server from the same bar
layout as the PDF's (studio.stats.chart), with the figures in a table beside it. A user limited to some shows
sees one of their shows at a time (their first by default); a show not theirs is not there for them (404).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import Blueprint, abort, flash, render_template, request

from ..errors import BadInput, ResourceError
from ..stats import report as report_mod
from ..stats.chart import bar_chart
from ..stats.csvout import csv_bytes
from ..stats.names import country_name, day_name, is_month, month_name, number, shift_month
from ..stats.pdf import MonthlyLabels, monthly_pdf
from .auth import can_see, role_required, sees_every_show
from .context import lang, t, workspace

bp = Blueprint("stats", __name__)
LONG, SHORT = 50, 20  # rows the page shows of episodes and clips, of apps, platforms and countries (CSV: all)
CHART = (420, 150)  # the plot area of the SVG, in its own units (the picture scales to the page's width)


@dataclass(frozen=True)
class Choice:
    show: str  # "" every show
    month: str  # YYYY-MM


def this_month() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")


def visible_shows() -> dict:
    return {slug: show for slug, show in workspace().shows().items() if can_see(slug)}


def choice() -> tuple[Choice, bool]:
    """The show and month asked for, and whether the month was one (if not: this month). A show the user may
    not see, or none at all for a user limited to shows, is 404."""
    shows = visible_shows()
    show = request.args.get("show", "")
    if show and show not in shows:
        abort(404)
    if not show and not sees_every_show():  # limited to some shows: never the figures of every show
        show = next(iter(shows), "")
        if not show:
            abort(404)
    month = request.args.get("month", "") or this_month()
    return (Choice(show, month), True) if is_month(month) else (Choice(show, this_month()), False)


def figures(chosen: Choice) -> report_mod.StatsReport | None:
    """The report of `chosen`, or None when it cannot be read now (the page says so)."""
    try:
        return report_mod.report(workspace(), chosen.show or None, chosen.month)
    except (BadInput, ResourceError, OSError):
        return None


def per_show(found: report_mod.StatsReport, shows: dict) -> list[tuple[str, int]]:
    """The month's downloads of each show (from its episodes'), most first."""
    totals: dict[str, int] = defaultdict(int)
    for episode in found.by_episode:
        totals[episode.show] += episode.downloads
    named = [(shows[s].title if s in shows else s, n) for s, n in totals.items()]
    return sorted(named, key=lambda item: (-item[1], item[0]))


def office_name(chosen: Choice) -> str:
    shows = visible_shows()
    return shows[chosen.show].title if chosen.show in shows else ""


@bp.route("/statistik")
@role_required("producer", "admin")
def index():
    chosen, month_ok = choice()
    status = 200
    if not month_ok:
        flash(t("stats.bad_month"), "error")
        status = 400
    found = figures(chosen)
    if found is None:
        flash(t("stats.unavailable"), "error")
        found, status = report_mod.StatsReport(show=chosen.show or None, month=chosen.month), 503
    shows = visible_shows()
    code = lang()
    chart = bar_chart(found.by_day, *CHART)
    return render_template(
        "stats.html", report=found, chosen=chosen, long=LONG, short=SHORT, shows=shows, every_show=sees_every_show(), chart=chart,
        label_every=chart.label_every(22), per_show=per_show(found, shows) if not chosen.show else [],
        month_title=month_name(chosen.month, code), prev_month=shift_month(chosen.month, -1),
        next_month=shift_month(chosen.month, 1), log_off=not workspace().settings.access_log,
        num=lambda value: number(value, code), country=lambda c: country_name(c, code),
        day=lambda d, pattern="d MMM": day_name(d, code, pattern), month=lambda m: month_name(m, code),
        megabytes=lambda b: f"{number(round(b / 1e6), code)} MB"), status


def _exported(make, mimetype: str, stem: str, suffix: str):
    """The chosen figures made into a file by `make(report, choice)`, as a download."""
    chosen, month_ok = choice()
    if not month_ok:
        abort(404)
    found = figures(chosen)
    if found is None:
        return t("stats.unavailable"), 503, {"Content-Type": "text/plain; charset=utf-8"}
    name = f"{stem}-{chosen.show or 'semua'}-{chosen.month}.{suffix}"
    return make(found, chosen), 200, {"Content-Type": mimetype, "Cache-Control": "private, no-cache",
                                      "Content-Disposition": f'attachment; filename="{name}"'}


@bp.route("/statistik.csv")
@role_required("producer", "admin")
def export_csv():
    return _exported(lambda found, _: csv_bytes(found), "text/csv; charset=utf-8", "statistik", "csv")


@bp.route("/statistik.pdf")
@role_required("producer", "admin")
def export_pdf():
    return _exported(lambda found, chosen: monthly_pdf(found, MonthlyLabels(office=office_name(chosen))),
                     "application/pdf", "laporan-bulanan", "pdf")
