"""Live progress in a real browser (issue 28, item 3): the episode page leaves "diproses" by itself when its run
is over, the percent the jobs bar shows never goes down across a run with clips, and the upload bar moves with
the bytes sent before the first chunk's answer. Screenshots docs/web/progress-360.png and -1280.png."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import audiogen as g
import pytest
from conftest import axe_serious_violations, screenshot_dir
from webutil import Served, make_web, sign_in

from studio.jobs.local import LocalQueue, run_job
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.web import create_app

pytestmark = [pytest.mark.browser]

# Every percent the jobs bar shows, kept by the page itself (the bar is swapped by htmx every 2 s).
WATCH_PERCENTS = """() => {
  window.seenPercents = [];
  const look = () => document.querySelectorAll("#jobs-live .percent").forEach(
      (n) => window.seenPercents.push(parseInt(n.textContent, 10)));
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
  look();
}"""


def shoot(page, name: str, tmp_path: Path) -> None:
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name}: the page is {wide} px wide at {width} px (it scrolls sideways)"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.slow
def test_the_episode_page_leaves_diproses_by_itself_and_the_percent_only_grows(workspace, browser, tmp_path):
    """A real run (renditions, then two clips, real ffmpeg) in a thread, as a worker runs it, while one tab
    shows the episode page and another the jobs bar. On main the page stayed "diproses" until reloaded and the
    bar went back to the start of each clip."""
    source = g.encode(g.scale_to(g.speech(34.0), -24.0), tmp_path / "Sosialisasi DPT.wav")
    made = ingest(workspace, find_ffmpeg(), IngestRequest(file=source, show="kpu", title="Sosialisasi DPT",
                                                          recorded_on="2026-12-07"), Reporter(quiet=True))
    episode = dataclasses.replace(made.episode, highlights=[
        {"start": 0.0, "end": 15.5, "title": "Satu", "formats": ["square"]},
        {"start": 16.0, "end": 32.0, "title": "Dua", "formats": ["square"]}])
    workspace.save_episode(episode)
    make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    queue = LocalQueue(workspace)
    queue.enqueue("process", episode.id, {"transcribe": False})
    job = queue.claim("test:0")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    release = threading.Event()
    worker = threading.Thread(target=lambda: (release.wait(120), run_job(queue, job)), daemon=True)
    try:
        page = context.new_page()
        sign_in(page, server.url, "prod")
        page.goto(f"{server.url}/episodes/{episode.id}/")
        assert "diproses" in page.inner_text(".episode-facts")
        jobs = context.new_page()
        jobs.goto(f"{server.url}/jobs")
        jobs.evaluate(WATCH_PERCENTS)
        worker.start()
        release.set()
        page.wait_for_function("() => (document.querySelector('#episode-progress progress') || {}).value > 0",
                               timeout=120_000)  # the run's percent, polled
        assert axe_serious_violations(page) == []
        shoot(page, "progress", tmp_path)
        page.wait_for_function("() => !document.querySelector('#episode-progress')", timeout=240_000)
        facts = page.inner_text(".episode-facts")
        assert "siap ditinjau" in facts and "diproses" not in facts, facts
        worker.join(60)
        assert queue.get(job.id).state == "done", queue.get(job.id).error
        jobs.wait_for_function("() => document.querySelector('#jobs-live') && "
                               "!document.querySelector('#jobs-live .percent')", timeout=30_000)
        seen = jobs.evaluate("window.seenPercents")
        assert len(set(seen)) >= 2, seen
        assert seen == sorted(seen), f"the jobs bar went back: {seen}"
        print("percents seen on the jobs bar:", sorted(set(seen)))
    finally:
        release.set()
        worker.join(120) if worker.is_alive() else None
        context.close()
        queue.close()
        server.close()


def test_the_upload_bar_moves_before_the_first_chunk_is_answered(workspace, browser, tmp_path):
    """The first chunk's answer is held back by the server until the bar has moved: the bar follows the
    bytes sent (XHR upload events), not the chunks answered (main: 0 % until the first chunk came back;
    with the 8 MB chunks of a real upload, 10 s at 0 %)."""
    make_web(workspace)
    app = create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "STUDIO_UPLOAD_CHUNK": 1024 * 1024})
    gate, held = threading.Event(), threading.Event()
    inner = app.wsgi_app

    def hold_first_chunk(environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH" and not held.is_set():
            held.set()
            gate.wait(60)
        return inner(environ, start_response)

    app.wsgi_app = hold_first_chunk
    server = Served(app)
    source = g.encode(g.speech(30.0), tmp_path / "Rapat pleno.wav")  # 2.9 MB: three chunks of 1 MB
    assert source.stat().st_size > 2 * 1024 * 1024
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, server.url, "prod")
        page.goto(f"{server.url}/upload")
        page.fill("#title", "Rapat pleno")
        page.fill("#recorded_on", "2026-12-07")
        page.set_input_files("#file", str(source))
        page.click("#upload-button")
        page.wait_for_function("() => document.getElementById('upload-progress').value > 0", timeout=60_000)
        assert held.is_set() and not gate.is_set()  # the first chunk is not answered yet
        value = page.evaluate("document.getElementById('upload-progress').value")
        assert 0 < value <= 50, value
    finally:
        gate.set()
        context.close()
        server.close()
