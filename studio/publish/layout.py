"""Every published key, with its type and cache policy, named once.

The same layout under the base URL, in a folder target and under an S3 prefix (DESIGN.md, "Feed" and
"Publishing"):

    feeds/<show>.xml                          one RSS feed per show
    feeds/index.opml                          every show's feed
    artwork/<show>.jpg (or .png)              show artwork (itunes:image)
    artwork/<show>/<episode-slug>.jpg (.png)  an episode's own artwork (the item's itunes:image)
    media/<show>/<episode-slug>.mp3           podcast rendition (the enclosure)
    transcripts/<show>/<episode-slug>.vtt     also .srt, .json (Podcasting 2.0 JSON) and .txt
    chapters/<show>/<episode-slug>.json       only where the episode has chapters.json
    clips/<show>/<episode-slug>/<clip>.mp4    captioned clips, as made
    index.html, <show>/..., embed/..., search/, pagefind/, sitemap.xml, robots.txt   the listener site
    .studio-publish.json                      what was published (sha256, size and version of each key)

The radio target (never public) holds <show>/<episode-slug>.wav and manifest.json (studio.radio.manifest).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import BadInput
from ..radio.manifest import MANIFEST_NAME as RADIO_MANIFEST_KEY  # noqa: F401 - the radio target's index
from ..radio.manifest import broadcast_key  # noqa: F401 - a broadcast file's key in the radio target
from ..workspace import Episode, Show

MANIFEST_KEY = ".studio-publish.json"
OPML_KEY = "feeds/index.opml"

# Transcript files: kind -> (MIME type, listed in the feed, is captions).
TRANSCRIPTS = {
    "vtt": ("text/vtt", True, True),
    "srt": ("application/x-subrip", True, True),
    "json": ("application/json", True, False),
    "txt": ("text/plain", False, False),
}
MIME_TYPES = {
    ".xml": "application/rss+xml",
    ".opml": "text/x-opml",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    # the listener site and its Pagefind search index
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
}
CHAPTERS_MIME = "application/json+chapters"  # the type podcast:chapters asks for

# Cache policy, by how often a key changes. Names are per episode, not per content: no `immutable`.
FEED_MAX_AGE = 300  # feeds, the OPML and the listener site: they change with every episode
TEXT_MAX_AGE = 3600  # transcripts and chapters get corrected
MEDIA_MAX_AGE = 86400  # media, clips, artwork
MANIFEST_CACHE = "no-cache"
RADIO_CACHE = "private, max-age=86400"
RADIO_MANIFEST_CACHE = "private, max-age=60"

# The listener site's Content-Security-Policy: `studio serve` sends it with every page, and each page carries it
# in a <meta> for a bucket or any server that sends none. Everything is the site's own: its scripts (no inline
# script but JSON-LD data), its styles, media and the search index; Pagefind compiles its WebAssembly.
SITE_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
            "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'")


def mime_type(key: str) -> str:
    if key.endswith("sitemap.xml"):  # the site's, not a feed
        return "application/xml"
    return MIME_TYPES.get(os.path.splitext(key)[1].lower(), "application/octet-stream")


def access_logged(path: str) -> bool:
    """Whether `studio serve` hands a request for `path` to the access log: media (audio, video) and the
    listener site's pages (a folder's address is its page), not styles, scripts, images or feeds."""
    if path == "" or path.endswith("/"):
        return True
    kind = mime_type(path)
    return kind.startswith(("audio/", "video/", "text/html"))


def max_age(key: str) -> int:
    """Seconds a public key may be cached: publish's Cache-Control and `studio serve` both say this."""
    top = key.split("/", 1)[0]
    if top in ("transcripts", "chapters"):
        return TEXT_MAX_AGE
    if top in ("media", "clips", "artwork"):
        return MEDIA_MAX_AGE
    return FEED_MAX_AGE  # feeds, the OPML, the listener site


def cache_control(key: str) -> str:
    """The Cache-Control header of a public key."""
    return f"public, max-age={max_age(key)}"


def feed_key(show: str) -> str:
    return f"feeds/{show}.xml"


def media_key(episode: Episode, suffix: str = ".mp3") -> str:
    return f"media/{episode.show}/{episode.slug}{suffix}"


def transcript_key(episode: Episode, kind: str) -> str:
    return f"transcripts/{episode.show}/{episode.slug}.{kind}"


def chapters_key(episode: Episode) -> str:
    return f"chapters/{episode.show}/{episode.slug}.json"


def clip_key(episode: Episode, name: str) -> str:
    return f"clips/{episode.show}/{episode.slug}/{name}"


def artwork_key(show: Show) -> str:
    return f"artwork/{show.slug}{Path(show.artwork).suffix.lower()}"


def episode_artwork_key(episode: Episode) -> str:
    return f"artwork/{episode.show}/{episode.slug}{Path(episode.artwork).suffix.lower()}"


# -- the listener site (publish.site), beside the media --------------------------------------

PAGE_FILE = "index.html"  # a folder's page: what `studio serve` answers for the folder
SITE_HOME_KEY = PAGE_FILE
SITE_SEARCH_KEY = f"search/{PAGE_FILE}"
SITEMAP_KEY = "sitemap.xml"
ROBOTS_KEY = "robots.txt"
SITE_STATIC_DIR = "static"  # site.css, player.js, search.js; art/<show>.jpg thumbnails
OFFICE_LOGO_KEY = f"{SITE_STATIC_DIR}/office-logo.png"  # the office's logo in every page's header
SEARCH_INDEX_DIR = "pagefind"  # one Pagefind index per show: pagefind/<show>/, merged by search.js
# Top-level names the published tree already uses (the media's, studio serve's /radio/, the site's own): a show
# with one of these slugs gets its pages under show-<slug>/ instead.
RESERVED = frozenset({"feeds", "media", "transcripts", "chapters", "clips", "artwork", "radio", "embed", "search",
                      SITE_STATIC_DIR, SEARCH_INDEX_DIR, SITE_HOME_KEY, SITEMAP_KEY, ROBOTS_KEY})


def page_dir(show: str) -> str:
    """The folder of a show's pages: its slug, unless that is a name the tree already uses."""
    return f"show-{show}" if show in RESERVED else show


def show_page_key(show: str, number: int = 1) -> str:
    """Page `number` of a show's episodes."""
    return f"{page_dir(show)}/{PAGE_FILE}" if number == 1 else f"{page_dir(show)}/page/{number}/{PAGE_FILE}"


def episode_page_key(episode: Episode) -> str:
    return f"{page_dir(episode.show)}/{episode.slug}/{PAGE_FILE}"


def embed_key(episode: Episode) -> str:
    """The compact player for an <iframe>."""
    return f"embed/{episode.show}/{episode.slug}.html"


def clip_keys(episode: Episode, number: int) -> tuple[str, str]:
    """A clip's captions (the transcript's cues in the clip) and its own page."""
    folder = f"{page_dir(episode.show)}/{episode.slug}"
    return f"{folder}/clip-{number:02d}.vtt", f"{folder}/clip-{number:02d}/{PAGE_FILE}"


def thumbnail_key(show: str) -> str:
    """The show's artwork, small, for the pages (the full artwork is for podcast apps)."""
    return f"{SITE_STATIC_DIR}/art/{show}.jpg"


def episode_thumbnail_key(episode: Episode) -> str:
    """An episode's own artwork, small, for its pages."""
    return f"{SITE_STATIC_DIR}/art/{episode.show}/{episode.slug}.jpg"


def url(base_url: str, key: str) -> str:
    return f"{base_url}/{key}"


def check_base_url(base_url: str) -> str:
    """The base URL without its trailing slash; BadInput unless it is an absolute http(s) URL."""
    base = base_url.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", base):
        raise BadInput(f"base URL {base_url!r} must be an absolute http:// or https:// URL (set it in studio.toml or "
                       "with --base-url)")
    return base


# -- reading keys back (the listener statistics count requests by the key they asked for) -------------------

_MEDIA_KEY = re.compile(r"(?:^|/)media/([^/.][^/]*)/([^/.][^/]*)\.mp3$")
_CLIP_PAGE_KEY = re.compile(r"(?:^|/)([^/.][^/]*)/([^/.][^/]*)/(clip-\d+)/(?:index\.html)?$")


def episode_of_media(path: str) -> str | None:
    """The episode id ("show/slug") whose podcast audio (media_key) `path` asks for, under any base path."""
    m = _MEDIA_KEY.search(path)
    return f"{m.group(1)}/{m.group(2)}" if m else None


def clip_of_page(path: str) -> tuple[str, str] | None:
    """(episode id, clip slug "clip-NN") of a clip's page (clip_keys), its folder or its index.html."""
    m = _CLIP_PAGE_KEY.search(path)
    if not m:
        return None
    folder = m.group(1)
    show = folder[5:] if folder.startswith("show-") and folder[5:] in RESERVED else folder
    return f"{show}/{m.group(2)}", m.group(3)
