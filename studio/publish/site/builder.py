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

The media the pages name (media/, transcripts/, chapters/, clips/, artwork/, feeds/) are
laid out by studio.publish.layout and published beside the pages.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import quote

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    select_autoescape,
)

from ...captions.formats import parse_vtt
from ...errors import ProcessingError
from ...fsutil import read_json, write_bytes
from ...text.chapters import Chapter, read_chapters
from ...text.sentences import Sentence, sentences_from_cues
from ...workspace.config import Show
from ..collect import Asset, FeedEpisode
from ..layout import OPML_KEY, check_base_url, feed_key, url
from . import strings

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
PAGE_SIZE = 20
NEWEST_ON_INDEX = 10
THUMB_PX = 400
PARAGRAPH_PAUSE_S = 2.0
PARAGRAPH_CHARS = 600
# Top-level names the published tree already uses (studio.publish.layout, studio serve's /radio/, the site's own):
# a show with one of these slugs gets its pages under show-<slug>/ instead.
RESERVED = frozenset({"feeds", "media", "transcripts", "chapters", "clips", "artwork", "radio", "embed", "search",
                      "static", "pagefind", "index.html", "sitemap.xml", "robots.txt"})
POOL_MIN_EPISODES = 200  # fewer episodes to render: in this process (starting workers costs more)
POOL_BATCH = 25  # episodes a worker renders per task
MAX_WORKERS = 4
SEARCH_DIR = "pagefind"  # one Pagefind index per show: pagefind/<show>/, merged by search.js
CACHE_FILE = ".site-cache.json"  # in the site folder: per episode (and show:<slug>), the key its pages were made from


@dataclass(frozen=True)
class Paragraph:
    start: float
    anchor: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Clip:
    number: int
    title: str
    start: float
    end: float
    video: str  # key of the MP4 shown
    captions: str  # key of its VTT
    page: str  # key of its own page (its preview, when shared, is the clip itself)


@dataclass
class SiteResult:
    pages: int = 0
    changed: list[str] = field(default_factory=list)  # written now (new or different bytes)
    removed: list[str] = field(default_factory=list)
    indexed: bool = False  # Pagefind ran


def page_dir(show: str) -> str:
    """The folder of a show's pages: its slug, unless that is a name the tree already uses."""
    return f"show-{show}" if show in RESERVED else show


def paragraphs(sentences: Sequence[Sentence], chapter_starts: Sequence[float] = ()) -> list[Paragraph]:
    """Sentences in paragraphs: a new one after a pause, at a chapter start, or when one grows long."""
    groups: list[list[Sentence]] = []
    starts = sorted(chapter_starts)
    for sentence in sentences:
        current = groups[-1] if groups else None
        crosses = current and any(current[0].start < c <= sentence.start for c in starts)
        if (current is None or crosses or sentence.start - current[-1].end >= PARAGRAPH_PAUSE_S
                or sum(len(s.text) + 1 for s in current) >= PARAGRAPH_CHARS):
            groups.append([sentence])
        else:
            current.append(sentence)
    found, seen = [], set()
    for group in groups:
        anchor = f"t{int(group[0].start)}"
        while anchor in seen:
            anchor += "x"
        seen.add(anchor)
        found.append(Paragraph(group[0].start, anchor, tuple(group)))
    return found


def _environment(cache: Path | None = None) -> Environment:
    """Jinja with the site's filters; compiled templates are kept in `cache` (compiling costs more than an
    incremental build's rendering)."""
    bytecode = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode = FileSystemBytecodeCache(str(cache))
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=bytecode)
    env.globals["page_dir"] = page_dir
    env.filters["clock"] = strings.clock
    env.filters["seconds"] = _seconds
    env.filters["spans"] = _spans
    env.filters["paras"] = lambda text: [p.strip() for p in text.split("\n\n") if p.strip()]
    env.filters["json"] = _json_script
    env.filters["longdate"] = lambda when, lang: strings.long_date(when.date(), lang)
    return env


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _spans(sentences: Sequence[Sentence]) -> str:
    """A paragraph's sentences as <span>s with their times: built here, not in the template, because an
    episode has hundreds and Jinja's loop costs several times more per sentence."""
    from markupsafe import Markup, escape

    return Markup(" ".join(f'<span class="s" data-start="{_seconds(s.start)}" data-end="{_seconds(s.end)}">'
                           f'{escape(s.text)}</span>' for s in sentences))


def _json_script(data: object) -> str:
    """JSON for a <script type="application/ld+json"> block: '<' escaped so no text can close the element."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def _iso_duration(seconds: float) -> str:
    total = int(round(seconds))
    return f"PT{total // 3600}H{total % 3600 // 60}M{total % 60}S"


def _clips(item: FeedEpisode) -> list[Clip]:
    """One clip per highlight: its landscape rendering when there is one (else the first format)."""
    assets = {Path(a.key).name: a for a in item.clips}
    found = []
    for number, entry in enumerate(item.highlights, start=1):
        if not isinstance(entry.get("files"), dict):
            continue
        files = entry["files"]
        name = next((Path(files[f]).name for f in ("landscape", "square", "vertical") if f in files), None)
        if name not in assets:
            continue
        try:
            start, end = float(entry["start"]), float(entry["end"])
        except (KeyError, TypeError, ValueError):
            continue
        title = str(entry.get("title") or item.episode.title)
        folder = f"{page_dir(item.episode.show)}/{item.episode.slug}"
        found.append(Clip(number, title, start, end, assets[name].key, f"{folder}/clip-{number:02d}.vtt",
                          f"{folder}/clip-{number:02d}/index.html"))
    return found


def _clip_vtt(cues, clip: Clip) -> bytes:
    lines = ["WEBVTT", ""]
    for cue in cues:
        if cue.end <= clip.start or cue.start >= clip.end:
            continue
        start, end = max(0.0, cue.start - clip.start), min(clip.end, cue.end) - clip.start
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}", cue.text, ""]
    return "\n".join(lines).encode()


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def _thumbnail(source: Path) -> bytes:
    """A small JPEG of the show's artwork for the pages (the full artwork is for podcast apps)."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


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

    def absolute(self, key: str) -> str:
        return f"{self.base_url}/{key}".removesuffix("index.html")

    def render(self, key: str, template: str, lang: str, **context) -> None:
        depth = key.count("/")
        root = "../" * depth
        text = self.env.get_template(template).render(
            root=root, key=key, url=self.absolute(key), lang=strings.lang_code(lang), t=strings.catalogue(lang),
            site_t=strings.catalogue(self.site_lang), base_url=self.base_url, shows=self.shows, **context)
        self.pages[key] = text.encode("utf-8")

    def thumb_key(self, slug: str) -> str | None:
        return f"static/art/{slug}.jpg" if self.artwork.get(slug) else None

    def build(self) -> dict[str, bytes]:
        for name in sorted(os.listdir(STATIC_DIR)):
            self.pages[f"static/{name}"] = (STATIC_DIR / name).read_bytes()
        for slug, asset in self.artwork.items():
            if asset:
                self.pages[f"static/art/{slug}.jpg"] = _thumbnail(asset.source)
        newest = sorted((i for items in self.items.values() for i in items),
                        key=lambda i: i.published.timestamp(), reverse=True)[:NEWEST_ON_INDEX]
        self.render("index.html", "index.html", self.site_lang, newest=newest, thumbs=self.thumb_key,
                    opml=OPML_KEY)
        self.sitemap.append(("index.html", newest[0].published.date().isoformat() if newest else ""))
        self.render("search/index.html", "search.html", self.site_lang, thumbs=self.thumb_key,
                    indexes=[slug for slug in self.shows if self.items.get(slug)])
        todo: list[tuple[Show, FeedEpisode, str]] = []
        for slug, show in self.shows.items():
            self.show_pages(show, self.items.get(slug, []))
            for item in self.items.get(slug, []):
                if key := self.episode_pages(show, item):
                    todo.append((show, item, key))
        self.render_episodes(todo)
        self.pages["sitemap.xml"] = self.env.get_template("sitemap.xml").render(
            entries=[(self.absolute(k), day) for k, day in self.sitemap]).encode()
        self.pages["robots.txt"] = (f"User-agent: *\nAllow: /\nDisallow: /{SEARCH_DIR}/\n\n"
                                    f"Sitemap: {self.base_url}/sitemap.xml\n").encode()
        return self.pages

    def show_pages_key(self, show: Show, items: list[FeedEpisode]) -> str | None:
        """A hash of what a show's pages are made from, when publish gave every episode's signature."""
        keys = [self.signatures.get(item.episode.id) for item in items]
        if not all(keys):
            return None
        artwork = self.artwork.get(show.slug)
        digest = hashlib.sha256(json.dumps([self.code, self.base_url, {s: asdict(v) for s, v in self.shows.items()},
                                            artwork.key if artwork else None], sort_keys=True).encode())
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
            folder = page_dir(show.slug)
            key = f"{folder}/index.html" if number == 1 else f"{folder}/page/{number}/index.html"
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
                                                    artwork.key if artwork else None], sort_keys=True)
        data = [self.show_keys[show.slug], self.signatures.get(item.episode.id), vars(item.episode),
                item.published.isoformat(), [[a.key, a.size, a.mtime_ns] for a in item.assets]]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def episode_pages(self, show: Show, item: FeedEpisode) -> str | None:
        """Keep the episode's pages if its inputs are unchanged; else the key to render them under."""
        episode = item.episode
        key = self.episode_key(show, item)
        before = self.cached.get(episode.id)
        self.sitemap.append((f"{page_dir(episode.show)}/{episode.slug}/index.html", item.published.date().isoformat()))
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
        sentences = sentences_from_cues((c.start, c.end, c.body) for c in cues)
        chapters: list[Chapter] = read_chapters(Path(item.chapters.source)) if item.chapters else []
        clips = _clips(item)
        for clip in clips:
            self.pages[clip.captions] = _clip_vtt(cues, clip)
        key = f"{page_dir(episode.show)}/{episode.slug}/index.html"
        embed_key = f"embed/{episode.show}/{episode.slug}.html"
        artwork = self.artwork.get(show.slug)
        artwork_url = url(self.base_url, artwork.key) if artwork else ""
        page_url = self.absolute(key)
        audio_url = url(self.base_url, item.audio.key)
        day = item.published.date()
        description = episode.description or show.description or episode.title
        ld = {
            "@context": "https://schema.org", "@type": "PodcastEpisode", "name": episode.title,
            "url": page_url, "datePublished": day.isoformat(), "description": description,
            "timeRequired": _iso_duration(episode.duration),
            "associatedMedia": {"@type": "MediaObject", "contentUrl": audio_url,
                                "encodingFormat": item.audio.mime, "duration": _iso_duration(episode.duration)},
            "partOfSeries": {"@type": "PodcastSeries", "name": show.title,
                             "url": self.absolute(f"{page_dir(show.slug)}/index.html"),
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
        embed_url = self.absolute(embed_key)
        iframe = (f'<iframe src="{embed_url}" title="{_attr(episode.title)}" width="100%" height="180" '
                  f'style="border:0;max-width:40rem" loading="lazy"></iframe>')
        context = dict(show=show, item=item, episode=episode, day=strings.long_date(day, show.language),
                       iso_day=day.isoformat(), description=description, paragraphs=paragraphs(
                           sentences, [c.start for c in chapters]), chapters=chapters, clips=clips,
                       artwork_url=artwork_url, audio_url=audio_url, page_url=page_url, ld=ld, share=share,
                       iframe=iframe, thumb=self.thumb_key(show.slug), embed_key=embed_key)
        self.render(key, "episode.html", show.language, **context)
        for clip in clips:
            self.render(clip.page, "clip.html", show.language, clip=clip, clip_url=self.absolute(clip.page),
                        episode_key=key, **context)
        self.render(embed_key, "embed.html", show.language, **context)


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
    for path in sorted([*HERE.glob("*.py"), *TEMPLATES_DIR.iterdir()]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def write_site(pages: dict[str, bytes], out: Path, kept: set[str] = frozenset()) -> SiteResult:
    """Write `pages` under `out`, each only when its bytes differ; remove files that are neither
    in `pages` nor `kept` (pages of unchanged episodes, left as they are)."""
    result = SiteResult(pages=len(pages) + len(kept))
    out.mkdir(parents=True, exist_ok=True)
    for key, data in pages.items():
        path = out / key
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                continue
        except OSError:
            pass
        write_bytes(path, data, durable=False)
        result.changed.append(key)
    root = str(out)
    for parent, dirs, names in os.walk(root):
        rel = parent[len(root) + 1:] or "."  # os.walk joins below root: relpath would normalise both paths each time
        if rel == SEARCH_DIR:
            dirs.clear()
            continue
        for name in names:
            key = name if rel == "." else f"{rel}/{name}"
            if key not in pages and key not in kept and not name.startswith("."):
                os.unlink(os.path.join(parent, name))
                result.removed.append(key)
    return result


def _show_of(key: str, shows: Iterable[str]) -> str | None:
    """The show whose search index a changed site file belongs to (an episode page), else None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[2] == "index.html" and parts[1][:1].isdigit():
        return next((slug for slug in shows if page_dir(slug) == parts[0]), None)
    return None


def _pagefind_command() -> list[str]:
    """The Pagefind binary itself when its package says where it is (no Python start per show), else its module."""
    try:
        from pagefind.service import _must_get_executable

        return [str(_must_get_executable().resolve())]
    except Exception:  # noqa: BLE001 - another pagefind release: run it as a module
        return [sys.executable, "-m", "pagefind"]


def build_search_index(out: Path, show: str, pagefind: Sequence[str] = ()) -> None:
    """Pagefind's index of one show's episode pages (the parts marked data-pagefind-body) in pagefind/<show>/.

    One index per show keeps a change cheap: only that show's pages are indexed again;
    search.js merges the shows' indexes in the browser."""
    index = out / SEARCH_DIR / show
    if index.exists():
        shutil.rmtree(index)
    command = [*(pagefind or _pagefind_command()), "--site", str(out), "--glob", f"{page_dir(show)}/[0-9]*/index.html",
               "--output-path", str(index)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProcessingError(f"the site's search index could not be built: {exc}") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ProcessingError(f"the site's search index could not be built: {reason[-1] if reason else done.returncode}")


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
    redo = {s for key in result.changed + result.removed if (s := _show_of(key, searched))}
    redo |= {s for s in searched if not (out / SEARCH_DIR / s / "pagefind.js").is_file()}
    if redo:  # shows side by side: each run spends much of its time starting and reading pages
        pagefind = _pagefind_command()
        with ThreadPoolExecutor(max_workers=min(len(redo), os.cpu_count() or 1, 4)) as pool:
            list(pool.map(lambda slug: build_search_index(out, slug, pagefind), sorted(redo)))
    if (out / SEARCH_DIR).is_dir():
        for stale in (out / SEARCH_DIR).iterdir():  # shows gone, or without episodes now
            if stale.name not in searched:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    result.indexed = bool(redo)
    return result
