"""The web app in a real browser (Debian's Chromium via Playwright): sign in, upload, the episodes page,
accessibility (axe-core) and screenshots of each page at 360 px and 1280 px (docs/web/)."""

from __future__ import annotations

from pathlib import Path

import audiogen as g
import pytest
from conftest import add_fake_episode, axe_serious_violations, screenshot_dir
from webutil import Served, make_web, sign_in

from studio.jobs import start_local_workers
from studio.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.workers, pytest.mark.model]  # the live app's workers transcribe


@pytest.fixture
def live(workspace, browser):
    """`studio web`'s app under Waitress in a thread on a free port: (web, base URL)."""
    web = make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    workers = start_local_workers(workspace, count=1)  # an upload's checks are an ingest job's
    yield web, server.url
    workers.stop()
    server.close()


def shoot(page, name: str, tmp_path: Path) -> None:
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name}: the page is {wide} px wide at {width} px (it scrolls sideways)"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_sign_in_upload_and_see_the_episode(live, page, tmp_path):
    web, base = live
    page.goto(f"{base}/episodes")
    assert "/login" in page.url
    assert axe_serious_violations(page) == []
    shoot(page, "login", tmp_path)
    sign_in(page, base, "prod")
    assert page.url.endswith("/episodes")
    source = g.encode(g.speech(3.0), tmp_path / "Rapat pleno KPU.wav")
    page.goto(f"{base}/upload")
    assert axe_serious_violations(page) == []
    page.fill("#title", "Rapat pleno KPU")
    page.fill("#recorded_on", "2024-05-02")
    page.set_input_files("#file", str(source))
    page.click("#upload-button")
    page.wait_for_selector("#upload-status a", timeout=60_000)
    assert "kpu/2024-05-02-rapat-pleno-kpu" in page.inner_text("#upload-status")
    shoot(page, "upload", tmp_path)
    page.goto(f"{base}/episodes")
    assert "Rapat pleno KPU" in page.inner_text("table.episodes")
    row = page.inner_text("table.episodes")
    assert any(state in row for state in ("menunggu", "diproses", "siap ditinjau")), row  # its process job


def test_every_page_has_no_serious_accessibility_violation(live, page, tmp_path):
    web, base = live
    add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt-dan-pemilih-pindahan", title="DPT dan pemilih pindahan")
    add_fake_episode(web.workspace, "kpu", "2024-02-01-tps-baru", title="TPS baru dan KPPS")
    pages = {"prod": [("episodes", "/episodes"), ("publish", "/publish"), ("jobs", "/jobs")],
             "sched": [("radio", "/radio")], "admin": [("users", "/users")]}
    for name, paths in pages.items():
        context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        tab = context.new_page()
        sign_in(tab, base, name)
        for label, path in paths:
            tab.goto(f"{base}{path}")
            assert axe_serious_violations(tab) == [], label
            shoot(tab, label, tmp_path)
        context.close()


def test_an_upload_cut_at_half_resumes_and_the_stored_file_is_the_source(workspace, browser, tmp_path):
    """The connection drops at 50%: upload.js asks the server for its offset and sends the rest."""
    import hashlib

    web = make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "STUDIO_UPLOAD_CHUNK": 64 * 1024}))
    workers = start_local_workers(workspace, count=1)
    base = server.url
    source = g.encode(g.speech(6.0), tmp_path / "Debat kandidat.wav")
    size = source.stat().st_size
    cut = []

    def drop_once_at_half(route):
        offset = int(route.request.headers.get("upload-offset", "0"))
        if route.request.method == "PATCH" and offset >= size // 2 and not cut:
            cut.append(offset)
            route.abort("connectionreset")
        else:
            route.continue_()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, base, "prod")
        page.route("**/uploads/*", drop_once_at_half)
        page.goto(f"{base}/upload")
        page.fill("#title", "Debat kandidat")
        page.fill("#recorded_on", "2024-06-01")
        page.set_input_files("#file", str(source))
        page.click("#upload-button")
        page.wait_for_selector("#upload-status a", timeout=90_000)
        assert cut, "the connection was never cut"
        episode = web.workspace.episode("kpu/2024-06-01-debat-kandidat")
        stored = web.workspace.episode_dir(episode.id) / episode.original
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    finally:
        context.close()
        workers.stop()
        server.close()
