"""Build the listener site: static pages into a folder, rewriting only the pages whose bytes changed.

Pages (all links relative, so the tree works in a folder, under an S3 prefix or from
`studio serve`; only OpenGraph, canonical and sitemap addresses are absolute):

    index.html                            shows, newest episodes, subscribe links
    <show>/index.html, <show>/page/N/     a show's episodes, newest first, PAGE_SIZE a page
    <show>/<episode>/index.html           player, chapters, transcript, clips, downloads, share
    <show>/<episode>/clip-NN.vtt          a clip's captions (the transcript's cues in the clip)
    embed/<show>/<episode>.html           compact player for an <iframe>
    search/index.html                     Pagefind search over every transcript
    static/...                            site.css, player.js, search.js, artwork thumbnails
    sitemap.xml, robots.txt
    pagefind/                             the search index, rebuilt when a page changed

Every key above, and those of the media the pages name (media/, transcripts/, chapters/, clips/,
artwork/, feeds/), is studio.publish.layout's. What a page is made of is site.content's; writing the
pages and the search index, site.output's.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ...captions.formats import parse_vtt
from ...fsutil import read_json, write_bytes
from ...text.chapters import Chapter, read_chapters
from ...workspace.config import Show
from ..collect import Asset, FeedEpisode
from ..layout import (
    OPML_KEY,
    PAGE_FILE,
    ROBOTS_KEY,
    SEARCH_INDEX_DIR,
    SITE_CSP,
    SITE_HOME_KEY,
    SITE_SEARCH_KEY,
    SITE_STATIC_DIR,
    SITEMAP_KEY,
    check_base_url,
    embed_key,
    episode_page_key,
    episode_thumbnail_key,
    feed_key,
    show_page_key,
    thumbnail_key,
    url,
)
from ..notes import notes_html
from . import strings
from .content import (
    attr,
    clip_vtt,
    clips_of,
    iso_duration,
    json_script,
    paragraphs,
    seconds,
    spans,
    speaker_sentences,
    thumbnail,
)
from .office import office_of
from .output import SiteResult, build_search_index, pagefind_command, show_of, write_site

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
PAGE_SIZE = 20
NEWEST_ON_INDEX = 10
POOL_MIN_EPISODES = 200  # fewer episodes to render: in this process (starting workers costs more)
POOL_BATCH = 25  # episodes a worker renders per task
MAX_WORKERS = 4
CACHE_FILE = ".site-cache.json"  # in the site folder: per episode (and show:<slug>), the key its pages were made from


def _environment(cache: Path | None = None) -> Environment:
    """Jinja with the site's filters; compiled templates are kept in `cache` (compiling costs more than an
    incremental build's rendering)."""
    bytecode = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode = FileSystemBytecodeCache(str(cache))
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=bytecode)
    # Every key a page links to comes from publish.layout.
    env.globals.update(feed_key=feed_key, show_page_key=show_page_key, episode_page_key=episode_page_key,
                       keys={"home": SITE_HOME_KEY, "search": SITE_SEARCH_KEY}, csp=SITE_CSP)
    env.filters["clock"] = strings.clock
    env.filters["seconds"] = seconds
    env.filters["spans"] = spans
    env.filters["paras"] = lambda text: [p.strip() for p in text.split("\n\n") if p.strip()]
    env.filters["json"] = json_script
    env.filters["longdate"] = lambda when, lang: strings.long_date(when.date(), lang)
    return env


class SiteBuilder:
    """Renders every page of the site for the published shows and their episodes."""

    def __init__(self, workspace, shows: dict[str, Show], items: dict[str, list[FeedEpisode]],
                 artwork: dict[str, Asset | None], base_url: str, out: Path | None = None,
                 signatures: dict[str, list[int]] | None = None):
        self.workspace = workspace
        self.shows = shows
        self.items = items
        self.artwork = artwork
        self.base_url = check_base_url(base_url)
        self.env = _environment(Path(workspace.cache_dir) / "site-templates")
        self.site_lang = strings.lang_code(workspace.settings.lang)
        self.pages: dict[str, bytes] = {}
        self.sitemap: list[tuple[str, str]] = []  # (key, lastmod)
        # Episodes whose inputs are unchanged keep the pages made last time (not rendered again).
        self.out = out
        cached = read_json(out / CACHE_FILE, default={}) if out else {}
        self.cached: dict[str, dict] = cached if isinstance(cached, dict) else {}
        self.made: dict[str, dict] = {}  # episode id -> {"key", "files"}
        self.kept: set[str] = set()
        self.code = _code_key()
        self.show_keys: dict[str, str] = {}
        self.signatures = signatures or {}  # episode id -> its folder's signature (workspace.index)
        self.office = office_of(workspace)  # the header's name and logo

    def absolute(self, key: str) -> str:
        return f"{self.base_url}/{key}".removesuffix(PAGE_FILE)

    def render(self, key: str, template: str, lang: str, **context) -> None:
        depth = key.count("/")
        root = "../" * depth
        text = self.env.get_template(template).render(
            root=root, key=key, url=self.absolute(key), lang=strings.lang_code(lang), t=strings.catalogue(lang),
            site_t=strings.catalogue(self.site_lang), base_url=self.base_url, shows=self.shows, office=self.office,
            site_name=self.office.name or strings.catalogue(self.site_lang)["site_title"], **context)
        self.pages[key] = text.encode("utf-8")

    def thumb_key(self, slug: str) -> str | None:
        return thumbnail_key(slug) if self.artwork.get(slug) else None

    def build(self) -> dict[str, bytes]:
        for name in sorted(os.listdir(STATIC_DIR)):
            self.pages[f"{SITE_STATIC_DIR}/{name}"] = (STATIC_DIR / name).read_bytes()
        if self.office.logo:
            self.pages[self.office.logo] = self.office.logo_png
        for slug, asset in self.artwork.items():
            if asset:
                self.pages[thumbnail_key(slug)] = thumbnail(asset.source)
        newest = sorted((i for items in self.items.values() for i in items),
                        key=lambda i: i.published.timestamp(), reverse=True)[:NEWEST_ON_INDEX]
        self.render(SITE_HOME_KEY, "home.html", self.site_lang, newest=newest, thumbs=self.thumb_key,
                    opml=OPML_KEY)
        self.sitemap.append((SITE_HOME_KEY, newest[0].published.date().isoformat() if newest else ""))
        self.render(SITE_SEARCH_KEY, "search.html", self.site_lang, thumbs=self.thumb_key,
                    indexes=[slug for slug in self.shows if self.items.get(slug)])
        todo: list[tuple[Show, FeedEpisode, str]] = []
        for slug, show in self.shows.items():
            self.show_pages(show, self.items.get(slug, []))
            for item in self.items.get(slug, []):
                if key := self.episode_pages(show, item):
                    todo.append((show, item, key))
        self.render_episodes(todo)
        self.pages[SITEMAP_KEY] = self.env.get_template("urlset.xml").render(
            entries=[(self.absolute(k), day) for k, day in self.sitemap]).encode()
        self.pages[ROBOTS_KEY] = (f"User-agent: *\nAllow: /\nDisallow: /{SEARCH_INDEX_DIR}/\n\n"
                                  f"Sitemap: {self.absolute(SITEMAP_KEY)}\n").encode()
        return self.pages

    def show_pages_key(self, show: Show, items: list[FeedEpisode]) -> str | None:
        """A hash of what a show's pages are made from, when publish gave every episode's signature."""
        keys = [self.signatures.get(item.episode.id) for item in items]
        if not all(keys):
            return None
        artwork = self.artwork.get(show.slug)
        digest = hashlib.sha256(json.dumps([self.code, self.base_url, {s: asdict(v) for s, v in self.shows.items()},
                                            artwork.key if artwork else None, self.office.signature],
                                           sort_keys=True).encode())
        for item, key in zip(items, keys):
            digest.update(f"\n{item.episode.id} {key}".encode())
            for asset in item.assets:
                digest.update(f" {asset.key} {asset.size} {asset.mtime_ns}".encode())
        return digest.hexdigest()

    def show_pages(self, show: Show, items: list[FeedEpisode]) -> None:
        """A show's pages of episodes, kept as they are when none of its episodes (nor any show) changed."""
        feed_url = url(self.base_url, feed_key(show.slug))
        count = max(1, -(-len(items) // PAGE_SIZE))
        made_key = self.show_pages_key(show, items)
        before = self.cached.get(f"show:{show.slug}")
        keep = (made_key and self.out and isinstance(before, dict) and before.get("key") == made_key
                and all(os.path.isfile(os.path.join(self.out, f)) for f in before.get("files", [])))
        rendered = set(self.pages)
        for number in range(1, count + 1):
            key = show_page_key(show.slug, number)
            page_items = items[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
            self.sitemap.append((key, page_items[0].published.date().isoformat() if page_items else ""))
            if keep:
                continue
            self.render(key, "show.html", show.language, show=show, items=page_items, number=number, count=count,
                        feed_url=feed_url, app_url="podcast://" + feed_url.split("://", 1)[1],
                        thumb=self.thumb_key(show.slug), opml=OPML_KEY,
                        artwork=self.artwork.get(show.slug))
        if keep:
            self.kept.update(before["files"])
            self.made[f"show:{show.slug}"] = before
        elif made_key:
            self.made[f"show:{show.slug}"] = {"key": made_key, "files": sorted(set(self.pages) - rendered)}

    def episode_key(self, show: Show, item: FeedEpisode) -> str:
        """A hash of everything an episode's pages are made from (file sizes and times, not contents)."""
        if show.slug not in self.show_keys:
            artwork = self.artwork.get(show.slug)
            self.show_keys[show.slug] = json.dumps([self.code, self.base_url, asdict(show),
                                                    artwork.key if artwork else None, self.office.signature],
                                                   sort_keys=True)
        data = [self.show_keys[show.slug], self.signatures.get(item.episode.id), vars(item.episode),
                item.published.isoformat(), [[a.key, a.size, a.mtime_ns] for a in item.assets]]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def episode_pages(self, show: Show, item: FeedEpisode) -> str | None:
        """Keep the episode's pages if its inputs are unchanged; else the key to render them under."""
        episode = item.episode
        key = self.episode_key(show, item)
        before = self.cached.get(episode.id)
        self.sitemap.append((episode_page_key(episode), item.published.date().isoformat()))
        if (self.out and isinstance(before, dict) and before.get("key") == key
                and all(os.path.isfile(os.path.join(self.out, f)) for f in before.get("files", []))):
            self.kept.update(before["files"])
            self.made[episode.id] = before
            return None
        return key

    def render_episodes(self, todo: list[tuple[Show, FeedEpisode, str]]) -> None:
        """Render these episodes' pages: in worker processes, one per CPU, when there are many (a first build)."""
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if len(todo) < POOL_MIN_EPISODES or workers < 2:
            for show, item, key in todo:
                rendered = set(self.pages)
                self.render_episode(show, item)
                self.made[item.episode.id] = {"key": key, "files": sorted(set(self.pages) - rendered)}
            return
        keys = {item.episode.id: key for _, item, key in todo}
        size = max(1, min(POOL_BATCH, -(-len(todo) // (workers * 4))))
        batches = [[(show.slug, item) for show, item, _ in todo[i:i + size]] for i in range(0, len(todo), size)]
        # fork: the workers start with this builder's state (templates compiled, shows, artwork), no re-import.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(self,)) as pool:
            for results in pool.map(_render_batch, batches):
                for episode_id, pages in results:
                    self.pages.update(pages)
                    self.made[episode_id] = {"key": keys[episode_id], "files": sorted(pages)}

    def render_episode(self, show: Show, item: FeedEpisode) -> None:
        episode = item.episode
        cues = []
        if vtt := item.transcripts.get("vtt"):
            try:
                cues = parse_vtt(Path(vtt.source).read_text(encoding="utf-8-sig", errors="replace"), str(vtt.source))
            except Exception:  # noqa: BLE001 - a broken producer edit: the page goes out without its transcript
                cues = []
        sentences, speakers = speaker_sentences(cues)
        chapters: list[Chapter] = read_chapters(Path(item.chapters.source)) if item.chapters else []
        clips = clips_of(item)
        for clip in clips:
            self.pages[clip.captions] = clip_vtt(cues, clip)
        key = episode_page_key(episode)
        embed = embed_key(episode)
        artwork = item.artwork or self.artwork.get(show.slug)  # the episode's own, else the show's
        artwork_url = url(self.base_url, artwork.key) if artwork else ""
        thumb = self.thumb_key(show.slug)
        if item.artwork:
            thumb = episode_thumbnail_key(episode)
            self.pages[thumb] = thumbnail(item.artwork.source)
        page_url = self.absolute(key)
        audio_url = url(self.base_url, item.audio.key)
        day = item.published.date()
        description = episode.description or show.description or episode.title
        ld = {
            "@context": "https://schema.org", "@type": "PodcastEpisode", "name": episode.title,
            "url": page_url, "datePublished": day.isoformat(), "description": description,
            "timeRequired": iso_duration(episode.duration),
            "associatedMedia": {"@type": "MediaObject", "contentUrl": audio_url,
                                "encodingFormat": item.audio.mime, "duration": iso_duration(episode.duration)},
            "partOfSeries": {"@type": "PodcastSeries", "name": show.title,
                             "url": self.absolute(show_page_key(show.slug)),
                             "webFeed": url(self.base_url, feed_key(show.slug))},
            "inLanguage": show.language,
        }
        if artwork_url:
            ld["image"] = artwork_url
        if item.transcripts.get("txt"):
            ld["transcript"] = url(self.base_url, item.transcripts["txt"].key)
        share_text = quote(f"{episode.title} {page_url}")
        share = {
            "whatsapp": f"https://wa.me/?text={share_text}",
            "x": f"https://twitter.com/intent/tweet?text={quote(episode.title)}&url={quote(page_url, safe='')}",
            "facebook": f"https://www.facebook.com/sharer/sharer.php?u={quote(page_url, safe='')}",
        }
        embed_url = self.absolute(embed)
        iframe = (f'<iframe src="{embed_url}" title="{attr(episode.title)}" width="100%" height="180" '
                  f'style="border:0;max-width:40rem" loading="lazy"></iframe>')
        context = dict(show=show, item=item, episode=episode, day=strings.long_date(day, show.language),
                       iso_day=day.isoformat(), description=description, notes=Markup(notes_html(description)),
                       paragraphs=paragraphs(sentences, [c.start for c in chapters], speakers), chapters=chapters,
                       clips=clips,
                       artwork_url=artwork_url, audio_url=audio_url, page_url=page_url, ld=ld, share=share,
                       iframe=iframe, thumb=thumb, embed_key=embed)
        self.render(key, "episode.html", show.language, **context)
        for clip in clips:
            self.render(clip.page, "clip.html", show.language, clip=clip, clip_url=self.absolute(clip.page),
                        episode_key=key, **context)
        self.render(embed, "embed.html", show.language, **context)


_worker: list[SiteBuilder] = []  # in a worker process of SiteBuilder.render_episodes: the builder it renders with


def _start_worker(builder: SiteBuilder) -> None:
    builder.pages = {}
    _worker.append(builder)


def _render_batch(batch: list[tuple[str, FeedEpisode]]) -> list[tuple[str, dict[str, bytes]]]:
    """Pages of some episodes, rendered in a worker process: (episode id, {key: bytes}) each."""
    builder = _worker[0]
    results = []
    for slug, item in batch:
        builder.pages = {}
        builder.render_episode(builder.shows[slug], item)
        results.append((item.episode.id, builder.pages))
    builder.pages = {}
    return results


def _code_key() -> str:
    """A hash of the code and templates pages are made with: another Studio renders every page again."""
    digest = hashlib.sha256()
    for path in sorted([*HERE.glob("*.py"), *TEMPLATES_DIR.iterdir(), HERE.parent / "layout.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_site(workspace, shows: dict[str, Show], items: dict[str, list[FeedEpisode]],
               artwork: dict[str, Asset | None], base_url: str, out: Path,
               signatures: dict[str, list[int]] | None = None) -> SiteResult:
    """Render the site into `out` (only changed pages written) and rebuild the search index of each show
    whose episode pages changed."""
    builder = SiteBuilder(workspace, shows, items, artwork, base_url, out, signatures)
    pages = builder.build()
    result = write_site(pages, out, builder.kept)
    if builder.made != builder.cached:
        write_bytes(out / CACHE_FILE, json.dumps(builder.made, separators=(",", ":")).encode())
    searched = {slug for slug in shows if items.get(slug)}
    redo = {s for key in result.changed + result.removed if (s := show_of(key, searched))}
    redo |= {s for s in searched if not (out / SEARCH_INDEX_DIR / s / "pagefind.js").is_file()}
    if redo:  # shows side by side: each run spends much of its time starting and reading pages
        pagefind = pagefind_command()
        with ThreadPoolExecutor(max_workers=min(len(redo), os.cpu_count() or 1, 4)) as pool:
            list(pool.map(lambda slug: build_search_index(out, slug, pagefind), sorted(redo)))
    if (out / SEARCH_INDEX_DIR).is_dir():
        for stale in (out / SEARCH_INDEX_DIR).iterdir():  # shows gone, or without episodes now
            if stale.name not in searched:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    result.indexed = bool(redo)
    return result
