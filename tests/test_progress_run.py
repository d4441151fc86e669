"""One progress model for an episode's whole run (issue 28, item 3): stage, an overall percent that only grows
(clips are sub-steps of one stage, not restarts), time left; kept in the episode's .studio/progress.json for
local and Celery jobs alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import audiogen as g
import pytest

from studio.jobs.local import LocalQueue, run_job
from studio.jobs.progress import RunTracker, plan, read_progress
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import STAGE_SECONDS, Reporter, RunModel, RunProgress


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_overall_share_weighs_stages_by_their_measured_time_and_never_goes_down():
    clock = Clock()
    model = RunModel(RunProgress(stages=["transcript", "text", "clips"]), clock)
    total = STAGE_SECONDS["transcript"] + STAGE_SECONDS["text"] + STAGE_SECONDS["clips"]
    model.begin("transcript")
    clock.now += 50
    model.update(0.5)
    assert model.progress.share == pytest.approx(0.5 * STAGE_SECONDS["transcript"] / total)
    assert model.progress.left_s == pytest.approx(50 * (1 - model.progress.share) / model.progress.share)
    model.update(0.2)  # a bar that starts again from zero (a retried decode) does not pull it back
    assert model.progress.share == pytest.approx(0.5 * STAGE_SECONDS["transcript"] / total)
    model.begin("text")
    model.begin("clips")
    seen = []
    for clip in range(3):  # three clips: each a third of the clips stage, the percent going on from the last
        model.step(clip, 3)
        for share in (0.0, 0.5, 1.0):
            model.update(share)
            seen.append(model.progress.share)
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert seen[0] == pytest.approx((STAGE_SECONDS["transcript"] + STAGE_SECONDS["text"]) / total)
    model.end()
    assert (model.progress.state, model.progress.percent, model.progress.left_s) == ("done", 100, 0.0)


def test_a_chain_of_stage_jobs_is_one_run(workspace):
    episode = "kpu/2024-01-01-x"
    workspace.episode_dir(episode).mkdir(parents=True)
    assert plan("process", {}) == ["transcript", "speakers", "text", "clips"]
    assert plan("process", {"transcribe": False, "clips": False}) == ["renditions"]
    first = RunTracker(workspace, episode, "renditions", {})
    first.update(1.0)
    first.finish(failed=False, last_job=False)
    after = read_progress(workspace, episode)
    assert after.stages == ["renditions", "transcript", "speakers", "text", "clips"] and after.state == "running"
    second = RunTracker(workspace, episode, "transcript", {})
    assert second.model.progress.run == after.run  # the same run goes on
    assert second.share >= after.share
    second.finish(failed=False, last_job=False)
    last = RunTracker(workspace, episode, "clips", {})
    last.finish(failed=False, last_job=False)
    assert read_progress(workspace, episode).state == "done"
    again = RunTracker(workspace, episode, "text", {})  # a lone follow-up after the run: a run of its own
    assert again.model.progress.stages == ["text"] and again.model.progress.run != after.run


@pytest.mark.slow
def test_a_process_job_with_clips_reports_one_growing_percent(workspace, tmp_path: Path):
    """Real ffmpeg: the renditions and two clips of a job, the queue's record of its progress read at every
    write. On main each clip started again from 0 % (98 % → 27 %)."""
    source = g.encode(g.scale_to(g.speech(34.0), -24.0), tmp_path / "Sosialisasi.wav")
    result = ingest(workspace, find_ffmpeg(), IngestRequest(file=source, show="kpu", title="Sosialisasi"),
                    Reporter(quiet=True))
    episode = dataclasses.replace(result.episode, highlights=[
        {"start": 0.0, "end": 15.5, "title": "Satu", "formats": ["square"]},
        {"start": 16.0, "end": 32.0, "title": "Dua", "formats": ["square"]}])
    workspace.save_episode(episode)
    seen: list[float] = []
    with LocalQueue(workspace) as queue:
        job = queue.enqueue("process", episode.id, {"transcribe": False})
        claimed = queue.claim("test:0")
        record = queue.set_progress

        def watched(job_id, share):
            seen.append(share)
            record(job_id, share)

        queue.set_progress = watched
        done = run_job(queue, claimed)
    assert done.state == "done", done.error
    assert job.id == done.id
    assert len(seen) >= 3, seen  # the renditions, then each clip's start at least
    assert seen == sorted(seen), seen
    progress = read_progress(workspace, episode.id)
    assert (progress.state, progress.percent, progress.stages) == ("done", 100, ["renditions", "clips"])
    assert sorted((workspace.episode_dir(episode.id) / "clips").glob("*.mp4"))
