"""A producer's whole day in a real browser (Playwright on Debian's Chromium) against the real app under
Waitress and real local job workers: sign in, upload real speech, watch it reach "ready for review", play
from a cue, correct a word, render a highlight, approve as a second producer, publish, and find the
correction in the published SRT and the episode in the feed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import SHARED, need_shared
from webutil import PASSWORDS, Served, make_web

from studio.jobs import open_queue, start_local_workers
from studio.media.ffmpeg import find_ffmpeg
from studio.web import create_app
from studio.workspace.config import with_changes

pytestmark = [pytest.mark.browser, pytest.mark.workers, pytest.mark.model]

# Four read sentences of the Indonesian corpus: 17.9 s, long enough for a 15 s highlight, too short for an
# automatic one (20 s), so processing renders no clip of its own.
SENTENCES = [SHARED / "corpus" / "id" / "indsp_news" / f"SPK00_F_{n}.wav" for n in ("0003", "0046", "0091", "0137")]
TITLE = "Kabar pagi"
EPISODE = "kpu/2026-11-20-kabar-pagi"
CORRECTED = "Koreksiprodusen"


def recording(target: Path) -> Path:
    for path in SENTENCES:
        need_shared(path)
    inputs = [arg for path in SENTENCES for arg in ("-i", str(path))]
    subprocess.run([find_ffmpeg().path, "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex",
                    f"concat=n={len(SENTENCES)}:v=0:a=1", str(target)], check=True)
    return target


@pytest.fixture
def studio(workspace, tmp_path):
    """The app under Waitress on a free port and one local worker process: (workspace, base URL)."""
    workspace.save_show(with_changes(workspace.show("kpu"), require_approval=True))
    make_web(workspace)  # the users
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    workers = start_local_workers(workspace, count=1)
    try:
        yield workspace, server.url
    finally:
        workers.stop()
        server.close()


def sign_in(browser, base: str, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    return page


def wait_for_jobs(workspace, timeout: float = 240.0) -> None:
    queue = open_queue(workspace)
    deadline = time.monotonic() + timeout
    while any(j.state in ("queued", "running") for j in queue.jobs()):
        assert time.monotonic() < deadline, [(j.stage, j.state) for j in queue.jobs()]
        time.sleep(0.5)
    failed = [(j.stage, j.error) for j in queue.jobs() if j.state == "failed"]
    assert not failed, failed


@pytest.mark.slow
def test_upload_review_correct_clip_approve_publish_in_a_browser(studio, browser, tmp_path):
    import feedparser

    workspace, base = studio
    timings = {}
    began = time.monotonic()

    # Producer A uploads a recording; the page follows the process job until "ready for review".
    page = sign_in(browser, base, "prod")
    page.goto(f"{base}/upload")
    page.fill("#title", TITLE)
    page.fill("#recorded_on", "2026-11-20")
    page.set_input_files("#file", str(recording(tmp_path / "kabar pagi.wav")))
    page.click("#upload-button")
    page.wait_for_selector("#upload-status a", timeout=60_000)
    assert EPISODE in page.inner_text("#upload-status")
    page.goto(f"{base}/episodes")
    row = page.locator("table.episodes tr", has_text=TITLE)
    row.locator(".badge.processed").wait_for(timeout=240_000)  # polled by htmx, no reload
    assert "siap ditinjau" in row.inner_text()
    timings["uploaded and processed"] = time.monotonic() - began

    # The episode page: clicking a cue moves the player there.
    row.locator("a").click()
    page.wait_for_selector("#cue-1")
    second = page.locator("#cue-1")
    start = float(second.get_attribute("data-start"))
    assert start > 1.0
    second.locator(".cue-time").click()
    page.wait_for_function("(start) => { const t = document.getElementById('episode-audio').currentTime;"
                           " return t > 0 && Math.abs(t - start) < 1.0; }", arg=start, timeout=10_000)
    page.evaluate("() => document.getElementById('episode-audio').pause()")

    # Correct a word of the first cue and save (the producer's VTT, as a hand edit).
    first = page.locator("#cue-0")
    words = first.locator(".cue-text").inner_text().split()
    first.locator(".cue-edit").click()
    page.wait_for_selector("#cue-text-0")
    page.fill("#cue-text-0", " ".join([CORRECTED, *words[1:]]))
    page.locator("#cue-0 button[type=submit]").click()
    page.wait_for_selector("#cue-0 .saved")

    # A highlight dragged on the waveform (it fills the range form), one format: its clip appears when done.
    page.wait_for_function("() => { const host = document.querySelector('#waveform > div');"
                           " return !!(host && host.shadowRoot && host.shadowRoot.querySelector('canvas')); }")
    box = page.locator("#waveform").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.04, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.move(box["x"] + box["width"] * 0.96, y, steps=8)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('highlight-end').value !== ''", timeout=5000)
    dragged = float(page.input_value("#highlight-start")), float(page.input_value("#highlight-end"))
    assert 15.0 <= dragged[1] - dragged[0] <= 17.9, dragged
    page.fill(".highlight-form input[name=title]", "Kabar utama")
    for box in page.locator(".highlight-form input[name=formats]").all():
        if box.get_attribute("value") != "square":
            box.uncheck()
    page.locator(".highlight-form button[type=submit]").click()
    page.wait_for_selector("#clips video", timeout=240_000)
    assert "Kabar utama" in page.inner_text("#clips")
    assert (workspace.episode_dir(EPISODE) / "clips" / "01-square.mp4").stat().st_size > 10_000
    (highlight,) = workspace.episode(EPISODE).highlights
    assert (highlight["start"], highlight["end"]) == pytest.approx(dragged, abs=0.05)
    timings["corrected and clipped"] = time.monotonic() - began
    wait_for_jobs(workspace)  # the follow-up of the cue edit

    # Four eyes: the uploader cannot approve; producer B can.
    page.goto(f"{base}/publish")
    assert page.locator(f"button[aria-label='Setujui {TITLE}']").count() == 0
    page.context.close()
    page = sign_in(browser, base, "prod2")
    page.goto(f"{base}/publish")
    page.click(f"button[aria-label='Setujui {TITLE}']")
    page.goto(f"{base}/episodes")
    assert "disetujui" in page.locator("table.episodes tr", has_text=TITLE).inner_text()

    # Publish from the page; the episode turns "published".
    page.goto(f"{base}/publish")
    def publish_jobs() -> int:
        return sum(j.stage == "publish" for j in open_queue(workspace).jobs())

    before = publish_jobs()
    page.get_by_role("button", name="Terbitkan", exact=True).click()
    deadline = time.monotonic() + 60  # a safety net: the click returns before its job is queued
    while publish_jobs() == before:
        assert time.monotonic() < deadline, "the publish button queued no job"
        time.sleep(0.1)
    wait_for_jobs(workspace)
    page.goto(f"{base}/episodes")
    page.locator("table.episodes tr", has_text=TITLE).locator(".badge.published").wait_for(timeout=30_000)
    timings["approved and published"] = time.monotonic() - began
    page.context.close()

    public = workspace.root / workspace.settings.publish_to
    (srt,) = [p for p in public.rglob("*.srt") if "kabar-pagi" in str(p)]
    assert CORRECTED in srt.read_text(encoding="utf-8")
    feed = feedparser.parse((public / "feeds" / "kpu.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == [TITLE]
    print(" ".join(f"{k}: {v:.1f} s;" for k, v in timings.items()))
