"""The episode basics' strings (issue 28 item 6): publish time, season and number, type, the episode's own
artwork, unpublish and restore, and the approval part they make lapse; each key in Indonesian and English."""

from __future__ import annotations

BASICS_STRINGS: dict[str, tuple[str, str]] = {
    "basics.title": ("Penerbitan dan data podcast", "Publishing and podcast details"),
    "basics.status.now": ("Terbit begitu siap (tanpa jadwal).", "Goes out as soon as it is ready (no schedule)."),
    "basics.status.scheduled": ("Dijadwalkan terbit {when}. Sebelum itu episode ini tidak ada di feed, situs, "
                                "maupun pencarian.",
                                "Scheduled to go out {when}. Until then it is not in the feed, the site or search."),
    "basics.status.due": ("Jadwal terbit {when} sudah lewat: episode ini ikut terbit berikutnya.",
                          "Its publish time {when} has passed: the next publish carries it."),
    "basics.status.unpublished": ("Ditarik sejak {when}: tidak ada di feed, situs, maupun pencarian setelah "
                                  "penerbitan berikutnya.",
                                  "Unpublished since {when}: out of the feed, the site and search from the next "
                                  "publish on."),
    "basics.publish_at": ("Waktu terbit", "Publish time"),
    "basics.publish_at_hint": ("Waktu setempat acara ({zone}). Kosongkan agar terbit begitu siap.",
                               "The show's local time ({zone}). Leave empty to go out as soon as it is ready."),
    "basics.season": ("Musim", "Season"),
    "basics.number": ("Nomor episode", "Episode number"),
    "basics.numbers_hint": ("Angka mulai 1; kosongkan bila acara tidak memakai musim atau nomor.",
                            "Whole numbers from 1; leave empty when the show has no seasons or numbers."),
    "basics.type": ("Jenis episode", "Episode type"),
    "basics.type.full": ("Episode lengkap", "Full episode"),
    "basics.type.trailer": ("Cuplikan (trailer)", "Trailer"),
    "basics.type.bonus": ("Bonus", "Bonus"),
    "basics.save": ("Simpan penerbitan", "Save publishing details"),
    "basics.saved": ("Tersimpan. Penerbitan berikutnya membawa perubahan ini ke feed dan situs.",
                     "Saved. The next publish takes this to the feed and the site."),
    "basics.artwork": ("Sampul episode", "Episode artwork"),
    "basics.artwork_hint": ("JPEG atau PNG persegi, 1400–3000 piksel (aturan yang sama dengan sampul acara). "
                            "Tanpa sampul sendiri, episode memakai sampul acara.",
                            "A square JPEG or PNG, 1400–3000 pixels (the same rule as the show's artwork). "
                            "Without its own, the episode uses the show's artwork."),
    "basics.artwork_current": ("Sampul episode ini", "This episode's artwork"),
    "basics.artwork_show": ("Memakai sampul acara.", "Uses the show's artwork."),
    "basics.artwork_upload": ("Unggah sampul", "Upload artwork"),
    "basics.artwork_remove": ("Pakai sampul acara", "Use the show's artwork"),
    "basics.artwork_saved": ("Sampul episode tersimpan.", "The episode artwork was saved."),
    "basics.artwork_removed": ("Episode kembali memakai sampul acara.", "The episode uses the show's artwork again."),
    "basics.artwork_bad": ("Sampul ditolak: pilih gambar JPEG atau PNG persegi berukuran 1400–3000 piksel, tanpa "
                           "transparansi.",
                           "The artwork was refused: choose a square JPEG or PNG image of 1400–3000 pixels, without "
                           "transparency."),
    "basics.artwork_none": ("Belum ada gambar yang dipilih: pilih berkas JPEG atau PNG lalu unggah.",
                            "No image was chosen: choose a JPEG or PNG file, then upload."),
    "basics.unpublish": ("Tarik episode", "Unpublish"),
    "basics.unpublish_hint": ("Episode hilang dari feed, situs, dan pencarian pada penerbitan berikutnya; berkasnya "
                              "tetap tersimpan di sini dan bisa diterbitkan lagi kapan saja.",
                              "The episode leaves the feed, the site and search at the next publish; its files stay "
                              "here and it can be put back at any time."),
    "basics.unpublish_confirm": ("Ya, tarik episode ini dari feed dan situs", "Yes, take this episode out of the "
                                 "feed and the site"),
    "basics.unpublish_need_confirm": ("Centang kotak konfirmasi dulu untuk menarik episode.",
                                      "Tick the confirmation box first to unpublish the episode."),
    "basics.unpublished": ("Episode ditarik. Penerbitan berikutnya mengeluarkannya dari feed, situs, dan pencarian.",
                           "The episode was unpublished. The next publish takes it out of the feed, the site and "
                           "search."),
    "basics.restore": ("Terbitkan lagi", "Put it back"),
    "basics.restored": ("Episode dikembalikan: penerbitan berikutnya membawanya lagi.",
                        "The episode was put back: the next publish carries it again."),
    "basics.publish_queued": ("Penerbitan dimulai di latar belakang.", "Publishing started in the background."),
    "basics.publish_yourself": ("Buka halaman Terbitkan untuk menerapkannya sekarang.",
                                "Open the Publish page to apply it now."),
    "basics.error.time": ("Waktu terbit tidak terbaca: isi tanggal dan jam, mis. 2026-12-21 06:00.",
                          "The publish time could not be read: give a date and time, e.g. 2026-12-21 06:00."),
    "basics.error.number": ("Musim dan nomor episode harus angka bulat mulai 1: perbaiki isiannya.",
                            "Season and episode number must be whole numbers from 1: correct them."),
    "basics.error.type": ("Pilih jenis episode: lengkap, cuplikan, atau bonus.",
                          "Choose an episode type: full, trailer or bonus."),
    "basics.season_short": ("Musim {n}", "Season {n}"),
    "basics.number_short": ("Episode {n}", "Episode {n}"),
    "approval.part.details": ("musim, nomor, jenis, atau sampul episode", "the season, number, type or artwork"),
}
