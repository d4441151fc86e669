"""What the library says (BadInput, ProcessingError: English lines for the command line), as a page says it:
each key in Indonesian and English, naming no path, errno or traceback. studio/web/messages.py maps a
library line onto these keys; `message.unknown` is what a page shows of a line it does not know."""

from __future__ import annotations

LIBRARY_MESSAGE_STRINGS: dict[str, tuple[str, str]] = {
    # anything the web edge does not know: never the line itself (it may name a path)
    "message.unknown": ("Tidak dapat dilakukan. Periksa isian Anda lalu coba lagi; bila terulang, beri tahu operator.",
                        "This could not be done. Check what you entered and try again; if it happens again, "
                        "tell the operator."),
    "message.decimal_mark": (",", "."),
    "message.processing": ("Pemrosesan gagal di server. Coba lagi nanti; bila terulang, beri tahu operator.",
                           "Processing failed on the server. Try again later; if it happens again, tell the operator."),
    "message.busy": ("Episode ini sedang dikerjakan (diproses atau disimpan orang lain). Tunggu sebentar, lalu coba lagi.",
                     "This episode is being worked on (processed, or saved by someone else). Wait a moment, then "
                     "try again."),
    # recordings (an upload's checks: pipeline/ingest.py, media/ffmpeg.py)
    "recording.unreadable": ("Berkas ini bukan rekaman yang dapat dibaca (rusak, atau bukan audio/video). Periksa "
                             "berkasnya di komputer Anda, lalu unggah salinan yang baik.",
                             "This file is not a recording that can be read (damaged, or not audio or video). "
                             "Check the file on your computer, then upload a good copy."),
    "recording.truncated": ("Rekaman ini terpotong: berkasnya berhenti sebelum akhir. Unggah berkas lengkapnya.",
                            "This recording is cut short: the file stops before its end. Upload the whole file."),
    "recording.no_audio": ("Video ini tidak berisi suara. Unggah rekaman yang ada suaranya.",
                           "This video has no sound. Upload a recording with sound."),
    "recording.empty": ("Berkas ini kosong (0 byte). Pilih berkas rekamannya.",
                        "This file is empty (0 bytes). Choose the recording's file."),
    "recording.too_short": ("Rekaman terlalu pendek ({seconds} detik). Unggah rekaman yang lebih panjang.",
                            "The recording is too short ({seconds} seconds). Upload a longer recording."),
    "recording.silent": ("Rekaman ini sunyi: tidak ada suara yang terdengar. Periksa mikrofon atau berkasnya.",
                         "This recording is silent: nothing can be heard. Check the microphone or the file."),
    "recording.too_long": ("Rekaman lebih panjang dari batas {hours} jam. Potong rekamannya, lalu unggah lagi.",
                           "The recording is longer than the limit of {hours} hours. Cut it, then upload it again."),
    "recording.exists": ("Sudah ada episode dengan tanggal dan judul ini. Beri judul lain.",
                         "An episode with this date and title already exists. Give it another title."),
    "recording.size": ("Berkas tidak sampai utuh di server. Unggah lagi.",
                       "The file did not arrive whole on the server. Upload it again."),
    "recording.gone": ("Berkas unggahan sudah tidak ada di server (kedaluwarsa). Unggah lagi.",
                       "The uploaded file is no longer on the server (it expired). Upload it again."),
    "recording.changed": ("Berkas berubah selama diperiksa. Unggah lagi.",
                          "The file changed while it was checked. Upload it again."),
    "upload.connection_lost": ("Koneksi ke server terputus terlalu lama. Periksa jaringan, lalu pilih berkas yang "
                               "sama lagi: unggahan dilanjutkan dari bagian yang sudah terkirim.",
                               "The connection to the server was lost for too long. Check the network, then choose "
                               "the same file again: the upload goes on from what had arrived."),
    # the jobs' stages (the episode page has clip, clips and process)
    "episode.stage.ingest": ("Pemeriksaan rekaman", "Checking the recording"),
    "episode.stage.transcript": ("Transkripsi", "Transcription"),
    "episode.stage.renditions": ("Versi podcast dan siaran", "Podcast and broadcast versions"),
    "episode.stage.text": ("Teks transkrip", "Transcript text"),
    "episode.stage.publish": ("Penerbitan", "Publishing"),
    "episode.stage.push": ("Pengiriman ke stasiun", "Sending to a station"),
    # dates and the air window
    "date.bad": ("Tanggal “{value}” tidak dikenali: tulis seperti 2026-12-01.",
                 "The date “{value}” is not understood: write it like 2026-12-01."),
    "air.bad_time": ("{field}: “{value}” bukan tanggal atau waktu yang dikenali. Tulis seperti 2026-12-01 atau "
                     "2026-12-01T06:00.",
                     "{field}: “{value}” is not a date or time that can be read. Write it like 2026-12-01 or "
                     "2026-12-01T06:00."),
    "air.order": ("Akhir siar harus sesudah mulai siar. Perbaiki salah satu tanggalnya.",
                  "The end of the air window must come after its start. Correct one of the dates."),
    "air.field.from": ("Mulai siar", "On air from"),
    "air.field.until": ("Akhir siar", "On air until"),
    "edit.title_empty": ("Judul tidak boleh kosong. Tulis judul episode.", "The title is empty. Write the episode's title."),
    # transcript lines (review/edits.py)
    "line.missing": ("Baris {n} tidak ada lagi di transkrip. Muat ulang halaman.",
                     "Line {n} is no longer in the transcript. Reload the page."),
    "line.empty": ("Baris {n} kosong. Tulis paling sedikit satu kata, atau batalkan.",
                   "Line {n} is empty. Write at least one word, or cancel."),
    "line.order": ("Baris {n}: waktu selesai harus sesudah waktu mulai. Perbaiki salah satunya.",
                   "Line {n}: it must end after it starts. Correct one of the times."),
    "line.after_end": ("Baris {n}: selesai sesudah rekaman berakhir ({end} detik). Perkecil waktu selesainya.",
                       "Line {n}: it ends after the recording ({end} seconds). Make its end earlier."),
    "line.overlap_before": ("Baris {n}: mulai sebelum baris {other} selesai ({time} detik). Geser waktu mulainya.",
                            "Line {n}: it starts before line {other} ends ({time} seconds). Move its start."),
    "line.overlap_after": ("Baris {n}: selesai sesudah baris {other} mulai ({time} detik). Geser waktu selesainya.",
                           "Line {n}: it ends after line {other} starts ({time} seconds). Move its end."),
    "transcript.none": ("Episode ini belum punya transkrip. Tunggu sampai selesai diproses.",
                        "This episode has no transcript yet. Wait until it has been processed."),
    "transcript.stale": ("Transkrip sudah diubah sejak halaman ini dibuka (oleh orang lain, atau dibuat ulang). "
                         "Perubahan Anda belum disimpan: muat ulang halaman, lalu ubah lagi.",
                         "The transcript was changed since this page was opened (by someone else, or made again). "
                         "Your change was not saved: reload the page and make it again."),
    # clips (text/highlights.py, pipeline/clips.py)
    "clip.before_start": ("Klip tidak boleh mulai sebelum awal episode.", "A clip cannot start before the episode does."),
    "clip.order": ("Waktu selesai klip harus sesudah waktu mulainya.", "A clip must end after it starts."),
    "clip.after_end": ("Klip melewati akhir episode ({duration} detik). Perkecil waktu selesainya.",
                       "The clip runs past the end of the episode ({duration} seconds). Make its end earlier."),
    "clip.too_long": ("Klip {length} detik terlalu panjang: paling lama {limit} detik.",
                      "The clip is {length} seconds long: at most {limit} seconds."),
    "clip.too_short": ("Klip {length} detik terlalu pendek: paling singkat {limit} detik.",
                       "The clip is {length} seconds long: at least {limit} seconds."),
    "clip.missing": ("Klip ini tidak ada lagi. Muat ulang halaman.", "This clip is no longer there. Reload the page."),
    "clip.no_podcast": ("Versi podcast episode ini belum dibuat: tunggu sampai selesai diproses, lalu buat klip.",
                        "This episode's podcast version is not made yet: wait until it is processed, then make "
                        "the clip."),
    "clip.title_empty": ("Judul klip tidak boleh kosong.", "The clip's title cannot be empty."),
    "approve.not_producer": ("Hanya produser yang dapat menyetujui episode.", "Only a producer can approve an episode."),
    "approve.own_upload": ("Episode ini diunggah oleh {name}: produser lain yang harus menyetujuinya.",
                           "This episode was uploaded by {name}: another producer must approve it."),
    "episode.no_original": ("Rekaman asli episode ini hilang dari server: unggah lagi, atau beri tahu operator.",
                            "This episode's original recording is missing on the server: upload it again, or tell "
                            "the operator."),
    "episode.broken": ("Data episode ini tidak dapat dibaca. Beri tahu operator.",
                       "This episode's details cannot be read. Tell the operator."),
    # pages the app cannot give
    "error.bad_request": ("Permintaan tidak dapat dibaca: muat ulang halaman dan coba lagi.",
                          "The request could not be read: reload the page and try again."),
    "error.method": ("Halaman ini tidak menerima permintaan itu: buka halamannya dari menu.",
                     "This page does not take that request: open it from the menu."),
    "error.too_large": ("Kiriman terlalu besar. Rekaman diunggah lewat halaman Unggah.",
                        "What was sent is too large. Recordings are uploaded on the Upload page."),
    "error.unavailable": ("Layanan ini sedang tidak tersedia. Coba lagi sebentar lagi; bila terulang, beri tahu "
                          "operator.",
                          "This service is not available right now. Try again in a moment; if it happens again, "
                          "tell the operator."),
    "error.server": ("Terjadi kesalahan di server. Coba lagi; bila terulang, beri tahu operator.",
                     "Something failed on the server. Try again; if it happens again, tell the operator."),
    # stations and users
    "form.required": ("Isi kolom ini.", "Fill in this field."),
    "radio.partial": ("sebagian", "part"),
    "form.seconds": ("Tulis detik sebagai angka 0 atau lebih, paling banyak 3 angka di belakang koma, mis. 12,5.",
                     "Write the seconds as a number of 0 or more, with at most 3 decimals, e.g. 12.5."),
    "station.name_hint": ("Huruf kecil, angka dan tanda hubung, mis. rri-banjarmasin.",
                          "Lower-case letters, digits and hyphens, e.g. rri-banjarmasin."),
    "station.bad_name": ("Nama stasiun hanya boleh huruf kecil, angka dan tanda hubung (-), diawali huruf atau "
                         "angka, mis. rri-banjarmasin.",
                         "A station name may hold only lower-case letters, digits and hyphens (-), starting with a "
                         "letter or digit, e.g. rri-banjarmasin."),
    "station.exists": ("Stasiun {name} sudah ada. Cabut dulu untuk memberi token baru, atau pakai nama lain.",
                       "Station {name} already exists. Revoke it first to issue a new token, or use another name."),
    "station.unknown": ("Stasiun {name} tidak ada (mungkin sudah dicabut). Muat ulang halaman.",
                        "There is no station {name} (it may have been revoked). Reload the page."),
    "user.bad_name": ("Nama pengguna hanya boleh huruf kecil, angka, titik, garis bawah dan tanda hubung (paling "
                      "panjang 32).",
                      "A user name may hold only lower-case letters, digits, '.', '_' and '-' (up to 32)."),
    "user.exists": ("Pengguna {name} sudah ada. Pakai nama lain.", "User {name} already exists. Use another name."),
    "user.unknown": ("Pengguna {name} tidak ada. Muat ulang halaman.", "There is no user {name}. Reload the page."),
    "user.bad_role": ("Pilih salah satu peran yang ada.", "Choose one of the roles offered."),
    "user.short_password": ("Kata sandi terlalu pendek: paling sedikit {n} karakter.",
                            "The password is too short: at least {n} characters."),
    "show.unknown": ("Acara {name} tidak ada. Pilih salah satu acara yang ada.",
                     "There is no show {name}. Choose one of the shows there are."),
}
