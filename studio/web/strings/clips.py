"""The clip list's strings (issue 28, item 4): each key in Indonesian and English."""

from __future__ import annotations

CLIP_STRINGS: dict[str, tuple[str, str]] = {
    "episode.highlights.renamed": ("Judul klip disimpan; klipnya dibuat ulang dengan judul itu.",
                                   "The clip's title is saved; the clip is made again with it."),
    "episode.highlights.published": ("Klip ini ikut diterbitkan lagi pada penerbitan berikutnya.",
                                     "This clip goes out again with the next publish."),
    "episode.highlights.unpublished": ("Klip ini tidak diterbitkan: tetap ada di sini, tetapi tidak masuk feed dan "
                                       "situs pada penerbitan berikutnya.",
                                       "This clip is kept from publishing: it stays here, out of the feed and the "
                                       "site from the next publish."),
    "clips.title_label": ("Judul klip {n}", "Title of clip {n}"),
    "clips.save_title": ("Simpan judul", "Save title"),
    "clips.save_title_one": ("Simpan judul klip {n}", "Save the title of clip {n}"),
    "clips.by_producer": ("dibuat produser", "made by a producer"),
    "clips.kept_back": ("tidak diterbitkan", "not published"),
    "clips.publish_off": ("Jangan terbitkan", "Keep from publishing"),
    "clips.publish_on": ("Terbitkan", "Publish"),
    "clips.publish_off_one": ("Jangan terbitkan klip {title}", "Keep clip {title} from publishing"),
    "clips.publish_on_one": ("Terbitkan klip {title}", "Publish clip {title}"),
    "clips.count": ("{n} klip", "{n} clips"),
}
