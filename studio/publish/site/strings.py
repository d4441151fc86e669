"""The listener site's words: one catalogue per language (Bahasa Indonesia first, English available)."""

from __future__ import annotations

import datetime as dt

DEFAULT = "id"

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "site_title": "Podcast",
        "skip": "Langsung ke isi",
        "search": "Cari",
        "search_label": "Cari di semua transkrip",
        "search_title": "Pencarian",
        "search_needs_js": "Pencarian memerlukan JavaScript.",
        "search_none": "Tidak ditemukan.",
        "search_results": "hasil",
        "shows": "Acara",
        "newest": "Episode terbaru",
        "episodes": "Episode",
        "subscribe": "Berlangganan",
        "rss": "Alamat RSS",
        "copy_button": "Salin",
        "copied": "Disalin",
        "open_app": "Buka di aplikasi podcast",
        "opml": "Semua acara (OPML)",
        "page": "Halaman",
        "newer": "Lebih baru",
        "older": "Lebih lama",
        "duration": "Durasi",
        "listen": "Dengarkan",
        "no_audio": "Peramban Anda tidak dapat memutar audio ini; unduh MP3-nya di bawah.",
        "chapters": "Bab",
        "transcript": "Transkrip",
        "transcript_help": "Klik sebuah kalimat untuk memutar dari situ. Tombol panah berpindah kalimat, Enter memutar.",
        "auto_transcript": "Transkrip otomatis: dibuat oleh mesin dan belum diperiksa produser, jadi mungkin ada kata "
                           "yang keliru. Dengarkan audionya untuk memastikan.",
        "clips": "Klip",
        "downloads": "Unduh",
        "download_mp3": "Audio (MP3)",
        "download_vtt": "Teks (WebVTT)",
        "download_srt": "Teks (SRT)",
        "download_txt": "Transkrip (teks)",
        "share": "Bagikan",
        "copy_link_time": "Salin tautan pada menit ini",
        "embed": "Sematkan pemutar",
        "embed_help": "Salin kode ini ke halaman situs Anda.",
        "full_episode": "Episode lengkap",
        "captions": "Teks",
        "home": "Beranda",
        "artwork": "Sampul",
        "season": "Musim",
        "episode_number": "Episode",
        "type_trailer": "Cuplikan",
        "type_bonus": "Bonus",
    },
    "en": {
        "site_title": "Podcasts",
        "skip": "Skip to content",
        "search": "Search",
        "search_label": "Search every transcript",
        "search_title": "Search",
        "search_needs_js": "Search needs JavaScript.",
        "search_none": "Nothing found.",
        "search_results": "results",
        "shows": "Shows",
        "newest": "Newest episodes",
        "episodes": "Episodes",
        "subscribe": "Subscribe",
        "rss": "RSS address",
        "copy_button": "Copy",
        "copied": "Copied",
        "open_app": "Open in a podcast app",
        "opml": "All shows (OPML)",
        "page": "Page",
        "newer": "Newer",
        "older": "Older",
        "duration": "Duration",
        "listen": "Listen",
        "no_audio": "Your browser cannot play this audio; download the MP3 below.",
        "chapters": "Chapters",
        "transcript": "Transcript",
        "transcript_help": "Click a sentence to play from there. Arrow keys move between sentences, Enter plays.",
        "auto_transcript": "Automatic transcript: made by a machine and not yet checked by a producer, so some words "
                           "may be wrong. Listen to the audio to be sure.",
        "clips": "Clips",
        "downloads": "Downloads",
        "download_mp3": "Audio (MP3)",
        "download_vtt": "Captions (WebVTT)",
        "download_srt": "Captions (SRT)",
        "download_txt": "Transcript (text)",
        "share": "Share",
        "copy_link_time": "Copy link at this moment",
        "embed": "Embed the player",
        "embed_help": "Copy this code into your web page.",
        "full_episode": "Full episode",
        "captions": "Captions",
        "home": "Home",
        "artwork": "Artwork",
        "season": "Season",
        "episode_number": "Episode",
        "type_trailer": "Trailer",
        "type_bonus": "Bonus",
    },
}

MONTHS = {
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember".split(),
    "en": "January February March April May June July August September October November December".split(),
}


def catalogue(language: str) -> dict[str, str]:
    """The strings for a show's language (a tag such as "id" or "en-US"); Indonesian when there are none."""
    return STRINGS.get(language.split("-")[0].lower(), STRINGS[DEFAULT])


def lang_code(language: str) -> str:
    code = language.split("-")[0].lower()
    return code if code in STRINGS else DEFAULT


def long_date(day: dt.date, language: str) -> str:
    return f"{day.day} {MONTHS[lang_code(language)][day.month - 1]} {day.year}"


def clock(seconds: float) -> str:
    """MM:SS, or H:MM:SS from an hour on."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
