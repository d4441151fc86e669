"""The sound processing's strings (issue 24): the A/B switch of the episode page and the report's new rows,
each key in Indonesian and English. The report's words are `loudness.plot.*` (review.loudness_report.ReportLabels
reads every field from that prefix)."""

from __future__ import annotations

SOUND_STRINGS: dict[str, tuple[str, str]] = {
    "sound.ab.label": ("Bandingkan suara", "Compare the sound"),
    "sound.ab.original": ("Asli", "Original"),
    "sound.ab.processed": ("Diproses", "Processed"),
    "sound.ab.hint": (("Pindah antara suara asli dan versi podcast di detik yang sama. Suara asli diputar "
                       "sekeras versi podcast ({gain}), jadi yang terdengar berbeda hanyalah hasil pengolahan."),
                      ("Switch between the original recording and the podcast version at the same moment. The "
                       "original plays as loud as the podcast version ({gain}), so what you hear differ is the "
                       "processing alone.")),
    "sound.ab.now_original": ("Sekarang: suara asli", "Now playing: the original recording"),
    "sound.ab.now_processed": ("Sekarang: versi podcast", "Now playing: the podcast version"),
    "sound.ab.cannot_play": ("Peramban ini tidak dapat memutar format rekaman asli: unduh lewat tautan, atau "
                             "coba peramban lain.",
                             "This browser cannot play the original recording's format: download it from the "
                             "link, or try another browser."),
    "sound.ab.listen_original": ("Dengarkan suara asli", "Listen to the original recording"),
    "sound.title": ("Pengolahan suara", "Sound processing"),
    "sound.caption": ("Derau, dengung listrik dan selisih kenyaringan antarpembicara, sebelum dan sesudah",
                      "Noise, mains hum and the loudness gap between speakers, before and after"),
    "sound.done": ("Yang dikerjakan pengolahan suara:", "What the sound processing did:"),
    "sound.part.leveler": ("penyeimbang kenyaringan suara bicara", "speech leveler"),
    "sound.part.noise": ("pengurang derau", "noise reduction"),
    "sound.part.hum": ("penghilang dengung listrik", "mains hum removal"),
    "sound.part.highpass": ("peredam dengung rendah di bawah {hz} Hz", "rumble cut below {hz} Hz"),
    "sound.part.nothing": ("tidak ada: rekaman sudah bersih", "nothing: the recording was already clean"),
    "loudness.plot.sound_title": ("Pengolahan suara", "Sound processing"),
    "loudness.plot.noise_floor": ("Derau latar", "Background noise"),
    "loudness.plot.hum": ("Dengung listrik", "Mains hum"),
    "loudness.plot.hum_found": ("{hz} Hz, {count} harmonik, {level}", "{hz} Hz, {count} harmonics, {level}"),
    "loudness.plot.hum_none": ("tidak ada", "none"),
    "loudness.plot.hum_removed": ("dihilangkan", "removed"),
    "loudness.plot.hum_kept": ("tidak diubah", "left as it was"),
    "loudness.plot.speech_spread": ("Selisih kenyaringan antarpembicara", "Loudness gap between speakers"),
}
