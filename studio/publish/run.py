"""`studio publish`: the feeds and everything they name to the public target, broadcast files to the radio target.

Two targets, each a folder or an S3 bucket and key prefix:

    public (publish_to, --to)       what listeners reach: media, transcripts, chapters, clips,
                                    artwork, feeds (laid out as `studio.publish.feeds` describes)
    radio  (radio_to, --radio-to)   what stations pull: <show>/<episode>.wav and manifest.json;
                                    never public (`studio serve --radio-dir` answers a station's
                                    token only)

Publishing runs in phases, each finished before the next starts:

    1. content:         media, transcripts, chapters, clips, artwork,  (public)
                        the listener site and its search index (studio.publish.site)
    2. radio:           broadcast WAVs                                 (radio)
    3. radio manifest:  manifest.json                                  (radio)
    4. feeds:           feeds/<show>.xml                               (public)
    5. index:           feeds/index.opml                               (public)

so neither a feed nor the radio manifest names an object that is not there yet. If
anything in a phase fails, later phases are not run: the previously published feeds
stay as they were, the error says why (ProcessingError, exit 1), and running publish
again uploads what is missing.

The target is the truth. An object is skipped as unchanged only when the target's
listing (one directory walk, or one paginated ListObjectsV2 pass: never a request per
object) holds it with the planned size and the manifest of what was published
(`.studio-publish.json` at the target's root) has its sha256; so an object deleted
from the target is uploaded again. Each finished upload is also appended to a journal
in the workspace's cache folder (publish-journal/), folded into the manifest when the
run ends, so a publish killed midway does not upload again what it finished.
Objects under the target that are no longer published are reported and kept;
`prune` deletes them (never anything outside the target's folder or prefix). A
`radio/` tree that an older Studio put into the public target is deleted.

Caches in the workspace's cache folder keep publish cheap for thousands of episodes
(every episode is read once per plan, for the feeds, the site and the radio manifest):

    publish-hashes.json  the sha256 of each source file by size and modification time,
                         so media are read only when they change
    publish-episodes.json  each parsed episode.toml by size and modification time
    publish-feeds/       each show's feed as last rendered and the key of its inputs
                         (episode.toml and state.json sizes and times, published files):
                         a feed is rendered again only when that key changes
    publish-plan.json    the last plan (keys, hashes, sizes; not the feed bytes) under a
                         fingerprint of every input's name, size and modification time:
                         when nothing changed, no episode.toml is parsed and no feed is
                         rendered, and if a target then needs anything the full plan is made
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import io
import json
import os
import shutil
import tomllib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .. import radio
from ..errors import BadInput, ProcessingError
from ..fsutil import append_line, atomic_path, read_json, sha256_file, write_bytes
from ..progress import Reporter
from ..workspace import approval
from ..workspace.tree import EPISODE_FILE, Episode, Workspace
from . import feeds, site

MANIFEST_KEY = ".studio-publish.json"
HASH_CACHE_FILE = "publish-hashes.json"
PLAN_CACHE_FILE = "publish-plan.json"
EPISODE_CACHE_FILE = "publish-episodes.json"  # parsed episode.toml files by size and modification time
FEED_CACHE_DIR = "publish-feeds"  # the feeds last rendered, <show>.xml, and the key of their inputs (keys.json)
JOURNAL_DIR = "publish-journal"  # one <hash of the target's name>.jsonl per target: uploads not yet in its manifest
PLAN_VERSION = 2  # bump when the plan or the feeds change for the same inputs
MULTIPART_THRESHOLD = 64 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's smallest multipart part (but the last)
FEED_CACHE = "public, max-age=300"
MEDIA_CACHE = "public, max-age=86400"  # names are per episode, not per content: no `immutable`
TEXT_CACHE = "public, max-age=3600"  # transcripts and chapters get corrected
SITE_CACHE = "public, max-age=300"  # site pages and the search index: they change with every episode
SITE_DIR = "site"  # the site as last built, in the workspace's cache folder
MANIFEST_CACHE = "no-cache"
RADIO_CACHE = "private, max-age=86400"
RADIO_MANIFEST_CACHE = "private, max-age=60"

PUBLIC, RADIO = "public", "radio"  # the two targets
CONTENT, RADIO_FILES, RADIO_INDEX, FEEDS, INDEX = 0, 1, 2, 3, 4
PHASES = {CONTENT: ("media", PUBLIC), RADIO_FILES: ("radio", RADIO), RADIO_INDEX: ("radio manifest", RADIO),
          FEEDS: ("feeds", PUBLIC), INDEX: ("index", PUBLIC)}


@dataclass(frozen=True)
class Upload:
    """One object of a target: a workspace file (`source`) or generated bytes (`data`); its phase says which target."""

    key: str
    mime: str
    cache_control: str
    sha256: str
    size: int
    phase: int
    source: Path | str | None = None  # a str for the site's many files (pathlib costs more than the rest)
    data: bytes | None = None
    mtime_ns: int = 0


@dataclass
class PublishReport:
    target: str
    base_url: str
    radio_target: str = ""
    uploaded: int = 0  # on both targets
    skipped: int = 0
    bytes: int = 0
    episodes: int = 0
    uploaded_keys: list[str] = field(default_factory=list)  # public target
    radio_keys: list[str] = field(default_factory=list)  # radio target
    feeds: list[str] = field(default_factory=list)  # feed URLs
    opml: str = ""
    stale: list[str] = field(default_factory=list)  # in the public target, no longer published (kept unless pruned)
    radio_stale: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)  # deleted by prune
    radio_pruned: list[str] = field(default_factory=list)
    legacy_removed: list[str] = field(default_factory=list)  # radio/ objects an older Studio made public

    @property
    def message(self) -> str:
        targets = f"{self.target} and {self.radio_target}"
        if not self.uploaded:
            text = f"nothing to upload: all {self.skipped} files in {targets} are up to date"
        else:
            text = (f"published {self.uploaded} file(s), {_size(self.bytes)}, to {targets}"
                    f" ({self.skipped} unchanged); feeds: {self.opml}")
        if self.legacy_removed:
            text += f"; removed {len(self.legacy_removed)} radio file(s) an older Studio had made public"
        if self.pruned or self.radio_pruned:
            text += f"; pruned {len(self.pruned) + len(self.radio_pruned)} file(s) no longer published"
        if stale := len(self.stale) + len(self.radio_stale):
            text += f"; {stale} file(s) no longer published were kept (--prune deletes them)"
        return text


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return ""


# -- planning -----------------------------------------------------------------

class HashCache:
    """sha256 of workspace files keyed by (size, mtime): files are read only when they change."""

    def __init__(self, path: Path, root: Path):
        self.path, self.root = path, root
        self.prefix = str(root).rstrip("/") + "/"
        entries = read_json(path, default={})
        self.entries: dict[str, list] = entries if isinstance(entries, dict) else {}
        self.used: dict[str, list] = {}

    def sha256(self, source: Path | str, size: int, mtime_ns: int) -> str:
        name = source if isinstance(source, str) else str(source)
        if name.startswith(self.prefix):  # plain string work: this runs for every published file
            name = name[len(self.prefix):]
        entry = self.entries.get(name)
        if not (entry and entry[0] == size and entry[1] == mtime_ns):
            try:
                entry = [size, mtime_ns, sha256_file(source)]
            except OSError as exc:
                raise ProcessingError(f"cannot read {source}: {exc.strerror or exc}") from None
        self.used[name] = entry
        return entry[2]

    def save(self) -> None:
        if self.used != self.entries:
            _write_cache(self.path, self.used)


def _write_cache(path: Path, data: object) -> None:
    """A cache file: compact JSON (json's fast encoder; indented output takes its slow path)."""
    write_bytes(path, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def _cache_control(key: str) -> str:
    if key.startswith(("transcripts/", "chapters/")):
        return TEXT_CACHE
    return MEDIA_CACHE


def _site_uploads(folder: Path, hashes: HashCache) -> list[Upload]:
    """Every file of the built site (pages, static files, search index), published with the media."""
    uploads = []
    root = str(folder)
    for parent, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = parent[len(root) + 1:] or "."  # os.walk joins below root: relpath would normalise both paths each time
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(parent, name)
            info = os.stat(path)
            key = name if rel == "." else f"{rel}/{name}"
            uploads.append(Upload(key=key, mime=feeds.mime_type(key), cache_control=SITE_CACHE,
                                  sha256=hashes.sha256(path, info.st_size, info.st_mtime_ns), size=info.st_size,
                                  phase=CONTENT, source=path, mtime_ns=info.st_mtime_ns))
    return uploads


def _file_upload(asset: feeds.Asset, hashes: HashCache) -> Upload:
    return Upload(key=asset.key, mime=asset.mime, cache_control=_cache_control(asset.key),
                  sha256=hashes.sha256(asset.source, asset.size, asset.mtime_ns), size=asset.size,
                  phase=CONTENT, source=asset.source, mtime_ns=asset.mtime_ns)


def _data_upload(key: str, data: bytes, phase: int) -> Upload:
    return Upload(key=key, mime=feeds.mime_type(key), cache_control=FEED_CACHE,
                  sha256=hashlib.sha256(data).hexdigest(), size=len(data), phase=phase, data=data)


@dataclass
class Plan:
    uploads: list[Upload]
    feeds: list[str]
    opml: str
    episodes: int

    def to_json(self, fingerprint: str) -> dict:
        uploads = [{"key": u.key, "mime": u.mime, "cache_control": u.cache_control, "sha256": u.sha256,
                    "size": u.size, "phase": u.phase} for u in self.uploads]
        return {"fingerprint": fingerprint, "uploads": uploads, "feeds": self.feeds, "opml": self.opml,
                "episodes": self.episodes}


def input_fingerprint(workspace: Workspace, base_url: str) -> str:
    """A hash of the name, size and modification time of everything a plan is made from.

    Every episode folder, its .studio/ and clips/, feeds/ and studio.toml are listed and
    every file in them is stat'ed (no file is read), so any edit, re-render, new or removed
    file changes it, as does another base URL or another Studio (its source is hashed too:
    a changed feed format must not be skipped as "unchanged").
    """
    lines = [f"{PLAN_VERSION}", _code_digest(), _feed_versions(), base_url]

    def add(folder: str, depth: int) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name == "lock":  # .studio/lock: rewritten by every `process`, says nothing
                continue
            try:
                if entry.is_dir():
                    if depth > 0 and not (depth >= 2 and entry.name.startswith(".")):
                        lines.append(entry.path + "/")
                        add(entry.path, depth - 1)
                    continue
                info = entry.stat()
            except OSError:
                continue
            lines.append(f"{entry.path} {info.st_size} {info.st_mtime_ns}")

    add(str(workspace.feeds_dir), 0)
    add(str(workspace.episodes_dir), 3)  # show / episode / .studio and clips
    with contextlib.suppress(OSError):
        info = workspace.settings_path.stat()
        lines.append(f"settings {info.st_size} {info.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _feed_versions() -> str:
    import feedgen.version
    import lxml

    return f"{feedgen.version.version_str} {lxml.__version__}"


@functools.cache
def _code_digest() -> str:
    """A hash of Studio's source, templates and data: another Studio plans and renders everything again."""
    code = hashlib.sha256()
    for source in sorted(Path(__file__).resolve().parents[1].rglob("*")):
        if source.suffix in (".py", ".html", ".xml", ".css", ".js", ".txt") and "__pycache__" not in source.parts:
            code.update(source.read_bytes())
    return code.hexdigest()


def cached_plan(workspace: Workspace, fingerprint: str) -> Plan | None:
    """The last plan if it was made from exactly these inputs (uploads without their data)."""
    data = read_json(workspace.cache_dir / PLAN_CACHE_FILE, default=None)
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return None
    try:
        uploads = [Upload(**u) for u in data["uploads"]]
        return Plan(uploads=uploads, feeds=data["feeds"], opml=data["opml"], episodes=data["episodes"])
    except (KeyError, TypeError):
        return None


def _radio_uploads(workspace: Workspace, hashes: HashCache, inputs: EpisodeInputs, episodes: list[Episode]) -> list[Upload]:
    """Broadcast files of `episodes`, then their manifest: both for the radio target only, never the public one."""
    delivery = radio.radio_delivery(workspace, episodes=episodes, states=inputs.states)
    uploads = []
    for source, key in delivery.files:
        info = source.stat()
        uploads.append(Upload(key=key, mime="audio/wav", cache_control=RADIO_CACHE,
                              sha256=hashes.sha256(source, info.st_size, info.st_mtime_ns), size=info.st_size,
                              phase=RADIO_FILES, source=source, mtime_ns=info.st_mtime_ns))
    manifest = delivery.manifest_bytes()
    uploads.append(Upload(key=radio.MANIFEST_NAME, mime="application/json", cache_control=RADIO_MANIFEST_CACHE,
                          sha256=hashlib.sha256(manifest).hexdigest(), size=len(manifest), phase=RADIO_INDEX,
                          data=manifest))
    return uploads


@dataclass
class EpisodeInputs:
    """Every episode read once for the whole plan (feeds, site, radio manifest): its episode.toml, its
    state.json, and a key of both files' sizes and modification times."""

    episodes: list[Episode]
    states: dict[str, dict]  # episode id -> state.json
    keys: dict[str, str]  # episode id -> "toml size mtime state size mtime"


def read_episodes(workspace: Workspace) -> EpisodeInputs:
    """The episodes as `Workspace.episodes()` lists them (same order, same errors), episode.toml parsed only
    when its size or modification time changed since the last publish (tomllib is slow for thousands)."""
    cache_path = workspace.cache_dir / EPISODE_CACHE_FILE
    cached = read_json(cache_path, default={})
    cached = cached if isinstance(cached, dict) else {}
    used: dict[str, list] = {}
    found = EpisodeInputs([], {}, {})
    root = str(workspace.episodes_dir)
    for show in sorted(_names(root)):
        for slug in sorted(_names(os.path.join(root, show))):
            folder = os.path.join(root, show, slug)
            path = os.path.join(folder, EPISODE_FILE)
            try:
                info = os.stat(path)
            except OSError:
                continue
            episode_id = f"{show}/{slug}"
            entry = cached.get(episode_id)
            if not (isinstance(entry, list) and len(entry) == 3 and entry[:2] == [info.st_size, info.st_mtime_ns]):
                try:
                    with open(path, "rb") as f:
                        entry = [info.st_size, info.st_mtime_ns, tomllib.load(f)]
                except tomllib.TOMLDecodeError as exc:
                    raise BadInput(f"{path}: invalid episode file: {exc}") from None
                if not _plain(entry[2]):  # a TOML date or time: JSON would bring it back as something else
                    entry = [-1, -1, entry[2]]
            try:
                episode = Episode(**entry[2])
            except TypeError as exc:
                raise BadInput(f"{path}: invalid episode file: {exc}") from None
            if entry[0] != -1:
                used[episode_id] = entry
            state_file = os.path.join(folder, feeds.STATE_FILE)
            try:
                state_info = os.stat(state_file)
                state = read_json(Path(state_file), default={})
                state_key = f"{state_info.st_size} {state_info.st_mtime_ns}"
            except OSError:
                state, state_key = {}, "-"
            found.episodes.append(episode)
            found.states[episode.id] = state if isinstance(state, dict) else {}
            found.keys[episode.id] = f"{info.st_size} {info.st_mtime_ns} {state_key}"
    if used != cached:
        with contextlib.suppress(OSError):  # a read-only workspace still publishes, only slower
            _write_cache(cache_path, used)
    return found


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (str, int, float, bool))


def _names(folder: str) -> list[str]:
    """Sub-folders, hidden ones left out (ingests or replacements in progress), as Workspace.episode_ids does."""
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []


def _feed_key(show_key: str, items: list[feeds.FeedEpisode], keys: dict[str, str]) -> str:
    """What a show's feed is made from: the show, the base URL and code (show_key), and per episode its
    files' keys and the sizes and times of the files published with it."""
    digest = hashlib.sha256(show_key.encode())
    for item in items:
        digest.update(f"\n{item.episode.id} {keys.get(item.episode.id)}".encode())
        for asset in item.assets:
            digest.update(f" {asset.key} {asset.size} {asset.mtime_ns}".encode())
    return digest.hexdigest()


class FeedCache:
    """The feeds rendered last time, reused while the key of their inputs is the same."""

    def __init__(self, folder: Path):
        self.folder = folder
        keys = read_json(folder / "keys.json", default={})
        self.keys: dict[str, str] = keys if isinstance(keys, dict) else {}
        self.used: dict[str, str] = {}

    def feed(self, slug: str, key: str, render: Callable[[], bytes]) -> bytes:
        path = self.folder / f"{slug}.xml"
        if self.keys.get(slug) == key:
            with contextlib.suppress(OSError):
                data = path.read_bytes()
                self.used[slug] = key
                return data
        data = render()
        with contextlib.suppress(OSError):
            write_bytes(path, data)
            self.used[slug] = key
        return data

    def save(self) -> None:
        if self.used != self.keys:
            with contextlib.suppress(OSError):
                _write_cache(self.folder / "keys.json", self.used)


def plan_publish(workspace: Workspace, base_url: str, reporter: Reporter | None = None) -> Plan:
    """Every object of both targets, with its phase, type and sha256."""
    reporter = reporter or Reporter(quiet=True)
    base_url = feeds.check_base_url(base_url)
    shows = workspace.shows()
    inputs = read_episodes(workspace)
    by_show: dict[str, list] = defaultdict(list)
    ready = approval.publishable(workspace, inputs.episodes, shows, reporter)  # four eyes where required
    for episode in ready:
        by_show[episode.show].append(episode)
    for slug in sorted(set(by_show) - set(shows)):
        reporter.info(f"skipping episodes/{slug}/: no show {slug!r} in feeds/ (add it with `studio show add`)")
    hashes = HashCache(workspace.cache_dir / HASH_CACHE_FILE, workspace.root)
    uploads: list[Upload] = []
    feed_urls = []
    count = 0
    site_items: dict[str, list[feeds.FeedEpisode]] = {}
    artworks: dict[str, feeds.Asset | None] = {}
    feed_cache = FeedCache(workspace.cache_dir / FEED_CACHE_DIR)
    code = _code_digest()
    feed_versions = _feed_versions()
    for show in shows.values():
        items = feeds.collect_show(workspace, by_show.get(show.slug, []), inputs.states)
        artwork = feeds.artwork_asset(workspace, show)
        site_items[show.slug], artworks[show.slug] = items, artwork
        assets = ([artwork] if artwork else []) + [a for item in items for a in item.assets]
        uploads += [_file_upload(asset, hashes) for asset in assets]
        key = feeds.feed_key(show.slug)
        show_key = json.dumps([code, feed_versions, base_url, asdict(show), [artwork.key, artwork.size, artwork.mtime_ns]
                               if artwork else None], sort_keys=True, default=str)
        feed = feed_cache.feed(show.slug, _feed_key(show_key, items, inputs.keys),
                               lambda: feeds.render_feed(show, items, base_url, artwork))
        uploads.append(_data_upload(key, feed, FEEDS))
        feed_urls.append(feeds.url(base_url, key))
        count += len(items)
    radio_uploads = _radio_uploads(workspace, hashes, inputs, ready)  # a broken broadcast file stops us before the site
    if workspace.settings.site:
        site_dir = workspace.cache_dir / SITE_DIR
        built = site.build_site(workspace, shows, site_items, artworks, base_url, site_dir,
                                input_keys=inputs.keys)
        if built.changed or built.removed:
            reporter.info(f"site: {len(built.changed)} page(s) written, {len(built.removed)} removed "
                          f"of {built.pages}" + ("; search index rebuilt" if built.indexed else ""))
        uploads += _site_uploads(site_dir, hashes)
    uploads += radio_uploads
    uploads.append(_data_upload(feeds.OPML_KEY, feeds.build_opml(shows.values(), base_url), INDEX))
    hashes.save()
    feed_cache.save()
    return Plan(uploads=uploads, feeds=feed_urls, opml=feeds.url(base_url, feeds.OPML_KEY), episodes=count)


# -- targets ------------------------------------------------------------------

Done = Callable[[Upload], None]


class Target(Protocol):
    name: str

    def load_manifest(self) -> dict[str, dict]: ...

    def list_objects(self) -> dict[str, int]:
        """Every object under the target (key relative to it -> size), in one walk or one paginated listing."""

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        """Upload all, calling `done` as each one finishes; return the failures as (upload, reason)."""

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        """Delete these keys; return the failures as (key, reason)."""

    def save_manifest(self, manifest: dict[str, dict]) -> None: ...

    def close(self) -> None: ...


def _changed(upload: Upload) -> str | None:
    """Why a source file no longer matches the plan (it was re-processed meanwhile), or None."""
    if upload.source is None:
        return None
    try:
        info = os.stat(upload.source)
    except OSError as exc:
        return f"cannot read {upload.source}: {exc.strerror or exc}"
    if info.st_size != upload.size or info.st_mtime_ns != upload.mtime_ns:
        return f"{upload.source} changed while publishing"
    return None


def _manifest_bytes(manifest: dict[str, dict]) -> bytes:
    # One line: indenting takes json's slow encoder, and this is written on every publish.
    return (json.dumps({"version": 1, "objects": manifest}, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _parse_manifest(data: object) -> dict[str, dict]:
    objects = data.get("objects") if isinstance(data, dict) else None
    return {k: v for k, v in objects.items() if isinstance(v, dict)} if isinstance(objects, dict) else {}


def _os_reason(exc: OSError) -> str:
    return f"{exc.strerror}: {exc.filename}" if exc.strerror else str(exc)


class FolderTarget:
    def __init__(self, root: Path):
        self.root = root
        self.name = str(root)

    def load_manifest(self) -> dict[str, dict]:
        return _parse_manifest(read_json(self.root / MANIFEST_KEY, default={}))

    def list_objects(self) -> dict[str, int]:
        listed: dict[str, int] = {}

        def walk(folder: str, prefix: str) -> None:
            try:
                entries = os.scandir(folder)
            except FileNotFoundError:  # nothing published yet
                return
            with entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path, f"{prefix}{entry.name}/")
                    elif entry.is_file(follow_symlinks=False):  # a symlink is not a published file
                        listed[prefix + entry.name] = entry.stat(follow_symlinks=False).st_size

        try:
            walk(str(self.root), "")
        except OSError as exc:
            raise ProcessingError(f"cannot list {self.name}: {_os_reason(exc)}") from None
        return listed

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        # Threads: each copy ends in fsync, which waits on the disk, not the CPU.
        with ThreadPoolExecutor(max_workers=8) as pool:
            return [failure for failure in pool.map(lambda u: self._copy(u, done), uploads) if failure]

    def _copy(self, upload: Upload, done: Done) -> tuple[Upload, str] | None:
        try:
            final = self.root / upload.key
            if upload.data is not None:
                write_bytes(final, upload.data)
            else:
                with atomic_path(final) as temp:
                    shutil.copyfile(upload.source, temp)
                    if reason := _changed(upload):
                        raise OSError(reason)
        except OSError as exc:
            return upload, _os_reason(exc)
        done(upload)
        return None

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        failures = []
        for key in keys:
            path = self.root / key
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                failures.append((key, _os_reason(exc)))
                continue
            folder = path.parent
            while folder != self.root and folder.is_relative_to(self.root):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                folder = folder.parent
        return failures

    def save_manifest(self, manifest: dict[str, dict]) -> None:
        write_bytes(self.root / MANIFEST_KEY, _manifest_bytes(manifest))

    def close(self) -> None:
        pass


class S3Target:
    """An S3 bucket and key prefix through boto3 (credentials from the standard AWS chain)."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None, multipart_threshold: int):
        import boto3
        from boto3.s3.transfer import TransferConfig, create_transfer_manager
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.name = f"s3://{bucket}/{prefix}"
        options = {"max_pool_connections": 16}
        if endpoint_url:
            # Other S3-compatible stores often reject the CRC checksums boto3 sends by default since 1.36.
            options.update(request_checksum_calculation="when_required", response_checksum_validation="when_required")
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=Config(**options))
        config = TransferConfig(multipart_threshold=multipart_threshold,
                                multipart_chunksize=max(MIN_PART_SIZE, min(16 * 1024 * 1024, multipart_threshold)),
                                max_concurrency=10)
        self.transfers = create_transfer_manager(self.client, config)

    def load_manifest(self) -> dict[str, dict]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST_KEY)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                return {}
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - credentials, connection: one line for the user
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        try:
            return _parse_manifest(json.loads(body))
        except ValueError:
            return {}

    def list_objects(self) -> dict[str, int]:
        listed = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    listed[item["Key"][len(self.prefix):]] = item["Size"]
        except Exception as exc:  # noqa: BLE001
            raise ProcessingError(f"{self.name}: {_s3_reason(exc)}") from None
        return listed

    def upload(self, uploads: list[Upload], done: Done) -> list[tuple[Upload, str]]:
        from s3transfer.subscribers import BaseSubscriber

        class Finished(BaseSubscriber):
            """Tells `done` as soon as this object is up, whatever the order the transfers end in."""

            def __init__(self, upload: Upload):
                self.upload = upload

            def on_done(self, future, **kwargs) -> None:
                if _succeeded(future) and _changed(self.upload) is None:
                    done(self.upload)

        pending = []
        failures = []
        for upload in uploads:
            extra = {"ContentType": upload.mime, "CacheControl": upload.cache_control,
                     "Metadata": {"sha256": upload.sha256}}
            body = io.BytesIO(upload.data) if upload.data is not None else str(upload.source)
            try:
                pending.append((upload, self.transfers.upload(body, self.bucket, self.prefix + upload.key, extra,
                                                              subscribers=[Finished(upload)])))
            except Exception as exc:  # noqa: BLE001
                failures.append((upload, _s3_reason(exc)))
        for upload, future in pending:
            try:
                future.result()
                if reason := _changed(upload):
                    failures.append((upload, reason))
            except Exception as exc:  # noqa: BLE001 - reported per object, the run fails as a whole
                failures.append((upload, _s3_reason(exc)))
        return failures

    def delete(self, keys: list[str]) -> list[tuple[str, str]]:
        failures = []
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = keys[start:start + 1000]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": self.prefix + k} for k in batch], "Quiet": True})
            except Exception as exc:  # noqa: BLE001
                failures += [(key, _s3_reason(exc)) for key in batch]
                continue
            failures += [(e.get("Key", "")[len(self.prefix):], f"{e.get('Code', 'error')}: {e.get('Message', '')}")
                         for e in answer.get("Errors", [])]
        return failures

    def save_manifest(self, manifest: dict[str, dict]) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + MANIFEST_KEY, Body=_manifest_bytes(manifest),
                               ContentType="application/json", CacheControl=MANIFEST_CACHE)

    def close(self) -> None:
        self.transfers.shutdown()


def _succeeded(future) -> bool:
    try:
        future.result()
    except Exception:  # noqa: BLE001 - the caller reports it
        return False
    return True


def _s3_reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc) or type(exc).__name__


def open_target(workspace: Workspace, target: str, endpoint_url: str | None = None,
                multipart_threshold: int = MULTIPART_THRESHOLD, what: str = "target") -> Target:
    """A folder path (relative to the workspace) or s3://bucket/prefix."""
    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        if not bucket or "/" in bucket:
            raise BadInput(f"{what} {target!r}: use s3://BUCKET or s3://BUCKET/PREFIX")
        prefix = prefix.strip("/")
        return S3Target(bucket, f"{prefix}/" if prefix else "", endpoint_url, multipart_threshold)
    if "://" in target:
        raise BadInput(f"{what} {target!r}: publish to a folder or to s3://BUCKET/PREFIX")
    root = Path(target).expanduser()
    root = (root if root.is_absolute() else workspace.root / root).resolve()
    if root == workspace.root or workspace.root.is_relative_to(root) or any(
            root.is_relative_to(p) for p in (workspace.episodes_dir, workspace.feeds_dir)):
        raise BadInput(f"{what} {root} would mix published files with the workspace; use a folder such as "
                       f"{workspace.root / ('public' if what == 'target' else radio.RADIO_DIR)}")
    if root.exists() and not root.is_dir():
        raise BadInput(f"{what} {root} is not a folder")
    return FolderTarget(root)


def _check_apart(public: Target, radio_target: Target) -> None:
    """Broadcast files must never land in the public tree: neither target may hold the other."""
    a, b = public.name.rstrip("/") + "/", radio_target.name.rstrip("/") + "/"
    if a.startswith(b) or b.startswith(a):
        raise BadInput(f"radio target {radio_target.name} overlaps the public target {public.name}: broadcast "
                       "files are private; set radio_to (or --radio-to) to a folder or S3 prefix of its own")


# -- publishing ---------------------------------------------------------------

class Journal:
    """Uploads finished on one target since its manifest was last saved, one JSON line each (append-only)."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, dict]:
        entries: dict[str, dict] = {}
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return entries
        for line in lines:
            try:
                item = json.loads(line)
                entries[item["key"]] = {"sha256": item["sha256"], "size": item["size"]}
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
        return entries

    def record(self, upload: Upload) -> None:
        with contextlib.suppress(OSError):  # the journal only saves work next time
            append_line(self.path, json.dumps({"key": upload.key, "sha256": upload.sha256, "size": upload.size}))

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


@dataclass
class _Remote:
    """One target as this publish found it (its manifest, its listing), and what was published to it since."""

    target: Target
    journal: Journal
    saved: dict[str, dict]  # the manifest on the target
    manifest: dict[str, dict]  # saved, the journal and this run's uploads
    listed: dict[str, int]  # key -> size, from the target's listing

    def is_current(self, upload: Upload) -> bool:
        known = self.manifest.get(upload.key)
        return (bool(known) and known.get("sha256") == upload.sha256 and known.get("size") == upload.size
                and self.listed.get(upload.key) == upload.size)

    def published(self, upload: Upload) -> None:
        self.manifest[upload.key] = {"sha256": upload.sha256, "size": upload.size}
        self.listed[upload.key] = upload.size

    def forget(self, keys: list[str]) -> None:
        for key in keys:
            self.manifest.pop(key, None)
            self.listed.pop(key, None)

    def save(self) -> None:
        if self.manifest != self.saved:
            self.target.save_manifest(self.manifest)
            self.saved = dict(self.manifest)
        self.journal.clear()


def _open_remote(workspace: Workspace, target: Target) -> _Remote:
    name = hashlib.sha256(target.name.encode()).hexdigest()[:16]
    journal = Journal(workspace.cache_dir / JOURNAL_DIR / f"{name}.jsonl")
    with contextlib.suppress(OSError):
        journal.path.parent.mkdir(parents=True, exist_ok=True)
    saved = target.load_manifest()
    return _Remote(target=target, journal=journal, saved=saved, manifest={**saved, **journal.read()},
                   listed=target.list_objects())


@contextlib.contextmanager
def _publish_lock(workspace: Workspace) -> Iterator[None]:
    """One publish at a time per workspace: both would rewrite the same manifest."""
    workspace.cache_dir.mkdir(parents=True, exist_ok=True)
    with open(workspace.cache_dir / "publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def publish(workspace: Workspace, target: str | None = None, base_url: str | None = None,
            endpoint_url: str | None = None, reporter: Reporter | None = None,
            multipart_threshold: int = MULTIPART_THRESHOLD, radio_to: str | None = None,
            prune: bool = False) -> PublishReport:
    """Publish every show's feed and files to `target` (default: settings.publish_to) and the broadcast
    files to `radio_to` (default: settings.radio_to); `prune` deletes what is no longer published."""
    reporter = reporter or Reporter(quiet=True)
    settings = workspace.settings
    base = feeds.check_base_url(base_url or settings.base_url)
    public_to, radio_to = target or settings.publish_to, radio_to or settings.radio_to
    if endpoint_url and not any(t.startswith("s3://") for t in (public_to, radio_to)):
        raise BadInput("--endpoint-url applies to s3:// targets only")
    with _publish_lock(workspace), contextlib.ExitStack() as opened:
        public = open_target(workspace, public_to, endpoint_url, multipart_threshold)
        opened.callback(public.close)
        private = open_target(workspace, radio_to, endpoint_url, multipart_threshold, what="radio target")
        opened.callback(private.close)
        _check_apart(public, private)
        return _publish(workspace, {PUBLIC: public, RADIO: private}, base, reporter, prune)


def _side(upload: Upload) -> str:
    return PHASES[upload.phase][1]


def _hidden(key: str) -> bool:
    """The manifest, temporary files: never published, never pruned."""
    return any(part.startswith(".") for part in key.split("/"))


def _delete(remote: _Remote, keys: list[str], why: str) -> None:
    if failures := remote.target.delete(keys):
        key, reason = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise ProcessingError(f"{remote.target.name}: cannot delete {key} ({why}): {reason}{more}")
    remote.forget(keys)


def _publish(workspace: Workspace, targets: dict[str, Target], base_url: str, reporter: Reporter,
             prune: bool) -> PublishReport:
    fingerprint = input_fingerprint(workspace, base_url)  # before planning: a change meanwhile shows next time
    remotes = {side: _open_remote(workspace, target) for side, target in targets.items()}
    plan = cached_plan(workspace, fingerprint)
    planned_now = plan is None or not all(remotes[_side(u)].is_current(u) for u in plan.uploads)
    if planned_now:
        plan = plan_publish(workspace, base_url, reporter)
    planned = {side: {u.key for u in plan.uploads if _side(u) == side} for side in remotes}
    public = remotes[PUBLIC]
    report = PublishReport(target=public.target.name, base_url=base_url, radio_target=remotes[RADIO].target.name,
                           feeds=plan.feeds, opml=plan.opml, episodes=plan.episodes)

    legacy = sorted(k for k in public.listed if k.startswith(f"{radio.RADIO_DIR}/") and k not in planned[PUBLIC])
    if legacy:  # first of all: broadcast files are private
        _delete(public, legacy, "a radio file an older Studio made public")
        report.legacy_removed = legacy
        reporter.info(f"removed {len(legacy)} radio file(s) from {public.target.name}: broadcast files are private "
                      f"now and go to {remotes[RADIO].target.name}")

    for phase, (label, side) in PHASES.items():
        remote = remotes[side]
        uploads = [u for u in plan.uploads if u.phase == phase]
        todo = [u for u in uploads if not remote.is_current(u)]
        report.skipped += len(uploads) - len(todo)
        if not todo:
            continue
        reporter.info(f"uploading {len(todo)} {label} file(s), {_size(sum(u.size for u in todo))}, "
                      f"to {remote.target.name}")
        failures = remote.target.upload(todo, remote.journal.record)
        failed = {u.key for u, _ in failures}
        for upload in todo:
            if upload.key in failed:
                continue
            remote.published(upload)
            report.uploaded += 1
            report.bytes += upload.size
            (report.uploaded_keys if side == PUBLIC else report.radio_keys).append(upload.key)
            reporter.debug(f"  {upload.key}")
        if failures:
            for other in remotes.values():
                with contextlib.suppress(Exception):  # keep what did go up; the target may be unreachable
                    other.save()
            upload, reason = failures[0]
            later = "; feeds were left as they were" if phase < INDEX else ""
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise ProcessingError(f"publish to {remote.target.name} incomplete: {upload.key}: {reason}{more}{later}; "
                                  "run publish again to finish")

    for side, remote in remotes.items():
        stale = sorted(k for k in remote.listed if k not in planned[side] and not _hidden(k))
        if prune and stale:
            _delete(remote, stale, "pruning what is no longer published")
            reporter.info(f"pruned {len(stale)} file(s) no longer published from {remote.target.name}")
        kept, pruned = ([], stale) if prune else (stale, [])
        if side == PUBLIC:
            report.stale, report.pruned = kept, pruned
        else:
            report.radio_stale, report.radio_pruned = kept, pruned
        try:
            remote.save()
        except Exception as exc:  # noqa: BLE001 - objects are up; only the skip list is lost
            raise ProcessingError(f"publish to {remote.target.name}: files are up but the manifest could not be "
                                  f"saved ({exc}); run publish again to finish") from None
    if planned_now:
        _write_cache(workspace.cache_dir / PLAN_CACHE_FILE, plan.to_json(fingerprint))
    return report
