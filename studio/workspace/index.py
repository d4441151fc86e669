"""The workspace's one episode catalogue, and the one word for where an episode stands (episode_state).

Every reader of "all the episodes" comes here: `studio status`, the web app's list, publish (feeds, site,
radio manifest), ingest (is this recording already an episode?). A row per episode holds what its folder
says: episode.toml, state.json, the approval, which renditions exist and whether they are current for
the show's settings now. Rows live in memory and in `.studio/index.sqlite3`, so a new process starts warm
instead of parsing thousands of episode.toml files.

Freshness: each row remembers the signature of the files it was read from (the episode folder's and
its .studio/'s modification times, episode.toml's inode, size and modification time). A refresh stats
those (three stats an episode) and reads again only what changed, so edits made by hand or by another
process show; a stage that writes calls `refresh_episode` at once. The file is rebuilt from the folders
when it is missing, unreadable or of another version; it is only a cache of the folders, and a failure
to write it never fails the work that called it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from ..errors import BadInput
from ..fsutil import read_json, sha256_file
from .digest import withdrawn_parts
from .episode import Episode, episode_air_time
from .layout import APPROVAL_FILE, EPISODE_FILE, INDEX_FILE, STATE_DIR, STATE_FILE
from .release import check_basics
from .state import RENDITION_FILES, rendition_keys

if TYPE_CHECKING:
    from .tree import Workspace

INDEX_VERSION = 2  # 2: approvals cover everything that goes out (withdrawn_by, withdrawn)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS episodes (id TEXT PRIMARY KEY, row TEXT NOT NULL);
"""
# Where an episode stands, from its files: every command and page says it with these words.
FILE_STATES = ("ingested", "outdated", "processed", "approved", "published", "failed")
# ...and while a job works on it (the job's state decides): queued, processing, failed.
STATES = ("ingested", "queued", "processing", "outdated", "processed", "approved", "published", "failed")

Signature = list[int]  # see _signature


@dataclass
class EpisodeRow:
    """One episode as the index knows it."""

    id: str
    show: str
    title: str
    date: str  # recorded_on (YYYY-MM-DD), else the id's date
    signature: Signature = field(default_factory=list)  # of the files it was read from (_signature)
    duration: float = 0.0
    sha256: str = ""
    broken: str = ""  # one line when episode.toml cannot be read
    episode: dict = field(default_factory=dict)  # episode.toml as read
    record: dict = field(default_factory=dict)  # .studio/state.json: what each stage made
    rendered: bool = False  # podcast and broadcast renditions are there
    uploaded_by: str = ""
    approved_by: str = ""  # empty unless an approval covers everything about the episode as it is now
    approved_at: str = ""
    withdrawn_by: str = ""  # who had approved, when something they approved changed since (workspace.digest)
    withdrawn: list[str] = field(default_factory=list)  # what changed: parts of workspace.digest.PARTS
    current: bool | None = None  # the renditions are those the show's settings ask for now (None: not known yet)
    current_for: str = ""  # the show signature `current` was worked out for
    published: bool = False  # in the last complete publish

    def to_episode(self) -> Episode:
        """The episode; BadInput (naming its episode.toml) when the file could not be read."""
        if self.broken:
            raise BadInput(self.broken)
        return Episode(**self.episode)

    @property
    def state(self) -> str:
        return episode_state(self)


def episode_state(row: EpisodeRow, job_state: str = "") -> str:
    """Where an episode stands, in one word of STATES; `job_state` is that of its newest job, if any
    ("queued", "running", "done", "failed"): a job at work or failed says more than the files."""
    if job_state == "running":
        return "processing"
    if job_state == "queued":
        return "queued"
    if job_state == "failed" or row.broken:
        return "failed"
    if not row.rendered:
        return "ingested"
    if row.current is False:
        return "outdated"
    if row.published:
        return "published"
    if row.approved_by:
        return "approved"
    return "processed"


def _signature(folder: str) -> Signature | None:
    """The stat signature of an episode folder: its and its .studio/'s modification times (a file renamed
    into place changes them), episode.toml's inode, size and modification time (an edit in place).
    None: not an episode, or an ingest in progress."""
    try:
        folder_mtime = os.stat(folder).st_mtime_ns
        toml = os.stat(os.path.join(folder, EPISODE_FILE))
    except OSError:
        return None
    try:
        records_mtime = os.stat(os.path.join(folder, STATE_DIR)).st_mtime_ns
    except OSError:
        records_mtime = 0
    return [folder_mtime, records_mtime, toml.st_ino, toml.st_size, toml.st_mtime_ns]


def read_row(workspace: Workspace, episode_id: str, signature: Signature | None = None) -> EpisodeRow:
    """The row of one episode, read from its folder (whose signature was taken just before)."""
    show, slug = episode_id.split("/", 1)
    folder = workspace.episode_dir(episode_id)
    signature = signature or []
    try:
        episode = workspace.episode(episode_id)
        for bound in ("air_from", "air_until"):  # a hand edit of episode.toml: said here, not at the next render
            if getattr(episode, bound):
                episode_air_time(episode, bound)
        check_basics(episode)
    except BadInput as exc:
        return EpisodeRow(id=episode_id, show=show, title=slug, date=slug[:10], signature=signature, broken=str(exc))
    state = _read_record(folder / STATE_FILE)
    rendered = all(isinstance(state.get(name), dict) and isinstance(state[name].get("file", file), str)
                   and (folder / state[name].get("file", file)).is_file() for name, file in RENDITION_FILES.items())
    approval = _read_record(folder / APPROVAL_FILE)
    approved_by, withdrawn = str(approval.get("approved_by", "")), []
    if approved_by:  # does the approval still cover everything that goes out? (workspace.digest)
        withdrawn = withdrawn_parts(folder, episode, state, approval)
    return EpisodeRow(id=episode_id, show=show, title=episode.title, date=episode.recorded_on or slug[:10],
                      signature=signature, duration=episode.duration, sha256=episode.sha256,
                      episode=asdict(episode), record=state, rendered=rendered,
                      uploaded_by=str(approval.get("uploaded_by", "")),
                      approved_by=approved_by if not withdrawn else "",
                      approved_at=str(approval.get("approved_at", "")) if not withdrawn else "",
                      withdrawn_by=approved_by if withdrawn else "", withdrawn=withdrawn)


def _read_record(path) -> dict:
    """A JSON record of the episode's; {} when it is missing or cannot be read (the stage that needs it says
    why, with the file's name)."""
    try:
        data = read_json(path, default={})
    except OSError:
        return {}
    return data if isinstance(data, dict) else {}


class EpisodeIndex:
    """Every episode of a workspace, newest first. Safe to share between threads.

    `rows(max_age)` answers from memory when the last look at the folders is younger than `max_age`
    seconds; when it is older it still answers from memory and a background thread looks again (no page
    view waits for 5,000 folders to be stat'ed). `max_age=0` always looks now.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.path = workspace.root / INDEX_FILE
        self._lock = threading.RLock()
        self._rows: dict[str, EpisodeRow] | None = None
        self._sorted: list[EpisodeRow] = []
        self._published: set[str] = set()
        self._looked_at = 0.0
        self._scanning = False
        self._db: sqlite3.Connection | None = None
        self._shows: dict[str, tuple[tuple[str, str | None], tuple[object, object]]] = {}

    # -- the file ------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection | None:
        """The index file, made when missing and made anew when it is not a database or of another version;
        None when it cannot be written (a read-only workspace: the index works from memory)."""
        with self._lock:
            for attempt in range(2):
                if self._db is not None:
                    break
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(SCHEMA)
                    version = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
                    if version is None or version[0] != str(INDEX_VERSION):
                        db.executescript("DELETE FROM episodes; DELETE FROM meta;")
                        db.execute("INSERT INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))
                    self._db = db
                except sqlite3.DatabaseError:
                    if attempt:
                        return None
                    for suffix in ("", "-wal", "-shm"):  # not a database: it is only a cache, so start again
                        with contextlib.suppress(OSError):
                            os.unlink(f"{self.path}{suffix}")
                except (OSError, sqlite3.Error):
                    return None
            return self._db

    def _load(self) -> dict[str, EpisodeRow]:
        """The rows saved in the file (none when it is missing or unreadable)."""
        db = self._connect()
        rows: dict[str, EpisodeRow] = {}
        if db is None:
            return rows
        try:
            for episode_id, data in db.execute("SELECT id, row FROM episodes"):
                rows[episode_id] = EpisodeRow(**json.loads(data))
        except (sqlite3.Error, ValueError, TypeError):
            return {}
        return rows

    def _save(self, changed: dict[str, EpisodeRow], removed: set[str]) -> None:
        if not (changed or removed) or (db := self._connect()) is None:
            return
        with self._lock, contextlib.suppress(sqlite3.Error):  # one writer on the connection; only a warm start is lost
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO episodes VALUES (?, ?)",
                               [(i, json.dumps(asdict(row), ensure_ascii=False, default=str))
                                for i, row in changed.items()])
                db.executemany("DELETE FROM episodes WHERE id = ?", [(i,) for i in removed])

    # -- looking at the folders ----------------------------------------------------------------

    def _scan(self, known: dict[str, EpisodeRow]) -> dict[str, EpisodeRow]:
        """The rows as the folders are now: rows whose signature is unchanged are kept, the others read."""
        rows, changed = {}, {}
        root = str(self.workspace.episodes_dir)
        for show in _folders(root):
            for slug in _folders(os.path.join(root, show)):
                episode_id = f"{show}/{slug}"
                signature = _signature(os.path.join(root, show, slug))
                if signature is None:
                    continue  # an ingest in progress, or not an episode
                old = known.get(episode_id)
                if old is not None and old.signature == signature:
                    rows[episode_id] = old
                else:
                    rows[episode_id] = changed[episode_id] = read_row(self.workspace, episode_id, signature)
        self._save(changed, set(known) - set(rows))
        return rows

    def _install(self, rows: dict[str, EpisodeRow]) -> None:
        """Make `rows` the current ones (call with the lock held)."""
        self._rows = rows
        self._sorted = sorted(rows.values(), key=lambda r: (r.date, r.id), reverse=True)

    def _look(self) -> None:
        with self._lock:
            known = self._rows if self._rows is not None else self._load()
        rows = self._scan(known)
        with self._lock:
            self._install(rows)
            self._looked_at = time.monotonic()
            self._scanning = False

    def refresh(self, max_age: float = 0.0) -> None:
        """Look at the folders now when the last look is `max_age` seconds old or older; with max_age > 0 a
        look after the first is made in the background while the rows already known answer."""
        with self._lock:
            first = self._rows is None
            stale = time.monotonic() - self._looked_at >= max_age
            background = not first and stale and max_age > 0 and not self._scanning
            if background:
                self._scanning = True
        if first or (stale and max_age <= 0):
            self._look()
        elif background:
            threading.Thread(target=self._look, name="episode-index", daemon=True).start()

    def refresh_episode(self, episode_id: str) -> EpisodeRow | None:
        """Read one episode again now (or drop it when it is gone): every writer calls this."""
        folder = str(self.workspace.episode_dir(episode_id))
        signature = _signature(folder)
        row = read_row(self.workspace, episode_id, signature) if signature else None
        with self._lock:
            if row is None:
                self._save({}, {episode_id})
            else:
                self._save({episode_id: row}, set())
            if self._rows is not None:
                rows = dict(self._rows)
                if row is None:
                    rows.pop(episode_id, None)
                else:
                    rows[episode_id] = row
                self._install(rows)
        return row

    # -- answers -------------------------------------------------------------------------------

    def rows(self, show: str | None = None, max_age: float = 0.0) -> list[EpisodeRow]:
        """Every episode (of `show`), newest date first (then by id), its state worked out."""
        self.refresh(max_age)
        with self._lock:
            found = [r for r in self._sorted if show is None or r.show == show]
            self._settle(found)
            return found

    def row(self, episode_id: str, max_age: float = 0.0) -> EpisodeRow | None:
        return next((r for r in self.rows(max_age=max_age) if r.id == episode_id), None)

    def read(self, episode_id: str) -> EpisodeRow:
        """One episode's row, read from its folder now (and kept), its state worked out."""
        row = self.refresh_episode(episode_id)
        if row is None:
            raise BadInput(f"unknown episode {episode_id!r}")
        with self._lock:
            self._settle([row])
        return row

    def ids(self, show: str | None = None) -> list[str]:
        """Every episode's id, in id order."""
        return sorted(r.id for r in self.rows(show))

    def find_by_sha256(self, sha256: str) -> Episode | None:
        """The episode whose original has this sha256 (the same bytes are never two episodes)."""
        row = next((r for r in self.rows() if r.sha256 == sha256 and not r.broken), None)
        return row.to_episode() if row else None

    def mark_published(self, episode_ids: set[str]) -> None:
        """Publish says which episodes the last complete publish carried."""
        with self._lock:
            self._published = set(episode_ids)
            for row in (self._rows or {}).values():
                row.published = row.id in self._published
            db = self._connect()
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('published', ?)",
                               (json.dumps(sorted(self._published)),))

    def _published_ids(self) -> set[str]:
        """The episodes of the last complete publish, as publish (in any process) said them."""
        db = self._connect()
        if db is not None:
            with contextlib.suppress(sqlite3.Error, ValueError, TypeError):
                found = db.execute("SELECT value FROM meta WHERE name = 'published'").fetchone()
                if found:
                    self._published = set(json.loads(found[0]))
        return self._published

    def _settle(self, rows: list[EpisodeRow]) -> None:
        """Fill in what depends on more than the episode's folder (call with the lock held): whether it
        is in the last publish, and whether its renditions are current for its show as it is now."""
        shows = self.workspace.shows()
        published = self._published_ids()
        settled = {}
        for row in rows:
            row.published = row.id in published
            show = shows.get(row.show)
            if not row.rendered or row.broken or show is None:
                row.current = None
                continue
            signature, artwork_sha256 = self._show_signature(show)
            if row.current_for != signature:
                keys = rendition_keys(row.to_episode(), show, artwork_sha256)
                row.current = all(row.record.get(name, {}).get("key") == keys[name] for name in RENDITION_FILES)
                row.current_for = signature
                settled[row.id] = row
        self._save(settled, set())  # a new process starts with this worked out

    def _show_signature(self, show) -> tuple[str, str | None]:
        """A signature of what the renditions' keys take from the show (its settings, its artwork)."""
        artwork = self.workspace.artwork(show)
        try:
            info = os.stat(artwork) if artwork else None
        except OSError:
            info = None
        stat = (info.st_ino, info.st_size, info.st_mtime_ns) if info else None
        known = self._shows.get(show.slug)
        if known is None or known[1] != (show, stat):
            digest = sha256_file(artwork) if artwork and info else None
            signature = json.dumps([asdict(show), stat, digest], sort_keys=True, default=str)
            self._shows[show.slug] = ((signature, digest), (show, stat))
        return self._shows[show.slug][0]


def _folders(folder: str) -> list[str]:
    """Sub-folders, hidden ones left out (ingests or replacements in progress), sorted."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
    except OSError:
        return []
