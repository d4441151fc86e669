"""An episode's run as the pages show it: one progress model (studio.progress.RunModel) over every job of the
run, kept in the episode's `.studio/progress/run.json` (layout.PROGRESS_FILE), written atomically, so that any
worker, local or Celery, and the web app on any machine sharing the workspace read the same thing.

A `process` job is a run of its own; the jobs of a chain (one per stage: renditions, transcript, text, clips)
go on with the run the chain's first stage began, so the percent counts the whole chain and only grows."""

from __future__ import annotations

import time
import uuid

from ..errors import ResourceError
from ..fsutil import read_json, write_json
from ..pipeline import ProcessOptions, stages_for
from ..progress import RunModel, RunProgress
from ..workspace import Workspace
from ..workspace.layout import PROGRESS_FILE

RUN_STAGES = ("process", "renditions", "transcript", "speakers", "text", "captions", "clips")  # the jobs that are a run's
WRITE_EVERY_S = 1.0  # a running job's progress is written at most this often (a stage change at once)


def plan(stage: str, params: dict) -> list[str]:
    """The stages of the run a job of `stage` belongs to, in order, as the progress model counts them."""
    options = ProcessOptions.from_params(params)
    if stage == "process":
        if options.transcribe:  # the renditions are made beside the transcription
            return ["transcript", "speakers", "text", *(["clips"] if options.clips else [])]
        return ["renditions", *(["clips"] if options.clips else [])]
    return stages_for(options)


def read_progress(workspace: Workspace, episode_id: str) -> RunProgress | None:
    """The episode's last run's progress, or None (none yet, or unreadable)."""
    data = read_json(workspace.episode_dir(episode_id) / PROGRESS_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        return None
    try:
        return RunProgress.from_dict(data)
    except (TypeError, ValueError):
        return None


class RunTracker:
    """The progress of one job of an episode's run: begins or goes on with the run, writes the file."""

    def __init__(self, workspace: Workspace, episode_id: str, stage: str, params: dict, clock=time.time):
        stage = "text" if stage == "captions" else stage
        self.path = workspace.episode_dir(episode_id) / PROGRESS_FILE
        stages = plan(stage, params)
        before = read_progress(workspace, episode_id)
        if stage != "process" and before is not None and before.state != "done" and before.stages == stages \
                and before.stage in stages and stage in stages and stages.index(stage) >= stages.index(before.stage):
            progress = before  # the chain's next job: the same run goes on
        else:
            progress = RunProgress(stages=stages if stage in ("process", stages[0]) else [stage], run=uuid.uuid4().hex)
        self.model = RunModel(progress, clock)
        self._written = 0.0
        if stage != "process":
            self.model.begin(stage)
        self.write(force=True)

    @property
    def share(self) -> float:
        return self.model.progress.share

    def begin(self, stage: str, steps: int = 1) -> None:
        if stage in self.model.progress.stages:
            self.model.begin(stage, steps)
            self.write(force=True)

    def step(self, number: int, of: int) -> None:
        self.model.step(number, of)
        self.write(force=True)

    def update(self, share: float) -> None:
        self.model.update(share)
        self.write()

    def finish(self, failed: bool, last_job: bool) -> None:
        """The job ended: the run is done when this was its last stage, failed when the job failed."""
        p = self.model.progress
        if failed:
            self.model.end("failed")
        elif last_job or p.stage == p.stages[-1]:
            self.model.end("done")
        self.write(force=True)

    def write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY_S:
            return
        self._written = now
        try:
            write_json(self.path, self.model.progress.to_dict())
        except (OSError, ResourceError):  # progress is a courtesy: a full disk fails the stage itself, not this
            pass
