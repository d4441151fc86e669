"""The strings of times as people say them (issue 28 item 5): the air window's fields on the episode page, the
time-zone notes. Each key in Indonesian and English."""

from __future__ import annotations

TIME_STRINGS: dict[str, tuple[str, str]] = {
    "time.air_hint": (("Tanggal, mis. 2026-12-01 (akhir siar: sampai akhir hari itu), atau tanggal dan jam, "
                       "mis. 2026-12-01 06:00, menurut jam acara ini ({zone}). Kosong: tanpa batas."),
                      ("A date, e.g. 2026-12-01 (as the end: until the end of that day), or a date and time, "
                       "e.g. 2026-12-01 06:00, on this show's clock ({zone}). Empty: no limit.")),
    "time.air_window_now": ("Disiarkan", "On air"),
    "time.air_window_none": ("Tanpa jadwal siar: stasiun boleh menyiarkannya kapan saja.",
                             "No air window: stations may air it at any time."),
    "time.zone_note": ("Waktu ditampilkan menurut jam {zone}.", "Times are shown in {zone}."),
}
