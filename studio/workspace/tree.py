"""The workspace on disk: settings, shows and episodes (see DESIGN.md, "Workspace layout")."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import Callable, TypeVar

import tomli_w

from ..errors import BadInput
from ..fsutil import write_text
from . import config
from .config import Settings, Show
from .episode import Episode
from .index import EpisodeIndex
from .layout import EPISODE_FILE, EPISODES_DIR, FEEDS_DIR, SETTINGS_FILE, EpisodeFiles

T = TypeVar("T")


class Workspace:
    """A workspace folder. Settings and shows are read again only when their file changed (one stat)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self._read: dict[Path, tuple[tuple[int, int, int], object]] = {}

    def _cached(self, path: Path, load: Callable[[Path], T]) -> T:
        """load(path), again only when the file changed (Studio replaces a file by renaming a new one in:
        another inode; an editor that writes in place changes its size or modification time)."""
        try:
            info = path.stat()
            signature = (info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            signature = None
        known = self._read.get(path)
        if signature is None or known is None or known[0] != signature:
            value = load(path)
            if signature is not None:
                self._read[path] = (signature, value)
            return value
        return known[1]  # type: ignore[return-value]

    # -- layout ---------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def feeds_dir(self) -> Path:
        return self.root / FEEDS_DIR

    @property
    def episodes_dir(self) -> Path:
        return self.root / EPISODES_DIR

    @property
    def settings(self) -> Settings:
        return self._cached(self.settings_path, config.load_settings)

    @property
    def cache_dir(self) -> Path:
        return self.root / self.settings.cache_dir

    def episode_dir(self, episode_id: str) -> Path:
        return self.episodes_dir / episode_id

    def files(self, episode_id: str) -> EpisodeFiles:
        return EpisodeFiles(self.episode_dir(episode_id))

    @cached_property
    def index(self) -> EpisodeIndex:
        """The one episode catalogue (workspace.index)."""
        return EpisodeIndex(self)

    # -- shows ----------------------------------------------------------
    def shows(self) -> dict[str, Show]:
        if not self.feeds_dir.is_dir():
            return {}
        return {p.stem: self._cached(p, config.load_show) for p in sorted(self.feeds_dir.glob("*.toml"))}

    def show(self, slug: str) -> Show:
        path = self.feeds_dir / f"{slug}.toml"
        if not path.is_file():
            known = ", ".join(self.shows()) or "none"
            raise BadInput(f"unknown show {slug!r} (known: {known}); add it with `studio show add`")
        return self._cached(path, config.load_show)

    def save_show(self, show: Show) -> None:
        config.save_show(self.feeds_dir / f"{show.slug}.toml", show)

    def artwork(self, show: Show) -> Path | None:
        """The show's artwork file, None when it has none (or the file is gone)."""
        path = self.feeds_dir / show.artwork if show.artwork else None
        return path if path and path.is_file() else None

    # -- episodes -------------------------------------------------------
    def episode_ids(self, show: str | None = None) -> list[str]:
        """Every episode's id (of `show`), in id order, from the episode index."""
        return self.index.ids(show)

    def episodes(self, show: str | None = None) -> list[Episode]:
        """Every episode (of `show`), in id order, from the episode index; BadInput for an unreadable one."""
        return [row.to_episode() for row in sorted(self.index.rows(show), key=lambda r: r.id)]

    def episode(self, episode_id: str) -> Episode:
        path = self.episode_dir(episode_id.strip("/")) / EPISODE_FILE
        if "/" not in episode_id.strip("/") or not path.is_file():
            raise BadInput(f"unknown episode {episode_id!r} (ids look like show/YYYY-MM-DD-slug; see `studio status`)")
        return self._load_episode(path)

    def save_episode(self, episode: Episode) -> None:
        self.save_episode_to(self.episode_dir(episode.id), episode)
        self.index.refresh_episode(episode.id)

    def save_episode_to(self, folder: Path, episode: Episode) -> None:
        data = {k: v for k, v in asdict(episode).items() if v not in ("", None, [])}
        write_text(folder / EPISODE_FILE, tomli_w.dumps(data))

    def _load_episode(self, path: Path) -> Episode:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
            # A date or time written without quotes is read as the text it is (as every reader expects).
            return Episode(**{k: v.isoformat() if isinstance(v, (dt.date, dt.time)) else v for k, v in data.items()})
        except (tomllib.TOMLDecodeError, TypeError) as exc:
            raise BadInput(f"{path}: invalid episode file: {exc}") from None


def init_workspace(root: Path) -> Workspace:
    """Create an empty workspace (idempotent: existing files are kept)."""
    workspace = Workspace(root)
    workspace.feeds_dir.mkdir(parents=True, exist_ok=True)
    workspace.episodes_dir.mkdir(parents=True, exist_ok=True)
    if not workspace.settings_path.exists():
        config.save_settings(workspace.settings_path, Settings())
    return workspace
