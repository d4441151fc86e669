"""An episode as the stages see it: read once, under the episode's lock, and handed to every stage.

    with open_episode(workspace, ffmpeg, "kpu/2026-11-20-dpt", reporter) as ctx:
        make_renditions(ctx)
        ...

The context holds the episode, its show and its state (.studio/state.json) as read when the lock was
taken, the transcript's cues once a stage asked for them, and what this run did (the report). A stage
records what it made with `ctx.record(stage, entry)`: the state file is written after the stage's
outputs are in place, and the workspace's episode index with it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator

from ..captions import Cue
from ..errors import ProcessingError
from ..fsutil import remove_stale_temps, sha256_file
from ..media.ffmpeg import FFmpeg
from ..progress import Reporter
from ..workspace import Episode, Show, Workspace
from ..workspace.layout import EpisodeFiles
from ..workspace.state import episode_lock, load_state, save_state
from ..workspace.transcript import read_cues
from .options import ProcessOptions


@dataclass
class EpisodeReport:
    """What one run of the stages did to one episode (printed with --json)."""

    id: str
    done: list[str] = field(default_factory=list)  # stages run now
    skipped: list[str] = field(default_factory=list)  # stages already up to date
    decodes: int = 0  # full decodes of the original for loudness work


@dataclass
class EpisodeContext:
    workspace: Workspace
    episode: Episode
    show: Show
    state: dict  # .studio/state.json as read under the lock, changed by each stage
    ffmpeg: FFmpeg
    reporter: Reporter
    options: ProcessOptions = ProcessOptions()
    report: EpisodeReport = field(init=False)  # what this run did
    _cues: list[Cue] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.report = EpisodeReport(id=self.episode.id)

    @property
    def folder(self) -> Path:
        return self.workspace.episode_dir(self.episode.id)

    @cached_property
    def files(self) -> EpisodeFiles:
        return EpisodeFiles(self.folder)

    @cached_property
    def original(self) -> Path:
        return self.files.original(self.episode.original)

    @cached_property
    def artwork(self) -> Path | None:
        return self.workspace.artwork(self.show)

    @cached_property
    def artwork_sha256(self) -> str | None:
        return sha256_file(self.artwork) if self.artwork else None

    def cues(self) -> list[Cue]:
        """The transcript's cues with the producer's corrections (transcript.vtt), read once; [] without one."""
        if self._cues is None:
            self._cues = read_cues(self.folder) if self.files.vtt.is_file() else []
        return self._cues

    def transcript_changed(self) -> None:
        """The transcript files were written again: the next cues() reads them."""
        self._cues = None

    def record(self, stage: str, entry: object) -> None:
        """Record what `stage` made (its outputs are in place) and save the state."""
        self.state[stage] = entry
        self.save()

    def save(self) -> None:
        save_state(self.folder, self.state)
        self.workspace.index.refresh_episode(self.episode.id)


@contextlib.contextmanager
def open_episode(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, reporter: Reporter,
                 options: ProcessOptions = ProcessOptions()) -> Iterator[EpisodeContext]:
    """The episode as it is now, under its lock (waited for at most options.wait seconds; None: for ever).

    It is read after the lock is taken: it may have been edited or replaced while we waited."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, options.wait, reporter.info):
        episode = workspace.episode(episode_id)
        files = EpisodeFiles(folder)
        if not files.original(episode.original).is_file():
            raise ProcessingError(f"{episode.id}: original recording {episode.original} is missing")
        remove_stale_temps(folder)
        yield EpisodeContext(workspace, episode, workspace.show(episode.show), load_state(folder), ffmpeg,
                             reporter, options)
