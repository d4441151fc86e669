"""A summary of every episode for listing pages, kept fresh without reading every episode.toml each time.

Listing 5,000 episodes by parsing 5,000 TOML files and state files per page view is slow. The catalogue keeps
one row per episode together with the modification times of the files it was read from; a refresh stats those
files and reads again only the episodes whose files changed (or that are new). The rows are also saved in the
cache folder, so a restarted web app starts warm.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import BadInput
from ..fsutil import read_json, write_json
from .approval import read_approval
from .state import STATE_DIR, load_state
from .tree import EPISODE_FILE, Workspace

CATALOG_FILE = "episode-catalog.json"
CATALOG_VERSION = 1
PUBLISH_PLAN_FILE = "publish-plan.json"  # written by studio.publish.run after each complete publish


@dataclass
class EpisodeRow:
    id: str
    show: str
    title: str
    date: str  # recorded_on (YYYY-MM-DD)
    duration: float
    processed: bool  # podcast and broadcast renditions made
    uploaded_by: str = ""
    approved_by: str = ""  # empty unless approved for the current recording
    broken: str = ""  # one line when episode.toml cannot be read
    published: bool = False  # filled from the last publish plan, not stored


def _signature(folder: str) -> tuple[int, int] | None:
    """When the episode folder's entries and its .studio/'s last changed (None: not an episode).

    Every file Studio writes is renamed into place (fsutil), which changes its folder's mtime: a new
    episode.toml shows in the folder's, a new state.json or approval.json in .studio's. Two stats per episode.
    """
    try:
        folder_mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return None
    try:
        state_mtime = os.stat(os.path.join(folder, STATE_DIR)).st_mtime_ns
    except OSError:
        state_mtime = 0
    return folder_mtime, state_mtime


def _read_row(workspace: Workspace, episode_id: str) -> EpisodeRow:
    show, slug = episode_id.split("/", 1)
    try:
        episode = workspace.episode(episode_id)
    except BadInput as exc:
        return EpisodeRow(id=episode_id, show=show, title=slug, date=slug[:10], duration=0.0, processed=False,
                          broken=str(exc))
    folder = workspace.episode_dir(episode_id)
    state = load_state(folder)
    processed = all(name in state and (folder / state[name].get("file", "")).is_file()
                    for name in ("podcast", "broadcast")) if isinstance(state.get("podcast"), dict) else False
    approval = read_approval(workspace, episode_id)
    return EpisodeRow(id=episode_id, show=show, title=episode.title, date=episode.recorded_on or slug[:10],
                      duration=episode.duration, processed=processed, uploaded_by=approval.uploaded_by,
                      approved_by=approval.approved_by if approval.covers(episode) else "")


class Catalog:
    """Rows of every episode in a workspace, newest first. Safe to share between threads.

    `rows(max_age)` answers from memory when the last look at the disk is younger than `max_age` seconds;
    when it is older, it still answers from memory and a background thread looks again (so no page view waits
    for 5,000 folders to be stat'ed, and changes made outside the web app show within a page view or two).
    `max_age=0` always looks now. `refresh_episode` re-reads one episode at once (after an upload, an approval).
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[int, int], EpisodeRow]] | None = None
        self._sorted: list[EpisodeRow] = []
        self._looked_at = 0.0
        self._scanning = False
        self._published: tuple[tuple[int, int], set[str]] = ((0, 0), set())

    @property
    def path(self) -> Path:
        return self.workspace.cache_dir / CATALOG_FILE

    def _load(self) -> dict[str, tuple[tuple[int, int], EpisodeRow]]:
        data = read_json(self.path, default={})
        if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION:
            return {}
        entries = {}
        for episode_id, item in data.get("episodes", {}).items():
            try:
                entries[episode_id] = (tuple(item["sig"]), EpisodeRow(**item["row"]))
            except (KeyError, TypeError):
                continue
        return entries

    def _save(self, entries: dict[str, tuple[tuple[int, int], EpisodeRow]]) -> None:
        data = {"version": CATALOG_VERSION,
                "episodes": {i: {"sig": list(sig), "row": asdict(row)} for i, (sig, row) in entries.items()}}
        try:
            write_json(self.path, data)
        except OSError:
            pass  # only a warm start is lost

    def _published_ids(self) -> set[str]:
        """Episode ids whose podcast file was in the last complete publish."""
        path = self.workspace.cache_dir / PUBLISH_PLAN_FILE
        try:
            info = os.stat(path)
        except OSError:
            return set()
        sig = (info.st_mtime_ns, info.st_size)
        if sig != self._published[0]:
            plan = read_json(path, default={})
            ids = set()
            for upload in plan.get("uploads", []) if isinstance(plan, dict) else []:
                key = upload.get("key", "") if isinstance(upload, dict) else ""
                if key.startswith("media/") and key.endswith(".mp3"):
                    ids.add(key[len("media/"):-len(".mp3")])
            self._published = (sig, ids)
        return self._published[1]

    def _scan(self, old: dict) -> tuple[dict, bool]:
        """A new entry map from a look at the disk (reads only what changed since `old`)."""
        entries = {}
        changed = False
        root = str(self.workspace.episodes_dir)
        try:
            shows = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
        except OSError:
            shows = []
        for show in shows:
            try:
                with os.scandir(os.path.join(root, show)) as listing:
                    folders = [e for e in listing if e.is_dir() and not e.name.startswith(".")]
            except OSError:
                continue
            for entry in folders:
                sig = _signature(entry.path)
                episode_id = f"{show}/{entry.name}"
                known = old.get(episode_id)
                if sig is not None and known is not None and known[0] == sig:
                    entries[episode_id] = known
                    continue
                if sig is None or not os.path.isfile(os.path.join(entry.path, EPISODE_FILE)):
                    continue  # an ingest in progress, or not an episode
                entries[episode_id] = (sig, _read_row(self.workspace, episode_id))
                changed = True
        return entries, changed or set(entries) != set(old)

    def _install(self, entries: dict) -> None:
        """Make `entries` the current rows (call with the lock held)."""
        self._entries = entries
        self._sorted = sorted((row for _, row in entries.values()), key=lambda r: (r.date, r.id), reverse=True)

    def _look(self) -> None:
        with self._lock:
            old = self._entries if self._entries is not None else self._load()
        entries, changed = self._scan(old)
        with self._lock:
            self._install(entries)
            self._looked_at = time.monotonic()
            self._scanning = False
        if changed:
            self._save(entries)

    def rows(self, max_age: float = 0.0) -> list[EpisodeRow]:
        """Every episode, newest date first (then by id)."""
        with self._lock:
            first = self._entries is None
            stale = time.monotonic() - self._looked_at >= max_age
            background = not first and stale and max_age > 0 and not self._scanning
            if background:
                self._scanning = True
        if first or (stale and max_age <= 0):
            self._look()
        elif background:
            threading.Thread(target=self._look, name="catalog", daemon=True).start()
        with self._lock:
            published = self._published_ids()
            for row in self._sorted:
                row.published = row.id in published
            return list(self._sorted)

    def refresh_episode(self, episode_id: str) -> None:
        """Read one episode again now (or drop it when it is gone)."""
        folder = str(self.workspace.episode_dir(episode_id))
        sig = _signature(folder)
        row = _read_row(self.workspace, episode_id) if sig and os.path.isfile(os.path.join(folder, EPISODE_FILE)) \
            else None
        with self._lock:
            if self._entries is None:
                return
            entries = dict(self._entries)
            if row is None:
                entries.pop(episode_id, None)
            else:
                entries[episode_id] = (sig, row)
            self._install(entries)
