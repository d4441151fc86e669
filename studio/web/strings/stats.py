"""The Statistik page's strings (issue 26), each key in Indonesian and English. The monthly PDF's words are
studio.stats.pdf.MonthlyLabels' (the report is Indonesian); the note on the guideline is said once, there."""

from __future__ import annotations

from ...stats.pdf import MonthlyLabels

STATS_STRINGS: dict[str, tuple[str, str]] = {
    "nav.stats": ("Statistik", "Statistics"),
    "stats.title": ("Statistik pendengar", "Listener statistics"),
    "stats.month": ("Bulan", "Month"),
    "stats.show": ("Acara", "Show"),
    "stats.every_show": ("Semua acara", "Every show"),
    "stats.apply": ("Tampilkan", "Show"),
    "stats.prev_month": ("Bulan sebelumnya", "Previous month"),
    "stats.next_month": ("Bulan berikutnya", "Next month"),
    "stats.total": ("Total unduhan", "Total downloads"),
    "stats.per_day": ("Unduhan per hari", "Downloads per day"),
    "stats.chart_desc": ("Diagram batang unduhan setiap hari bulan {month}, tertinggi {top}. Angkanya ada di "
                         "tabel di bawahnya.",
                         "Bar chart of the downloads on each day of {month}, at most {top}. The figures are in "
                         "the table below it."),
    "stats.day_table": ("Tabel unduhan per hari", "Downloads per day as a table"),
    "stats.col.day": ("Tanggal", "Day"),
    "stats.col.downloads": ("Unduhan", "Downloads"),
    "stats.per_month": ("Unduhan per bulan", "Downloads per month"),
    "stats.col.month": ("Bulan", "Month"),
    "stats.per_show": ("Unduhan per acara", "Downloads per show"),
    "stats.episodes": ("Unduhan per episode", "Downloads per episode"),
    "stats.col.episode": ("Episode", "Episode"),
    "stats.apps": ("Aplikasi pendengar", "Listeners' apps"),
    "stats.col.app": ("Aplikasi", "App"),
    "stats.platforms": ("Perangkat", "Platforms"),
    "stats.col.platform": ("Sistem atau perangkat", "System or device"),
    "stats.countries": ("Negara", "Countries"),
    "stats.col.country": ("Negara", "Country"),
    "stats.clips": ("Klip yang dilihat di situs pendengar", "Clip pages viewed on the listener site"),
    "stats.col.clip": ("Klip", "Clip"),
    "stats.col.views": ("Dilihat", "Views"),
    "stats.radio": ("Pengiriman ke stasiun radio", "Deliveries to radio stations"),
    "stats.col.station": ("Stasiun", "Station"),
    "stats.col.files": ("Berkas siaran", "Broadcast files"),
    "stats.col.size": ("Ukuran", "Size"),
    "stats.none": ("Belum ada.", "None yet."),
    "stats.more": ("{shown} teratas dari {total}; semuanya ada di CSV.", "The top {shown} of {total}; all are in the CSV."),
    "stats.counted_through": ("Dihitung sampai {day}; hari sesudahnya dihitung setelah jendela 24 jamnya "
                              "selesai.",
                              "Counted through {day}; later days are counted once their 24-hour window has "
                              "closed."),
    "stats.not_counted": (("Belum ada hari yang selesai dihitung: sebuah hari dihitung setelah jendela 24 jamnya "
                           "selesai dan log yang terlambat sempat tiba."),
                          ("No day has been counted yet: a day is counted once its 24-hour window has closed and "
                           "late logs have had time to arrive.")),
    "stats.note": (MonthlyLabels.note,
                   "Downloads are counted following the IAB Podcast Measurement Technical Guidelines v2.2 (unique "
                   "listeners per episode per day, bots and data centres left out), but are not IAB certified."),
    "stats.empty": (("Belum ada unduhan tercatat untuk {month}. Bagikan alamat feed acara (di situs pendengar) "
                     "kepada pendengar: setiap unduhan lewat `studio serve` tercatat dengan sendirinya, dan log "
                     "dari bucket atau server web dibaca operator dengan `studio stats import`."),
                    ("No downloads counted for {month} yet. Share the show's feed address (on the listener site) "
                     "with listeners: every download through `studio serve` is counted by itself, and the "
                     "operator reads the logs of a bucket or web server with `studio stats import`.")),
    "stats.log_off": (("Pencatatan akses `studio serve` dimatikan (access_log = false di studio.toml): unduhan "
                       "lewat `studio serve` tidak dihitung. Minta operator menyalakannya."),
                      ("`studio serve`'s access log is off (access_log = false in studio.toml): downloads through "
                       "`studio serve` are not counted. Ask the operator to turn it on.")),
    "stats.csv": ("Unduh CSV", "Download CSV"),
    "stats.pdf": ("Laporan bulanan (PDF)", "Monthly report (PDF, Indonesian)"),
    "stats.bad_month": ("Bulan tidak dikenal: pilih bulan dengan pemilih bulan (misalnya 2026-11).",
                        "Unknown month: pick one with the month picker (for example 2026-11)."),
    "stats.unavailable": (("Statistik tidak dapat dibaca saat ini. Muat ulang sebentar lagi; bila tetap begini, "
                           "minta operator menjalankan `studio stats` untuk melihat sebabnya."),
                          ("The statistics cannot be read right now. Reload in a moment; if it stays like this, "
                           "ask the operator to run `studio stats` to see why.")),
}
