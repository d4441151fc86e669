"""Runs one job: the same library functions the CLI calls, with progress sent back to the queue."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from dataclasses import asdict
from typing import Callable, Iterator

from ..errors import BadInput, ProcessingError
from ..media.ffmpeg import FFmpeg, find_ffmpeg
from ..pipeline import ModelCache, ProcessOptions, process_episode, process_stage
from ..pipeline.clips import add_clip
from ..pipeline.ingest import IngestRequest, ingest
from ..pipeline.options import CLIP_FORMATS
from ..progress import Reporter
from ..workspace import Workspace, approval, audit, uploads
from ..workspace.release import now_from_env
from .progress import RUN_STAGES, RunTracker

PROGRESS_EVERY_S = 1.0  # how often a running job's progress is written back

Progress = Callable[[float], None]  # 0..1


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobReporter(Reporter):
    """A quiet Reporter whose progress bars report to `progress`: the share done of the current step, or, with
    a `tracker` (a job of an episode's run), the run's overall share, which only grows (jobs.progress)."""

    def __init__(self, progress: Progress | None, tracker: RunTracker | None = None):
        super().__init__(quiet=True)
        self._progress = progress
        self._last = 0.0
        self.tracker = tracker

    def stage(self, name: str, steps: int = 1) -> None:
        if self.tracker is not None:
            self.tracker.begin(name, steps)
            self._send(self.tracker.share, force=True)

    def step(self, number: int, of: int) -> None:
        if self.tracker is not None:
            self.tracker.step(number, of)
            self._send(self.tracker.share, force=True)

    def _send(self, share: float, force: bool = False) -> None:
        now = time.monotonic()
        if self._progress and (force or now - self._last >= PROGRESS_EVERY_S):
            self._last = now
            self._progress(min(max(share, 0.0), 1.0))

    @contextlib.contextmanager
    def bar(self, label: str, total: float, unit: str = "audio") -> Iterator[Callable[[float], None]]:
        def update(done: float) -> None:
            if total <= 0:
                return
            share = min(max(done / total, 0.0), 1.0)
            if self.tracker is not None:
                self.tracker.update(share)
                share = self.tracker.share
            self._send(share)

        yield update


def run_stage(workspace: Workspace, stage: str, episode: str | None, params: dict,
              progress: Progress | None = None, ffmpeg: FFmpeg | None = None,
              models: ModelCache | None = None) -> dict:
    """Run one job in this process; returns what it did (an EpisodeReport or publish report as a dict; with
    "next", a stage the worker enqueues next for result["episode"]).

    Raises what the stage raises: BadInput and ProcessingError carry the one line the CLI prints.
    `models` keeps a worker's Whisper model loaded from one job to the next.
    """
    ffmpeg = ffmpeg or find_ffmpeg(workspace.settings.ffmpeg_stall_timeout, workspace.settings.ffmpeg_time_factor)
    tracker = None
    if episode and stage in RUN_STAGES and workspace.episode_dir(episode).is_dir():
        tracker = RunTracker(workspace, episode, stage, params)
    reporter = JobReporter(progress, tracker)
    try:
        result = _run(workspace, stage, episode, params, ffmpeg, reporter, models)
    except BaseException:
        if tracker is not None:
            tracker.finish(failed=True, last_job=True)
        raise
    if tracker is not None:
        tracker.finish(failed=False, last_job=stage == "process")
    return result


def _run(workspace: Workspace, stage: str, episode: str | None, params: dict, ffmpeg: FFmpeg,
         reporter: JobReporter, models: ModelCache | None) -> dict:
    if stage == "publish":
        from ..publish import publish
        from ..radio.push.run import push

        message = publish(workspace, reporter=reporter, now=now_from_env()).message
        pushed = push(workspace)  # then the push stations; each failure is in the delivery records
        return {"message": "; ".join([message, *pushed.per_station()]), "push": pushed.to_dict()}
    if stage == "push":
        return push_job(workspace, params)
    if stage == "ingest":
        return ingest_upload(workspace, ffmpeg, params, reporter)
    if stage == "clip":
        paths = add_clip(workspace, ffmpeg, episode, float(params["start"]), float(params["end"]),
                         str(params.get("title", "")), list(params.get("formats") or CLIP_FORMATS), reporter,
                         params.get("wait"))
        return {"files": [str(p) for p in paths]}
    options = ProcessOptions.from_params(params)
    if stage == "process":
        return asdict(process_episode(workspace, ffmpeg, episode, reporter, options, models))
    return asdict(process_stage(workspace, ffmpeg, episode, stage, reporter, options, models))


def push_job(workspace: Workspace, params: dict) -> dict:
    """`studio radio push` for the scheduler's "push again": params "station" (one name, or none: every push
    station) and "episodes"; fails with the first failure's line when any item failed (all are recorded)."""
    from ..radio.push.run import push

    station = params.get("station")
    report = push(workspace, [station] if station else [], list(params.get("episodes") or []))
    if report.failed:
        raise ProcessingError(f"{len(report.failed)} push(es) failed; first: {report.failed[0].line()[7:]}")
    return {"message": "; ".join(report.per_station()), "push": report.to_dict()}


def ingest_upload(workspace: Workspace, ffmpeg: FFmpeg, params: dict, reporter: Reporter) -> dict:
    """A file uploaded through the web app: the checks `studio ingest` makes; its processing is the next job
    ("next" in the result: the worker enqueues it).

    params: "upload" (its folder, relative to the workspace), "file" (its name), "size" (declared), "user", and
    the episode's show, title, description and recorded_on. A file that is not the declared size is refused.
    Once ingest ended (an episode made, or the file refused) the bytes are deleted; the upload's record stays
    a while (workspace.uploads), so the browser asking again learns the same result."""
    folder = workspace.root / params["upload"]
    source = uploads.data_path(folder, params["file"])
    if not source.exists() and (folder / params["file"]).is_file():  # enqueued by an older Studio
        source = folder / params["file"]
    request = IngestRequest(file=source, show=params["show"], title=params.get("title", ""),
                            description=params.get("description", ""), recorded_on=params.get("recorded_on", ""))
    user = params.get("user", "")
    try:
        size = source.stat().st_size if source.is_file() else None
        if size is not None and "size" in params and size != int(params["size"]):
            raise BadInput(f"{params['file']}: {size} bytes arrived but {params['size']} were declared; "
                           "upload it again")
        result = ingest(workspace, ffmpeg, request, reporter)
    except BadInput:
        _ingested(folder)
        audit.record(workspace, user, "upload.rejected", params["file"])
        raise
    _ingested(folder)
    episode = result.episode
    if result.created and user:
        approval.record_uploader(workspace, episode, user)
    audit.record(workspace, user, "upload", episode.id)
    return {"episode": episode.id, "created": result.created, "next": "process"}


def _ingested(folder) -> None:
    """The upload's bytes go; its record stays (uploads.clean removes it later)."""
    try:
        uploads.ingested(folder, time.time())
    except (OSError, uploads.UploadError):
        shutil.rmtree(folder, ignore_errors=True)
