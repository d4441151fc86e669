"""Live progress in the web app (issue 28, item 3), over the test client: the episode page's polled badge, the
episodes list's state cell and the jobs bar show the run's stage, overall percent and time left in both
languages; once nothing runs the episode page's poll tells htmx to reload the page."""

from __future__ import annotations

import pytest
from conftest import add_fake_episode
from webutil import make_web

from studio.jobs.local import LocalQueue
from studio.jobs.progress import RunTracker

EPISODE = "kpu/2024-03-01-sosialisasi-dpt"
WORDS = {"id": ("membuat klip video", "menit lagi", "diproses"),
         "en": ("making the video clips", "minutes left", "processing")}


class Clock:
    now = 5000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pages_show_the_runs_stage_percent_and_time_left(workspace, lang):
    web = make_web(workspace, lang=lang)
    add_fake_episode(workspace, "kpu", EPISODE[4:], title="Sosialisasi DPT")
    with LocalQueue(workspace) as queue:
        job = queue.enqueue("process", EPISODE, {})
        queue.claim("test:0")
        clock = Clock()
        tracker = RunTracker(workspace, EPISODE, "process", {}, clock=clock)
        tracker.begin("transcript")
        clock.now += 6000  # 92 % in 100 minutes: about 9 minutes left
        tracker.begin("text")
        tracker.begin("clips", 1)
        tracker.step(1, 3)  # the second of three clips
        queue.set_progress(job.id, tracker.share)
        client = web.client("producer")
        stage, left, state = WORDS[lang]
        percent = f"{tracker.model.progress.percent}%"
        assert 90 <= tracker.model.progress.percent < 100

        badge = client.get(f"/progress/episode/{EPISODE}", headers={"HX-Request": "true"})
        text = badge.get_data(as_text=True)
        assert badge.status_code == 200 and "HX-Refresh" not in badge.headers
        assert stage in text and left in text and state in text and percent in text, text
        page = client.get(f"/episodes/{EPISODE}/").get_data(as_text=True)
        assert 'id="episode-progress"' in page and stage in page  # polled from the first paint
        cell = client.get(f"/episodes/state/{EPISODE}").get_data(as_text=True)
        assert stage in cell and percent in cell and left in cell, cell
        bar = client.get("/jobs/table").get_data(as_text=True)
        assert stage in bar and left in bar and percent in bar, bar

        tracker.finish(failed=False, last_job=True)
        queue.finish(job.id, result={})
        done = client.get(f"/progress/episode/{EPISODE}", headers={"HX-Request": "true"})
        assert done.headers.get("HX-Refresh") == "true"  # the page reloads itself: no more "diproses"
        page = client.get(f"/episodes/{EPISODE}/").get_data(as_text=True)
        assert 'id="episode-progress"' not in page
