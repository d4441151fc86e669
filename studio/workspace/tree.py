"""The workspace on disk: settings, shows and episodes (see DESIGN.md, "Workspace layout")."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomli_w

from ..errors import BadInput
from ..fsutil import write_text
from . import config
from .config import Settings, Show

SETTINGS_FILE = "studio.toml"
EPISODE_FILE = "episode.toml"


@dataclass
class Episode:
    """episode.toml: what a producer knows about one recording."""

    show: str
    slug: str  # YYYY-MM-DD-slug
    title: str
    original: str  # file name of the untouched recording inside the episode folder
    sha256: str
    size: int
    duration: float
    ingested_at: str
    description: str = ""
    recorded_on: str = ""
    source: str = ""
    source_name: str = ""
    air_from: str = ""
    air_until: str = ""
    highlights: list[dict] = field(default_factory=list)
    chapters: list[dict] = field(default_factory=list)  # the producer's [[chapters]]: start, title
    # "": highlights are picked automatically while there are none; "producer": only `highlights`
    # (the producer removed a pick, so an empty list stays empty)
    highlights_from: str = ""

    @property
    def id(self) -> str:
        return f"{self.show}/{self.slug}"


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    # -- layout ---------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def feeds_dir(self) -> Path:
        return self.root / "feeds"

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def settings(self) -> Settings:
        return config.load_settings(self.settings_path)

    @property
    def cache_dir(self) -> Path:
        return self.root / self.settings.cache_dir

    def episode_dir(self, episode_id: str) -> Path:
        return self.episodes_dir / episode_id

    # -- shows ----------------------------------------------------------
    def shows(self) -> dict[str, Show]:
        if not self.feeds_dir.is_dir():
            return {}
        return {p.stem: config.load_show(p) for p in sorted(self.feeds_dir.glob("*.toml"))}

    def show(self, slug: str) -> Show:
        path = self.feeds_dir / f"{slug}.toml"
        if not path.is_file():
            known = ", ".join(self.shows()) or "none"
            raise BadInput(f"unknown show {slug!r} (known: {known}); add it with `studio show add`")
        return config.load_show(path)

    def save_show(self, show: Show) -> None:
        config.save_show(self.feeds_dir / f"{show.slug}.toml", show)

    # -- episodes -------------------------------------------------------
    def episode_ids(self, show: str | None = None) -> list[str]:
        """Every episode's id, without reading its episode.toml (so one broken file does not hide the rest)."""
        pattern = f"{show}/*/{EPISODE_FILE}" if show else f"*/*/{EPISODE_FILE}"
        if not self.episodes_dir.is_dir():
            return []
        paths = sorted(self.episodes_dir.glob(pattern))
        # Hidden folders are ingests or replacements in progress.
        return [f"{p.parent.parent.name}/{p.parent.name}" for p in paths if not p.parent.name.startswith(".")]

    def episodes(self, show: str | None = None) -> list[Episode]:
        return [self._load_episode(self.episode_dir(i) / EPISODE_FILE) for i in self.episode_ids(show)]

    def episode(self, episode_id: str) -> Episode:
        path = self.episode_dir(episode_id.strip("/")) / EPISODE_FILE
        if "/" not in episode_id.strip("/") or not path.is_file():
            raise BadInput(f"unknown episode {episode_id!r} (ids look like show/YYYY-MM-DD-slug; see `studio status`)")
        return self._load_episode(path)

    def find_by_sha256(self, sha256: str) -> Episode | None:
        return next((e for e in self.episodes() if e.sha256 == sha256), None)

    def save_episode(self, episode: Episode) -> None:
        self.save_episode_to(self.episode_dir(episode.id), episode)

    def save_episode_to(self, folder: Path, episode: Episode) -> None:
        data = {k: v for k, v in asdict(episode).items() if v not in ("", None, [])}
        write_text(folder / EPISODE_FILE, tomli_w.dumps(data))

    def _load_episode(self, path: Path) -> Episode:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
            return Episode(**data)
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
