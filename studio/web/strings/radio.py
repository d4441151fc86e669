"""The strings of the radio page (issue 25): the push stations (each station's deliveries, their state, the one-line
reason of a failure, "push again") and the off-air recordings (the ones coming up, the recent ones with their
state). Each key in Indonesian and English."""

from __future__ import annotations

RADIO_PUSH_STRINGS: dict[str, tuple[str, str]] = {
    "radio.push.title": ("Kiriman ke sistem siar stasiun", "Deliveries to stations' playout systems"),
    "radio.push.intro": (("Studio mengirim berkas siaran yang jendela siarnya sedang atau akan berjalan ke stasiun "
                          "ini setiap kali menerbitkan."),
                         ("Studio delivers each broadcast file whose air window is current or future to these "
                          "stations every time it publishes.")),
    "radio.push.kind.pull": ("menarik sendiri dengan token", "pulls with a token"),
    "radio.push.kind.azuracast": ("AzuraCast", "AzuraCast"),
    "radio.push.kind.libretime": ("LibreTime", "LibreTime"),
    "radio.push.kind.rivendell": ("Rivendell (folder drop box)", "Rivendell (drop box folder)"),
    "radio.push.col.file": ("Berkas siaran", "Broadcast file"),
    "radio.push.col.state": ("Status", "State"),
    "radio.push.col.time": ("Waktu", "Time"),
    "radio.push.state.delivered": ("terkirim", "delivered"),
    "radio.push.state.failed": ("gagal", "failed"),
    "radio.push.state.pending": ("menunggu dikirim", "pending"),
    "radio.push.state.expired": ("kedaluwarsa", "expired"),
    "radio.push.again": ("Kirim ulang", "Push again"),
    "radio.push.queued": (("Pengiriman ulang masuk antrean. Muat ulang halaman ini sebentar lagi untuk melihat "
                           "hasilnya."),
                          "The push is queued. Reload this page in a moment to see how it went."),
    "radio.push.not_queued": (("Pengiriman ulang tidak dapat dimasukkan ke antrean sekarang: coba lagi sebentar lagi, "
                               "atau minta operator menjalankan `studio radio push`."),
                              ("The push could not be queued now: try again in a moment, or ask the operator to "
                               "run `studio radio push`.")),
    "radio.push.none": ("Belum ada berkas siaran untuk stasiun ini.", "No broadcast file for this station yet."),
    "radio.push.reason.auth": (("Stasiun menolak kunci API. Minta kunci baru kepada admin stasiun, lalu minta operator "
                                "menambahkan ulang stasiun ini dengan kunci itu."),
                               ("The station refused the API key. Ask the station's admin for a new key, then ask "
                                "the operator to add the station again with it.")),
    "radio.push.reason.too_large": (("Berkas terlalu besar untuk server stasiun. Minta admin stasiun menaikkan batas "
                                     "unggahan, lalu kirim ulang."),
                                    ("The file is too large for the station's server. Ask the station's admin to "
                                     "raise the upload limit, then push again.")),
    "radio.push.reason.unreachable": (("Stasiun tidak dapat dihubungi. Periksa jaringan (atau folder drop box "
                                       "Rivendell), lalu kirim ulang."),
                                      ("The station cannot be reached. Check the network (or the Rivendell drop box "
                                       "folder), then push again.")),
    "radio.push.reason.server": ("Server stasiun sedang bermasalah. Kirim ulang beberapa saat lagi.",
                                 "The station's server is failing. Push again in a while."),
    "radio.push.reason.refused": (("Stasiun menolak kiriman ini. Minta operator memeriksa pengaturan stasiun "
                                   "(`studio radio push` menyebut alasannya), lalu kirim ulang."),
                                  ("The station refused this delivery. Ask the operator to check the station's "
                                   "settings (`studio radio push` says why), then push again.")),
}

RADIO_RECORDING_STRINGS: dict[str, tuple[str, str]] = {
    "radio.rec.title": ("Rekaman siaran", "Off-air recordings"),
    "radio.rec.intro": (("Studio merekam acara yang disiarkan langsung, lalu menjadikannya episode. Jadwalnya ada di "
                         "[[recordings]] pada pengaturan tiap acara; minta operator mengubahnya."),
                        ("Studio records programmes aired live and makes each an episode. The schedule is in each "
                         "show's [[recordings]] settings; ask the operator to change it.")),
    "radio.rec.upcoming": ("Akan direkam (7 hari ke depan)", "Coming up (next 7 days)"),
    "radio.rec.upcoming_none": (("Tidak ada rekaman terjadwal dalam 7 hari ke depan. Minta operator menambahkan "
                                 "[[recordings]] pada pengaturan acara bila sebuah siaran perlu direkam."),
                                ("No recording is scheduled in the next 7 days. Ask the operator to add "
                                 "[[recordings]] to a show's settings when a programme should be recorded.")),
    "radio.rec.recent": ("Rekaman terakhir", "Recent recordings"),
    "radio.rec.recent_none": ("Belum ada siaran yang direkam.", "No programme has been recorded yet."),
    "radio.rec.col.start": ("Mulai (waktu setempat)", "Start (local time)"),
    "radio.rec.col.show": ("Acara", "Show"),
    "radio.rec.col.title": ("Judul episode", "Episode title"),
    "radio.rec.col.duration": ("Durasi", "Duration"),
    "radio.rec.col.source": ("Sumber siaran", "Stream"),
    "radio.rec.col.state": ("Status", "State"),
    "radio.rec.col.episode": ("Episode", "Episode"),
    "radio.rec.state.started": ("sedang merekam", "recording"),
    "radio.rec.state.done": ("selesai", "done"),
    "radio.rec.state.failed": ("gagal", "failed"),
    "radio.rec.state.missed": ("terlewat", "missed"),
    "radio.rec.state.stopped": ("terhenti", "stopped"),
    "radio.rec.stopped_why": (("Perekaman berhenti tanpa kabar sebelum selesai (perekam mati atau mesin padam). Minta "
                               "operator memeriksa perekam."),
                              ("The recording stopped without a word before its end (the recorder was killed or the "
                               "machine went off). Ask the operator to check the recorder.")),
    "radio.rec.gaps": ("{n} jeda, {s} detik diisi hening", "{n} gap(s), {s} s filled with silence"),
    "radio.rec.no_gaps": ("tanpa jeda", "no gaps"),
    "radio.rec.missed_why": (("Tidak ada perekam yang berjalan saat siaran dimulai. Minta operator memastikan "
                              "`studio recorder` atau worker rekaman selalu berjalan."),
                             ("Nothing was running when the programme started. Ask the operator to keep "
                              "`studio recorder` or a recording worker running.")),
    "radio.rec.reason.no_stream": (("Siaran tidak dapat diterima. Periksa alamat siaran dan pastikan stasiun sedang "
                                    "mengudara."),
                                   "The stream never came up. Check its address and that the station is on air."),
    "radio.rec.reason.not_live": (("Alamat itu bukan siaran langsung. Minta operator memasang alamat siaran "
                                   "stasiun, atau unggah berkasnya sebagai episode."),
                                  ("That address is not a live stream. Ask the operator to set the station's stream "
                                   "address, or upload the file as an episode.")),
    "radio.rec.reason.no_time": (("Tidak ada perekam yang bebas sebelum siaran berakhir. Minta operator menjalankan "
                                  "perekam tambahan."),
                                 ("No recorder was free before the programme ended. Ask the operator to run another "
                                  "recorder.")),
    "radio.rec.reason.interrupted": (("Perekaman dihentikan sebelum selesai dan tidak ada yang tersimpan. Minta "
                                      "operator memeriksa perekam."),
                                     ("The recording was stopped before its end and nothing was kept. Ask the "
                                      "operator to check the recorder.")),
    "radio.rec.reason.ingest": (("Rekaman tersimpan, tetapi gagal dijadikan episode. Minta operator memeriksanya "
                                 "(`studio recordings` menyebut alasannya)."),
                                ("The recording was kept but could not be made an episode. Ask the operator to check "
                                 "it (`studio recordings` says why).")),
    "radio.rec.reason.other": (("Perekaman gagal. Minta operator memeriksa perekam (`studio recordings` menyebut "
                                "alasannya)."),
                               ("The recording failed. Ask the operator to check the recorder (`studio recordings` "
                                "says why).")),
}
