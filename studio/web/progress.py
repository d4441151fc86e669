"""Live progress (issue 28, item 3): an episode's run (its stage, an overall percent that only grows, time left;
jobs.progress) in words for the episode page, the episodes list and the jobs bar, which htmx polls every 2 s.
The episode page's poll answers HX-Refresh once the run is over, so the page shows what it made by itself."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template

from ..jobs.progress import RUN_STAGES, read_progress
from .auth import role_required
from .context import job_queue, t, workspace
from .episode import load_episode

bp = Blueprint("progress", __name__)

BUSY_STAGES = ("ingest", *RUN_STAGES)  # the jobs that keep an episode "diproses" (a producer's clip does not)


@dataclass
class RunView:
    """A run as the pages word it."""

    percent: int
    stage: str
    left: str


def left_words(seconds: float | None) -> str:
    if seconds is None:
        return t("progress.left.unknown")
    if seconds < 60:
        return t("progress.left.minute")
    minutes = round(seconds / 60)
    if minutes < 60:
        return t("progress.left.minutes").format(n=minutes)
    return t("progress.left.hours").format(h=minutes // 60, m=minutes % 60)


def episode_run(episode_id: str | None) -> RunView | None:
    """The episode's run while it runs, in words; None when no run is going on."""
    if not episode_id:
        return None
    progress = read_progress(workspace(), episode_id)
    if progress is None or progress.state != "running":
        return None
    stage = t(f"progress.stage.{progress.stage}") if progress.stage else ""
    return RunView(progress.percent, stage, left_words(progress.left_s))


def job_run(job) -> RunView | None:
    """The run a running job works on (a stage of an episode's run), in words; None for any other job."""
    if job is None or job.state != "running" or job.stage not in RUN_STAGES:
        return None
    return episode_run(job.episode)


@bp.record_once
def _template_globals(state) -> None:
    state.app.add_template_global(job_run, "job_run")
    state.app.add_template_global(episode_run, "episode_run")


def busy_jobs(episode_id: str) -> list:
    """The running and queued jobs that keep the episode busy, running ones first."""
    queue = job_queue()
    if queue is None:
        return []
    jobs = [*queue.jobs(state="running"), *queue.jobs(state="queued")]
    return [j for j in jobs if j.episode == episode_id and j.stage in BUSY_STAGES]


@bp.get("/progress/episode/<path:episode_id>")
@role_required("producer")
def episode(episode_id: str):
    """The episode page's state badge with its run's progress; once nothing runs, the page reloads itself."""
    found = load_episode(episode_id)
    busy = busy_jobs(found.id)
    if not busy:
        return Response("", headers={"HX-Refresh": "true"})
    job = busy[0]
    return render_template("_progress.html", episode=found, job=job, run=job_run(job),
                           state="processing" if job.state == "running" else "queued")
