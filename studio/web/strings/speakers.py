"""The speakers' strings (issue 27): the episode page's speakers panel and the per-line move, each key in
Indonesian and English."""

from __future__ import annotations

SPEAKERS_STRINGS: dict[str, tuple[str, str]] = {
    "speakers.title": ("Pembicara", "Speakers"),
    "speakers.hint": (("Studio memisahkan suara yang berbeda. Dengarkan contoh tiap suara, beri nama, lalu simpan: "
                       "nama itu masuk ke transkrip, teks film dan situs pendengar tanpa mengulang pengenalan suara."),
                      ("Studio tells the voices apart. Listen to a sample of each, give it a name and save: the name "
                       "goes into the transcript, the captions and the listener site without running the voice "
                       "recognition again.")),
    "speakers.none": ("Pembicara belum dikenali: proses episode ini dulu.",
                      "No speakers yet: process this episode first."),
    "speakers.speaks": ("berbicara {time}", "speaks for {time}"),
    "speakers.play": ("Dengarkan {name}", "Listen to {name}"),
    "speakers.name": ("Nama {label}", "Name of {label}"),
    "speakers.save_name": ("Simpan nama", "Save the name"),
    "speakers.merge_into": ("Gabungkan {name} dengan", "Merge {name} with"),
    "speakers.merge": ("Gabungkan", "Merge"),
    "speakers.merged": ("Termasuk suara yang digabungkan: {labels}", "Includes the merged voices: {labels}"),
    "speakers.remember": ("Ingat suara {name} untuk episode berikutnya",
                          "Remember {name}'s voice for the next episodes"),
    "speakers.known": ("Suara ini dikenali otomatis di episode berikutnya.",
                       "This voice is named by itself in the next episodes."),
    "speakers.saved": ("Pembicara disimpan; transkrip sudah memakai nama baru.",
                       "Speakers saved; the transcript uses the new names."),
    "speakers.remembered": ("Suara {name} diingat untuk acara ini.", "{name}'s voice is remembered for this show."),
    "speakers.line": ("Baris {n}: {name}. Pindahkan ke pembicara lain", "Line {n}: {name}. Move it to another speaker"),
    "speakers.move_to": ("Baris {n} diucapkan oleh", "Line {n} is said by"),
    "speakers.move": ("Pindahkan", "Move"),
    "speakers.cancel": ("Batal", "Cancel"),
    "speakers.error.name": ("Nama terlalu panjang: paling banyak 60 huruf.", "The name is too long: 60 characters at most."),
    "speakers.error.same": ("Pilih pembicara lain untuk digabungkan.", "Choose another speaker to merge with."),
    "speakers.error.unknown": ("Pembicara itu tidak ada lagi: muat ulang halaman.",
                               "That speaker is no longer there: reload the page."),
    "speakers.error.unnamed": ("Beri nama pembicara ini dulu, lalu ingat suaranya.",
                               "Name this speaker first, then remember the voice."),
    "speakers.error.failed": ("Perubahan pembicara tidak tersimpan. Muat ulang halaman dan coba lagi.",
                              "The change to the speakers was not saved. Reload the page and try again."),
}
