"""Podcast feeds: RSS 2.0 with the itunes and Podcasting 2.0 namespaces, and an OPML index.

The keys the feed names are publish.layout's; what each item carries is publish.collect's.

Only episodes whose podcast rendition exists are in a feed, newest first.
An item's guid is the sha256 of the episode's original recording: it survives
re-processing, retitling and a change of base URL, and ingest never makes two
episodes of the same bytes. The channel's podcast:guid is the UUIDv5 of the feed
URL (Podcasting 2.0 spec), so it changes only with the base URL.

The channel is podcast:locked "yes" (owner: the show's e-mail), which asks
other hosting platforms not to import the feed.

Show notes: an item's <description> and content:encoded are the description as sanitized HTML with its links
(publish.notes: bare http(s) addresses and [words](address) become <a rel="noopener">), content:encoded in
CDATA as feedgen writes it. The episode basics: itunes:season, itunes:episode, itunes:episodeType (full,
trailer, bonus) and the episode's own artwork as the item's itunes:image.

Text: titles are plain text (lxml escapes &, <, quotes for XML); an item's and
the channel's <description> are HTML, as apps render it, so plain text is
HTML-escaped first and itunes:summary carries the same text plain. The show's
link (feeds/<show>.toml, written by hand too) is used only when it is an http or
https address; otherwise the site's address stands in (never a javascript: link). Characters XML 1.0 cannot carry
(control characters) are dropped. Output is deterministic: the same workspace
gives the same bytes (lastBuildDate is the newest pubDate, not "now"), so an
unchanged feed is not published again.

feedgen builds the channel; a feedgen extension adds the Podcasting 2.0 channel
tags and the items, which are built with lxml directly. Measured on 5,000 items
with the same six elements, feedgen's entries took 0.45 s of CPU and lxml 0.25 s;
feedgen also has no Podcasting 2.0 entry tags and formats each pubDate by
switching the process-wide locale (setlocale, not thread-safe), which matters
once feeds are built in worker threads.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from email.utils import format_datetime
from typing import Iterable
from urllib.parse import urlsplit

import lxml.etree  # noqa: F401 - feedgen.util uses lxml.etree without importing it
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml.etree import CDATA, Element, SubElement

from ..workspace import Show, Workspace
from .collect import Asset, FeedEpisode, artwork_asset, collect_show
from .layout import CHAPTERS_MIME, TRANSCRIPTS, check_base_url, feed_key, url
from .notes import notes_html

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
# Podcasting 2.0: podcast:guid is uuidv5(this namespace, feed URL without scheme and trailing slashes).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
# XML 1.0 forbids these characters even escaped; lxml refuses them, so they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def podcast_guid(feed_url: str) -> str:
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _web_link(link: str, fallback: str) -> str:
    """`link` when it is an http(s) address with a host and nothing an app could misread, else `fallback`."""
    link = link.strip()
    try:
        parts = urlsplit(link)
    except ValueError:
        return fallback
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or re.search(r"[\s\x00-\x1f\x7f<>\"]", link):
        return fallback
    return link


def _html(text: str) -> str:
    """Plain text as the HTML an item <description> holds: apps render it as HTML, so a literal
    "<TPS>" must arrive as an escaped "<" (lxml then escapes once more for XML). Numeric
    references, because podcastparser decodes those first and misreads named ones that sit
    close together ("&gt; a&lt;" reads as one unknown entity)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    escaped = (p.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;") for p in paragraphs)
    return "".join(f"<p>{p.replace(chr(10), '<br/>')}</p>" for p in escaped)


def _clock(seconds: float) -> str:
    total = max(0, int(round(seconds)))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


class _PodcastIndex(BaseExtension):
    """feedgen extension: the channel's Podcasting 2.0 tags, then the items (built with lxml)."""

    def __init__(self) -> None:
        self.guid = ""
        self.locked_owner = ""
        self.items: list[Element] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "content": CONTENT_NS}

    def extend_rss(self, feed):
        channel = feed[0]
        SubElement(channel, f"{{{PODCAST_NS}}}guid").text = self.guid
        locked = SubElement(channel, f"{{{PODCAST_NS}}}locked")
        locked.text = "yes"
        if self.locked_owner:
            locked.set("owner", self.locked_owner)
        channel.extend(self.items)
        return feed


def _item(item: FeedEpisode, show: Show, base_url: str) -> Element:
    episode = item.episode
    node = Element("item")
    SubElement(node, "title").text = _text(episode.title)
    summary = _text(episode.description or episode.title)
    notes = notes_html(summary)
    SubElement(node, "description").text = notes
    if "]]>" not in notes:
        SubElement(node, f"{{{CONTENT_NS}}}encoded").text = CDATA(notes)
    SubElement(node, f"{{{ITUNES_NS}}}summary").text = summary
    SubElement(node, "guid", isPermaLink="false").text = episode.sha256
    SubElement(node, "pubDate").text = format_datetime(item.published)
    SubElement(node, "enclosure", url=url(base_url, item.audio.key), length=str(item.audio.size),
               type=item.audio.mime)
    SubElement(node, f"{{{ITUNES_NS}}}duration").text = _clock(episode.duration)
    SubElement(node, f"{{{ITUNES_NS}}}episodeType").text = episode.episode_type or "full"
    if episode.season:
        SubElement(node, f"{{{ITUNES_NS}}}season").text = str(episode.season)
    if episode.number:
        SubElement(node, f"{{{ITUNES_NS}}}episode").text = str(episode.number)
    if item.artwork:
        SubElement(node, f"{{{ITUNES_NS}}}image", href=url(base_url, item.artwork.key))
    SubElement(node, f"{{{ITUNES_NS}}}explicit").text = "yes" if show.explicit else "no"
    for kind, asset in item.transcripts.items():
        _, listed, captions = TRANSCRIPTS[kind]
        if listed:
            tag = SubElement(node, f"{{{PODCAST_NS}}}transcript", url=url(base_url, asset.key), type=asset.mime,
                             language=show.language)
            if captions:
                tag.set("rel", "captions")
    if item.chapters:
        SubElement(node, f"{{{PODCAST_NS}}}chapters", url=url(base_url, item.chapters.key), type=CHAPTERS_MIME)
    for bite in item.soundbites:
        tag = SubElement(node, f"{{{PODCAST_NS}}}soundbite", startTime=_number(bite.start),
                         duration=_number(bite.duration))
        tag.text = _text(bite.title) or None
    return node


def render_feed(show: Show, items: list[FeedEpisode], base_url: str, artwork: Asset | None = None) -> bytes:
    """The RSS document of one show; `items` newest first. Same inputs, same bytes."""
    base_url = check_base_url(base_url)
    self_url = url(base_url, feed_key(show.slug))
    title = _text(show.title)
    author = _text(show.author or show.title)
    fg = FeedGenerator()
    fg.load_extension("podcast", rss=True, atom=False)
    fg.register_extension("podcastindex", _PodcastIndex, None, atom=False, rss=True)
    fg.title(title)
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    link = _web_link(show.link, f"{base_url}/")
    fg.link(href=link, rel="alternate")  # feedgen's <link> is the last one given
    fg.description(_html(_text(show.description or show.title)))
    fg.language(show.language)
    fg.generator("Studio")
    # A fixed lastBuildDate (feedgen would write "now") keeps an unchanged feed byte-identical,
    # so publish can skip it.
    fg.lastBuildDate(items[0].published if items else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    fg.podcast.itunes_author(author)
    fg.podcast.itunes_summary(_text(show.description or show.title))
    if show.email:
        fg.podcast.itunes_owner(name=author, email=show.email)
    if artwork:
        artwork_url = url(base_url, artwork.key)
        fg.podcast.itunes_image(artwork_url)
        fg.image(url=artwork_url, title=title, link=link)
    category, _, sub = (part.strip() for part in show.category.partition(">"))
    if category:
        fg.podcast.itunes_category({"cat": category, "sub": sub} if sub else {"cat": category})
    fg.podcast.itunes_explicit("yes" if show.explicit else "no")
    fg.podcast.itunes_type("episodic")
    fg.podcastindex.guid = podcast_guid(self_url)
    fg.podcastindex.locked_owner = show.email
    fg.podcastindex.items = [_item(item, show, base_url) for item in items]
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def build_feed(workspace: Workspace, show: Show, base_url: str, episode_ids: Iterable[str] | None = None) -> bytes:
    """The RSS feed of `show` (of those of its episodes named, when given), from the episode index;
    episodes without a podcast rendition are left out."""
    wanted = None if episode_ids is None else set(episode_ids)
    rows = [r for r in workspace.index.rows(show.slug) if not r.broken and (wanted is None or r.id in wanted)]
    return render_feed(show, collect_show(workspace, rows), base_url, artwork_asset(workspace, show))


def build_opml(shows: Iterable[Show], base_url: str, title: str = "Studio podcasts") -> bytes:
    """OPML 2.0 listing every show's feed (`feeds/index.opml`)."""
    base_url = check_base_url(base_url)
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = _text(title)
    body = SubElement(root, "body")
    for show in shows:
        outline = SubElement(body, "outline", type="rss", text=_text(show.title), title=_text(show.title),
                             xmlUrl=url(base_url, feed_key(show.slug)), language=show.language)
        if link := _web_link(show.link, ""):
            outline.set("htmlUrl", link)
        if show.description:
            outline.set("description", _text(show.description))
    return lxml.etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True)
