"""Live progress (issue 28, item 3) and the watch folder (item 11): each key in Indonesian and English."""

from __future__ import annotations

PROGRESS_STRINGS: dict[str, tuple[str, str]] = {
    "progress.stage.renditions": ("membuat versi podcast dan siaran", "making the podcast and broadcast versions"),
    "progress.stage.transcript": ("membuat transkrip", "transcribing"),
    "progress.stage.text": ("merapikan teks transkrip", "tidying the transcript text"),
    "progress.stage.clips": ("membuat klip video", "making the video clips"),
    "progress.left.minute": ("kurang dari semenit lagi", "under a minute left"),
    "progress.left.minutes": ("sekitar {n} menit lagi", "about {n} minutes left"),
    "progress.left.hours": ("sekitar {h} jam {m} menit lagi", "about {h} h {m} min left"),
    "progress.left.unknown": ("menghitung sisa waktu…", "working out the time left…"),
    "progress.label": ("Kemajuan", "Progress"),
    "jobs.col.step": ("Sedang dikerjakan", "Now doing"),
    "jobs.col.left": ("Sisa waktu", "Time left"),
    "watch.badge": ("masuk dari folder", "from the watch folder"),
    "watch.badge.title": ("Rekaman ini diambil sendiri dari folder pantauan acara",
                          "This recording was picked up from the show's watch folder"),
}
