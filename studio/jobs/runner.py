"""Runs one job: the same library functions the CLI calls, with progress sent back to the queue."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Callable, Iterator

from ..media.ffmpeg import FFmpeg, find_ffmpeg
from ..pipeline.session import (
    ModelCache,
    ProcessOptions,
    add_clip,
    process_episode,
    process_stage,
)
from ..progress import Reporter
from ..workspace.tree import Workspace

PROGRESS_EVERY_S = 1.0  # how often a running job's progress is written back

Progress = Callable[[float], None]  # 0..1


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobReporter(Reporter):
    """A quiet Reporter whose progress bars report the share done of the current step to `progress`."""

    def __init__(self, progress: Progress | None):
        super().__init__(quiet=True)
        self._progress = progress
        self._last = 0.0

    @contextlib.contextmanager
    def bar(self, label: str, total: float, unit: str = "audio") -> Iterator[Callable[[float], None]]:
        def update(done: float) -> None:
            now = time.monotonic()
            if self._progress and total > 0 and now - self._last >= PROGRESS_EVERY_S:
                self._last = now
                self._progress(min(max(done / total, 0.0), 1.0))

        yield update


def process_options(params: dict) -> ProcessOptions:
    return ProcessOptions(model=params.get("model"), device=params.get("device"),
                          compute_type=params.get("compute_type"), transcribe=params.get("transcribe", True),
                          clips=params.get("clips", True), wait=params.get("wait"))


def run_stage(workspace: Workspace, stage: str, episode: str | None, params: dict,
              progress: Progress | None = None, ffmpeg: FFmpeg | None = None,
              models: ModelCache | None = None) -> dict:
    """Run one job in this process; returns what it did (an EpisodeReport or publish report as a dict).

    Raises what the stage raises: BadInput and ProcessingError carry the one line the CLI prints.
    `models` keeps a worker's Whisper model loaded from one job to the next.
    """
    from dataclasses import asdict

    ffmpeg = ffmpeg or find_ffmpeg(workspace.settings.ffmpeg_stall_timeout)
    reporter = JobReporter(progress)
    if stage == "publish":
        from ..publish import run as publish

        return {"message": publish.publish(workspace, reporter=reporter).message}
    if stage == "clip":
        paths = add_clip(workspace, ffmpeg, workspace.episode(episode), float(params["start"]), float(params["end"]),
                         str(params.get("title", "")), list(params.get("formats") or ("vertical", "square", "landscape")),
                         reporter, params.get("wait"))
        return {"files": [str(p) for p in paths]}
    options = process_options(params)
    if stage == "process":
        return asdict(process_episode(workspace, ffmpeg, workspace.episode(episode), reporter, options, models))
    return asdict(process_stage(workspace, ffmpeg, episode, stage, reporter, options, models))
