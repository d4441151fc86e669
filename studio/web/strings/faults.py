"""The strings of the faults a page can meet (issue 29): sign-in and show access, approval and stale edits,
uploads. Each key in Indonesian and English."""

from __future__ import annotations

# sign-in and access (issue 29): each key in Indonesian and English ---------------------------------
ACCESS_STRINGS: dict[str, tuple[str, str]] = {
    "access.col.shows": ("Acara", "Shows"),
    "access.every_show": ("semua acara", "every show"),
    "access.none_is_every": ("(tanpa centang: semua acara)", "(none ticked: every show)"),
    "access.save_shows": ("Simpan acara", "Save shows"),
    "access.shows_saved": ("Acara pengguna disimpan; berlaku pada permintaan berikutnya.",
                           "The user's shows are saved; they apply from the next request."),
    "access.show_not_yours": ("Acara ini bukan milik Anda: pilih salah satu acara Anda.",
                              "This show is not one of yours: choose one of your shows."),
    "access.publish_limited": (
        ("Anda dibatasi pada acara tertentu, sedangkan penerbitan mengirim semua acara sekaligus: "
         "minta produser tanpa batas acara atau operator untuk menerbitkan."),
        ("You are limited to some shows, and publishing sends every show at once: "
         "ask a producer without a show limit, or the operator, to publish.")),
    "access.stations_limited": (
        "Token stasiun membaca berkas radio semua acara: penjadwal tanpa batas acara yang menambah atau mencabutnya.",
        "A station token reads every show's radio files: a scheduler without a show limit adds or revokes them."),
}

# approval and edits (issue 29)
APPROVAL_AND_EDITS_STRINGS: dict[str, tuple[str, str]] = {
    "edit.stale": (("Bagian ini sudah diubah sejak halaman dibuka (oleh orang lain, atau rekamannya diganti). "
                    "Perubahan Anda belum disimpan: muat ulang (reload) halaman, lalu ubah lagi."),
                   ("This was changed since you opened the page (by someone else, or the recording was "
                    "replaced). Your change was not saved: reload the page and make it again.")),
    "approve.stale": ("Episode ini sudah berubah sejak halaman dibuka: muat ulang (reload), periksa lagi, lalu setujui.",
                      "This episode was changed since you opened the page: reload it, look again, then approve."),
    "approval.withdrawn": (("Persetujuan oleh {who} dicabut: {what} berubah setelah disetujui. Episode ini tidak "
                            "diterbitkan sampai produser lain menyetujuinya lagi."),
                           ("The approval by {who} was withdrawn: {what} changed after it was approved. This "
                            "episode is not published until another producer approves it again.")),
    "approval.withdrawn_short": (("Menunggu persetujuan ulang (buka episodenya untuk memeriksa); berubah setelah "
                                  "disetujui {who}:"),
                                 ("Waiting for approval again (open the episode to look); changed after {who} "
                                  "approved it:")),
    "approval.part.recording": ("rekaman", "the recording"),
    "approval.part.title": ("judul", "the title"),
    "approval.part.description": ("deskripsi", "the description"),
    "approval.part.transcript": ("transkrip", "the transcript"),
    "approval.part.chapters": ("bab", "the chapters"),
    "approval.part.clips": ("klip", "the clips"),
    "approval.part.air_window": ("jendela siar", "the air window"),
}


# uploads (issue 29): each key in Indonesian and English ---------------------------------------------
UPLOAD_FAULT_STRINGS: dict[str, tuple[str, str]] = {
    "upload.disk_full": (
        ("Disk server penuh: unggahan dihentikan dan bagian yang sudah terkirim dihapus. Beri tahu "
         "operator, lalu unggah lagi."),
        ("The server's disk is full: the upload was stopped and what had arrived was removed. Tell the"
         " operator, then upload again."),
    ),
    "upload.limit_count": (
        ("Anda sudah punya {limit} unggahan yang belum selesai. Selesaikan salah satunya (pilih berkas"
         " yang sama lagi untuk melanjutkan) atau tunggu sampai kedaluwarsa."),
        ("You already have {limit} unfinished uploads. Finish one of them (choose the same file again "
         "to resume it) or wait until they expire."),
    ),
    "upload.limit_bytes": (
        ("Unggahan Anda yang belum selesai sudah mendekati batas {limit} GiB bersama-sama. Selesaikan "
         "yang sedang berjalan dulu, lalu coba lagi."),
        ("Your unfinished uploads together come near the limit of {limit} GiB. Finish the ones under "
         "way first, then try again."),
    ),
    "upload.checksum_chunk": (
        "Satu bagian berkas rusak dalam perjalanan dan tidak disimpan; kirim bagian itu lagi.",
        "A piece of the file was damaged on the way and was not stored; send that piece again.",
    ),
    "upload.checksum_file": (
        ("Berkas yang diterima tidak sama dengan berkas yang dikirim (checksum berbeda); tidak ada "
         "yang disimpan. Unggah lagi."),
        ("The file received is not the file that was sent (its checksum differs); nothing was kept. "
         "Upload it again."),
    ),
    "upload.size_mismatch": (
        ("Berkas yang diterima {got} byte, bukan {size} byte seperti yang diumumkan; tidak ada yang "
         "disimpan. Unggah lagi."),
        ("The file received is {got} bytes, not the {size} bytes announced; nothing was kept. Upload "
         "it again."),
    ),
    "upload.waiting_for_queue": (
        ("Rekaman sudah tersimpan, tetapi antrean pekerjaan (Redis) sedang tidak tersedia. "
         "Pemeriksaannya mulai sendiri begitu antrean kembali."),
        ("The recording is stored, but the job queue (Redis) is unavailable. Its checks start by "
         "themselves once the queue is back."),
    ),
    "upload.offset_mismatch": (
        "Posisi unggahan tidak cocok; lanjutkan dari posisi yang tersimpan.",
        "The upload's position does not match; go on from the stored position.",
    ),
    "upload.too_many_bytes": (
        "Lebih banyak byte daripada ukuran berkas yang diumumkan; tidak disimpan.",
        "More bytes than the announced file size; not stored.",
    ),
    "upload.chunk_incomplete": (
        "Satu bagian tidak sampai utuh dan tidak disimpan; kirim lagi.",
        "A piece did not arrive whole and was not stored; send it again.",
    ),
    "upload.bad_size": (
        "Ukuran berkas harus berupa jumlah byte yang positif.",
        "The file size must be a positive number of bytes.",
    ),
    "upload.bad_checksum": (
        'Checksum tidak dikenali: kirim "sha256 <base64>".',
        'Checksum not understood: send "sha256 <base64>".',
    ),
    "upload.no_offset": (
        "Header Upload-Offset tidak ada atau tidak valid.",
        "The Upload-Offset header is missing or not a number.",
    ),
}
