"""A summary of every episode for listing pages, kept fresh without reading every episode.toml each time.

Listing 5,000 episodes by parsing 5,000 TOML files and state files per page view is slow. The catalogue keeps
one row per episode together with the modification times of the files it was read from; a refresh stats those
files and reads again only the episodes whose files changed (or that are new). The rows are also saved in the
cache folder, so a restarted web app starts warm.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from .approval import APPROVAL_FILE, read_approval
from .errors import BadInput
from .fsutil import read_json, write_json
from .state import STATE_DIR, STATE_FILE, load_state
from .workspace import EPISODE_FILE, Workspace

CATALOG_FILE = "episode-catalog.json"
CATALOG_VERSION = 1
PUBLISH_PLAN_FILE = "publish-plan.json"  # written by studio.publish after each complete publish
_WATCHED = (EPISODE_FILE, f"{STATE_DIR}/{STATE_FILE}", APPROVAL_FILE)


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


def _signature(folder: str) -> list[int]:
    sig = []
    for name in _WATCHED:
        try:
            info = os.stat(os.path.join(folder, name))
            sig += [info.st_mtime_ns, info.st_size]
        except OSError:
            sig += [0, 0]
    return sig


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
    """Rows of every episode in a workspace; `rows()` refreshes what changed. Safe to share between threads."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[list[int], EpisodeRow]] | None = None
        self._published: tuple[tuple[int, int], set[str]] = ((0, 0), set())

    @property
    def path(self) -> Path:
        return self.workspace.cache_dir / CATALOG_FILE

    def _load(self) -> dict[str, tuple[list[int], EpisodeRow]]:
        data = read_json(self.path, default={})
        if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION:
            return {}
        entries = {}
        for episode_id, item in data.get("episodes", {}).items():
            try:
                entries[episode_id] = (list(item["sig"]), EpisodeRow(**item["row"]))
            except (KeyError, TypeError):
                continue
        return entries

    def _save(self, entries: dict[str, tuple[list[int], EpisodeRow]]) -> None:
        data = {"version": CATALOG_VERSION,
                "episodes": {i: {"sig": sig, "row": asdict(row)} for i, (sig, row) in entries.items()}}
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

    def rows(self) -> list[EpisodeRow]:
        """Every episode, newest date first (then by id)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._load()
            entries = self._entries
            seen = set()
            changed = False
            root = str(self.workspace.episodes_dir)
            try:
                shows = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
            except OSError:
                shows = []
            for show in shows:
                with os.scandir(os.path.join(root, show)) as listing:
                    folders = [e for e in listing if e.is_dir() and not e.name.startswith(".")]
                for entry in folders:
                    sig = _signature(entry.path)
                    if sig[0] == 0:
                        continue  # no episode.toml: not an episode
                    episode_id = f"{show}/{entry.name}"
                    seen.add(episode_id)
                    known = entries.get(episode_id)
                    if known is None or known[0] != sig:
                        entries[episode_id] = (sig, _read_row(self.workspace, episode_id))
                        changed = True
            for gone in set(entries) - seen:
                del entries[gone]
                changed = True
            if changed:
                self._save(entries)
            published = self._published_ids()
            rows = []
            for _, row in entries.values():
                row.published = row.id in published
                rows.append(row)
        rows.sort(key=lambda r: (r.date, r.id), reverse=True)
        return rows
