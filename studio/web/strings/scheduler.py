"""The strings of the scheduler's page (issue 28 item 9): each broadcast file to listen to and download, its
loudness and cue points, the new station's token with its copy button and command, what a push station's
administrator sets up. Each key in Indonesian and English."""

from __future__ import annotations

SCHEDULER_STRINGS: dict[str, tuple[str, str]] = {
    "sched.files_intro": (("Inilah berkas yang diambil atau dikirim ke stasiun. Dengarkan sebelum disiarkan, "
                           "atau unduh untuk diperiksa di sistem siar."),
                          ("These are the files stations pull or are sent. Listen before they go on air, or "
                           "download one to check it in the playout system.")),
    "sched.listen": ("Dengarkan {title}", "Listen to {title}"),
    "sched.download": ("Unduh WAV", "Download WAV"),
    "sched.download_label": ("Unduh berkas siaran {title}", "Download the broadcast file {title}"),
    "sched.no_file": ("Berkas ini belum ada di server: terbitkan lagi.",
                      "This file is not on the server yet: publish again."),
    "sched.air": ("Jadwal siar", "Air window"),
    "sched.air_open": ("kapan saja", "any time"),
    "sched.loudness": ("Kenyaringan", "Loudness"),
    "sched.loudness_value": ("{lufs} LUFS terpadu, puncak sejati {peak} dBTP, rentang {lra} LU",
                             "{lufs} LUFS integrated, true peak {peak} dBTP, range {lra} LU"),
    "sched.cues": ("Titik isyarat", "Cue points"),
    "sched.cues_value": ("mulai {cue_in}, selesai {cue_out}, fade {fade} ms di kedua ujung",
                         "cue in {cue_in}, cue out {cue_out}, {fade} ms fades at both ends"),
    "sched.cart": ("Chunk cart (dibaca Rivendell)", "Cart chunk (read by Rivendell)"),
    "sched.cart_value": ("ID potongan {cut}; mulai {start}; akhir {end}", "cut ID {cut}; start {start}; end {end}"),
    "sched.cart_none": ("tidak ada", "none"),
    "sched.cart_open_end": ("tanpa akhir", "no end"),
    "sched.duration": ("Durasi", "Duration"),
    "sched.token_title": ("Token untuk stasiun {name}", "Token for station {name}"),
    "sched.token_once": (("Salin token ini sekarang: token hanya ditampilkan sekali. Hilang? Cabut stasiunnya lalu "
                          "tambahkan lagi."),
                         "Copy this token now: it is shown only once. Lost? Revoke the station and add it again."),
    "sched.copy": ("Salin", "Copy"),
    "sched.copy_token": ("Salin token", "Copy the token"),
    "sched.copy_command": ("Salin perintah", "Copy the command"),
    "sched.copied": ("Tersalin.", "Copied."),
    "sched.copy_by_hand": (("Peramban tidak mengizinkan menyalin otomatis: teksnya sudah dipilih, tekan Ctrl+C "
                            "(atau tahan lalu pilih Salin)."),
                           ("The browser does not allow copying here: the text is selected, press Ctrl+C (or "
                            "long-press and choose Copy).")),
    "sched.command_intro": (("Di komputer stasiun, jalankan perintah ini tiap menit (cron). Ganti {dest} dengan "
                             "folder impor sistem siar stasiun."),
                            ("On the station's computer, run this command every minute (cron). Replace {dest} "
                             "with the playout system's import folder.")),
    "sched.side": ("Pengaturan di sisi stasiun", "Settings on the station's side"),
    "sched.side_intro": (("Pengelola sistem siar stasiun memeriksa pengaturan ini; kunci API tersimpan di server "
                          "Studio dan tidak pernah ditampilkan."),
                         ("The station's playout administrator checks these settings; the API key is kept on "
                          "Studio's server and never shown.")),
    "sched.side.rdimport": (("Di komputer Rivendell, rdimport mengawasi folder drop box dengan perintah ini:"),
                            "On the Rivendell machine, rdimport watches the drop box with this command:"),
    "sched.side.kind": ("Jenis", "Kind"),
    "sched.side.url": ("Alamat stasiun", "Station address"),
    "sched.side.station_id": ("ID stasiun AzuraCast", "AzuraCast station ID"),
    "sched.side.drop_folder": ("Folder drop box", "Drop box folder"),
    "sched.side.group": ("Grup Rivendell", "Rivendell group"),
    "sched.side.carts": ("Nomor cart", "Cart numbers"),
    "sched.side.timezone": ("Zona waktu stasiun", "Station's time zone"),
}
