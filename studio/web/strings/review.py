"""The transcript review's strings (issue 28 item 7): a line changed by someone else, the "reviewed" mark, the
chapters on the episode page; each key in Indonesian and English."""

from __future__ import annotations

REVIEW_STRINGS: dict[str, tuple[str, str]] = {
    "review.line_conflict": (
        ("Baris {n} sudah diubah orang lain sejak Anda membukanya. Sekarang isinya: “{text}”. Teks Anda masih ada "
         "di kotak ini: gabungkan bila perlu, lalu simpan lagi untuk menggantinya, atau batalkan."),
        ("Line {n} was changed by someone else since you opened it. It now reads: “{text}”. Your text is still in "
         "the box: merge the two if needed and save again to replace theirs, or cancel.")),
    "review.reviewed.button": ("Transkrip sudah diperiksa", "Transcript reviewed"),
    "review.reviewed.hint": (
        ("Selama transkrip belum diperiksa, situs pendengar menandainya “transkrip otomatis”. Tandai setelah "
         "Anda membaca dan mengoreksinya; menyimpan koreksi juga menandainya."),
        ("Until the transcript is reviewed, the listener site calls it an “automatic transcript”. Mark it once "
         "you have read and corrected it; saving a correction marks it too.")),
    "review.reviewed.done": ("Transkrip diperiksa oleh {who}, {when}.", "Transcript reviewed by {who}, {when}."),
    "review.reviewed.saved": ("Transkrip ditandai sudah diperiksa.", "The transcript is marked as reviewed."),
    "review.chapters.title": ("Bab", "Chapters"),
    "review.chapters.hint": (
        ("Ubah judul atau waktu mulai (menit:detik, misalnya 12:30). Kosongkan judul untuk menghapus sebuah bab; "
         "isi baris kosong untuk menambah. Bab yang Anda simpan tetap dipakai setiap kali episode diproses ulang."),
        ("Change a title or start time (minutes:seconds, e.g. 12:30). Empty a title to remove its chapter; fill "
         "the empty row to add one. Chapters you save are kept every time the episode is processed again.")),
    "review.chapters.auto": ("Bab ini dibuat otomatis dari transkrip.",
                             "These chapters were made automatically from the transcript."),
    "review.chapters.producer": ("Bab ini disimpan oleh produser.", "These chapters were saved by a producer."),
    "review.chapters.none": ("Belum ada bab. Tambahkan di bawah.", "No chapters yet. Add one below."),
    "review.chapters.row": ("Bab {n}", "Chapter {n}"),
    "review.chapters.new": ("Bab baru", "New chapter"),
    "review.chapters.start": ("Mulai", "Start"),
    "review.chapters.name": ("Judul", "Title"),
    "review.chapters.save": ("Simpan bab", "Save chapters"),
    "review.chapters.saved": ("Bab tersimpan.", "Chapters saved."),
    "review.chapters.error.time": ("Bab {n}: waktu “{value}” tidak terbaca. Tulis menit dan detik, misalnya 12:30.",
                                   "Chapter {n}: the time “{value}” cannot be read. Write minutes and seconds, "
                                   "e.g. 12:30."),
    "review.chapters.error.outside": ("Bab {n}: mulainya setelah rekaman selesai ({end}). Pilih waktu yang lebih awal.",
                                      "Chapter {n}: it starts after the recording ends ({end}). Choose an earlier "
                                      "time."),
    "review.chapters.error.twice": ("Bab {n}: sudah ada bab lain yang mulai pada waktu itu. Ubah salah satunya.",
                                    "Chapter {n}: another chapter starts at that time. Change one of them."),
}
