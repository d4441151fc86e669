"""The figures as one CSV table (the Statistik page's export and `studio stats --csv`).

One long table rather than a section per figure, so a spreadsheet filters or pivots it and the csv module
reads it in one go: each row is one figure of one table (`tabel`), UTF-8 with a byte-order mark so Excel
reads the Indonesian names right.

    tabel      nama                     acara  episode  judul          jumlah  byte
    total      2026-11 (or "semua")                                    1234
    hari       2026-11-03                                              56
    bulan      2026-10                                                 1100
    episode    <episode id>             kpu    <id>     <title>        321
    aplikasi   AntennaPod                                              400
    platform   Android                                                 700
    negara     ID                                       Indonesia      1200
    klip       <clip>                   kpu    <id>     <title>        12     (page views)
    radio      <station>                                               3      1234567 (files, bytes)
"""

from __future__ import annotations

import csv
import io

from .names import country_name
from .report import StatsReport

COLUMNS = ("tabel", "nama", "acara", "episode", "judul", "jumlah", "byte")


def rows(report: StatsReport) -> list[tuple]:
    """The table's rows, header first."""
    out: list[tuple] = [COLUMNS, ("total", report.month or "semua", report.show or "", "", "", report.downloads, "")]
    out += [("hari", c.name, "", "", "", c.count, "") for c in report.by_day]
    out += [("bulan", c.name, "", "", "", c.count, "") for c in report.by_month]
    out += [("episode", e.episode, e.show, e.episode, e.title, e.downloads, "") for e in report.by_episode]
    out += [("aplikasi", c.name, "", "", "", c.count, "") for c in report.apps]
    out += [("platform", c.name, "", "", "", c.count, "") for c in report.platforms]
    out += [("negara", c.name, "", "", country_name(c.name), c.count, "") for c in report.countries]
    out += [("klip", v.clip, v.show, v.episode, v.title, v.views, "") for v in report.clip_views]
    out += [("radio", s.station, "", "", "", s.files, s.bytes) for s in report.radio]
    return out


def csv_bytes(report: StatsReport) -> bytes:
    """The report as CSV (UTF-8 with BOM, CRLF line ends as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows(report))
    return out.getvalue().encode("utf-8-sig")
