"""The monthly report ("Laporan bulanan"): one A4 page an office attaches to its performance report.

The show (or office), the month, the total downloads, the downloads per day as bars, the most downloaded
episodes, apps, countries, clip views and radio deliveries, when the figures were counted through and that they
follow the IAB guideline without being certified. Drawn with Pillow and the bundled font, as the loudness
report is (studio.review.loudness_report), so it looks the same on every machine; the words come in as
`MonthlyLabels` (Indonesian by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from ..review.loudness_report import GRID, INK, MUTED, PODCAST, WHITE, _font, pdf_bytes
from .chart import bar_chart
from .names import country_name, day_name, month_name, number
from .report import StatsReport

PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 90
FOOT = 19  # the footer's font size


@dataclass(frozen=True)
class MonthlyLabels:
    """Every word of the page (the web app passes them in its language)."""

    lang: str = "id"
    title: str = "Laporan bulanan"
    office: str = ""  # the show's title or the office's name; empty: the show's slug, or `every_show`
    every_show: str = "Semua acara"
    all_time: str = "Sepanjang waktu"
    total: str = "Total unduhan"
    downloads: str = "unduhan"
    per_day: str = "Unduhan per hari"
    episodes: str = "Episode terbanyak diunduh"
    apps: str = "Aplikasi pendengar"
    countries: str = "Negara"
    clips: str = "Klip yang dilihat"
    views: str = "kali dilihat"
    radio: str = "Pengiriman ke stasiun radio"
    files: str = "berkas"
    none: str = "Belum ada."
    counted_through: str = "Dihitung sampai {day}."
    note: str = ("Unduhan dihitung mengikuti Pedoman Teknis Pengukuran Podcast IAB v2.2 (pendengar unik per "
                 "episode per hari, bot dan pusat data tidak dihitung), tetapi tidak disertifikasi IAB.")
    made: str = "Dibuat oleh Studio, {day}."


class _Page:
    """A page being drawn top to bottom; `texts` keeps every text drawn, in order."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", PAGE, WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.texts: list[str] = []

    def text(self, xy: tuple[float, float], text: str, size: int, fill=INK, anchor: str = "la",
             width: float | None = None) -> None:
        font = _font(size)
        if width is not None:
            text = _fit(self.draw, text, font, width)
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor)
        self.texts.append(text)

    def wrapped(self, x: float, y: float, text: str, size: int, width: float, fill=MUTED) -> float:
        """`text` in lines no wider than `width` from (x, y): the y below it."""
        font, line = _font(size), ""
        for word in text.split():
            if line and self.draw.textlength(f"{line} {word}", font=font) > width:
                self.text((x, y), line, size, fill)
                y, line = y + size * 1.4, word
            else:
                line = f"{line} {word}".strip()
        if line:
            self.text((x, y), line, size, fill)
            y += size * 1.4
        return y

    def listing(self, x: float, y: float, width: float, heading: str, items: list[tuple[str, str]],
                none: str, rows: int = 5) -> None:
        """A heading and up to `rows` lines of name and figure (right-aligned)."""
        self.text((x, y), heading, 28)
        self.draw.line([(x, y + 42), (x + width, y + 42)], fill=GRID, width=2)
        y += 58
        if not items:
            self.text((x, y), none, 24, MUTED)
        for name, figure in items[:rows]:
            figure_width = self.draw.textlength(figure, font=_font(24))
            self.text((x, y), name, 24, width=width - figure_width - 20)
            self.text((x + width, y), figure, 24, anchor="ra")
            y += 38


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width`."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _whose(report: StatsReport, labels: MonthlyLabels) -> str:
    return labels.office or report.show or labels.every_show


def monthly_page(report: StatsReport, labels: MonthlyLabels = MonthlyLabels(),
                 today: dt.date | None = None) -> tuple[Image.Image, list[str]]:
    """The page as a picture, and every text on it in order."""
    lang = labels.lang
    page = _Page()
    left, right = MARGIN, PAGE[0] - MARGIN
    page.text((left, 80), labels.title, 56)
    heading = f"{_whose(report, labels)} · {month_name(report.month, lang, labels.all_time)}"
    page.text((left, 155), heading, 34, MUTED, width=right - left)

    page.text((left, 225), labels.total, 28, MUTED)
    page.text((left, 260), number(report.downloads, lang), 96, PODCAST)

    # the downloads per day
    page.text((left, 400), labels.per_day, 28)
    axis = 90
    chart = bar_chart(report.by_day, right - left - axis, 260)
    top, x0 = 455, left + axis
    for tick in chart.ticks:
        y = top + tick.y
        page.draw.line([(x0, y), (right, y)], fill=GRID, width=1)
        page.text((x0 - 14, y), number(tick.value, lang), 20, MUTED, anchor="rm")
    for bar in chart.bars:
        if bar.height > 0:
            page.draw.rectangle([x0 + bar.x, top + bar.y, x0 + bar.x + bar.width, top + chart.height],
                                fill=PODCAST)
    every = chart.label_every(56)
    for i, bar in enumerate(chart.bars):
        if i % every == 0:
            page.text((x0 + bar.x + bar.width / 2, top + chart.height + 12), day_name(bar.name, lang, "d"), 20,
                      MUTED, anchor="ma")

    # the lists, two columns
    column = (right - left - 60) / 2
    second = left + column + 60
    page.listing(left, 790, right - left, labels.episodes,
                 [(e.title, number(e.downloads, lang)) for e in report.by_episode], labels.none)
    page.listing(left, 1070, column, labels.apps, [(c.name, number(c.count, lang)) for c in report.apps],
                 labels.none)
    page.listing(second, 1070, column, labels.countries,
                 [(country_name(c.name, lang), number(c.count, lang)) for c in report.countries], labels.none)
    page.listing(left, 1350, column, labels.clips,
                 [(v.title, number(v.views, lang)) for v in report.clip_views], labels.none, rows=4)
    page.listing(second, 1350, column, labels.radio,
                 [(s.station, f"{number(s.files, lang)} {labels.files}") for s in report.radio], labels.none, rows=4)

    # the footer
    y = 1600.0
    if report.counted_through:
        day = day_name(report.counted_through, lang, "long")
        y = page.wrapped(left, y, labels.counted_through.format(day=day), FOOT, right - left)
    y = page.wrapped(left, y, labels.note, FOOT, right - left)
    made = labels.made.format(day=day_name((today or dt.date.today()).isoformat(), lang, "long"))
    page.wrapped(left, y, made, FOOT, right - left)
    return page.image, page.texts


def pdf_title(report: StatsReport, labels: MonthlyLabels = MonthlyLabels()) -> str:
    """The PDF's title: the report, whose, which month and the total (what a file list shows)."""
    return (f"{labels.title} - {_whose(report, labels)} - "
            f"{month_name(report.month, labels.lang, labels.all_time)} - "
            f"{number(report.downloads, labels.lang)} {labels.downloads}")


def monthly_pdf(report: StatsReport, labels: MonthlyLabels = MonthlyLabels()) -> bytes:
    """The monthly report as a one-page PDF."""
    image, _ = monthly_page(report, labels)
    return pdf_bytes(image, pdf_title(report, labels))
