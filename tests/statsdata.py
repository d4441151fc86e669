"""A month of listener figures whose every number is known: the Statistik page's, CSV's and PDF's tests build
on it (the counting itself is studio.stats' and tested there)."""

from __future__ import annotations

from studio.stats.report import ClipViews, Count, EpisodeDownloads, StationDeliveries, StatsReport

DAYS = tuple(Count(f"2026-11-{d:02d}", (d * 37) % 90 + (200 if d == 12 else 0)) for d in range(1, 31))
TOTAL = sum(c.count for c in DAYS)  # 1565


def november(show: str | None = None) -> StatsReport:
    """November 2026 of shows kpu and bawaslu (every show), or of `show`."""
    return StatsReport(
        show=show, month="2026-11", downloads=TOTAL, by_day=DAYS,
        by_month=(Count("2026-09", 812), Count("2026-10", 1405), Count("2026-11", TOTAL)),
        by_episode=(EpisodeDownloads("kpu", "kpu/2026-11-02-dpt", "DPT dan pemilih pindahan", 912),
                    EpisodeDownloads("kpu", "kpu/2026-11-09-tps-baru", "TPS baru dan KPPS", 544),
                    EpisodeDownloads("bawaslu", "bawaslu/2026-11-10-pengawasan", "Pengawasan kampanye", 109)),
        apps=(Count("Spotify", 700), Count("Apple Podcasts", 420), Count("AntennaPod", 312), Count("Chrome", 133)),
        platforms=(Count("Android", 1100), Count("iOS", 465)),
        countries=(Count("ID", 1458), Count("MY", 70), Count("NL", 31), Count("ZZ", 6)),
        clip_views=(ClipViews("kpu", "kpu/2026-11-02-dpt", "01-square", "Cara pindah memilih", 230),),
        radio=(StationDeliveries("abdi-persada", 6, 812_000_000),),
        counted_through="2026-11-29",
    )
