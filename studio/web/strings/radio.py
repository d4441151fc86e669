"""The strings of the radio page's push stations (issue 25): each station's deliveries, their state, the one-line
reason of a failure, "push again". Each key in Indonesian and English."""

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
    "radio.push.col.time": ("Waktu (UTC)", "Time (UTC)"),
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
