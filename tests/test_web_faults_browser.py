"""Issue 29's new page states as a producer meets them, in a real browser (Chromium via Playwright), in
Bahasa Indonesia, at 360 px and 1280 px, checked with axe-core: the note of an approval withdrawn by a
change, and the banner of a broker that does not answer."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import add_fake_episode, axe_serious_violations, free_port, screenshot_dir
from webutil import Served, make_web, sign_in

from studio.web import create_app
from studio.web.strings import translate
from studio.workspace import approval
from studio.workspace.config import load_settings, save_settings, with_changes

pytestmark = pytest.mark.browser


def signed_in_tab(browser, base: str, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    tab = context.new_page()
    sign_in(tab, base, name)
    return context, tab


def look(tab, name: str, tmp_path) -> None:
    """No serious accessibility violation, and a screenshot at both widths."""
    assert axe_serious_violations(tab) == [], name
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        tab.set_viewport_size({"width": width, "height": 900})
        tab.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width} px"


def test_an_approval_withdrawn_by_a_change_is_said_on_the_episode_page(workspace, browser, tmp_path):
    web = make_web(workspace)
    ws = web.workspace
    ws.save_show(dataclasses.replace(ws.show("kpu"), require_approval=True))
    episode = add_fake_episode(ws, "kpu", "2024-01-10-dpt", title="Daftar pemilih tetap")
    approval.record_uploader(ws, episode, "prod")
    approval.approve(ws, ws.episode(episode.id), "prod2")
    changed = ws.episode(episode.id)
    changed.title = "HOAKS: pemungutan suara ditunda"
    ws.save_episode(changed)

    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0}))
    base = server.url
    context, tab = signed_in_tab(browser, base, "prod2")
    try:
        tab.goto(f"{base}/episodes/{episode.id}/")
        assert "Persetujuan oleh prod2 dicabut: judul berubah setelah disetujui." in tab.inner_text("main")
        look(tab, "fault-approval-withdrawn", tmp_path)
    finally:
        context.close()
        server.close()


def test_a_broker_that_does_not_answer_is_a_banner_not_an_error_page(workspace, browser, tmp_path):
    web = make_web(workspace)
    ws = web.workspace
    add_fake_episode(ws, "kpu", "2024-01-10-dpt", title="Daftar pemilih tetap")
    settings = load_settings(ws.settings_path)
    save_settings(ws.settings_path, with_changes(settings, broker_url=f"redis://127.0.0.1:{free_port()}/0"))
    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0}))
    base = server.url
    context, tab = signed_in_tab(browser, base, "prod")
    away = translate("id", "broker.away")
    try:
        for label, path in (("fault-broker-episodes", "/episodes"), ("fault-broker-jobs", "/jobs")):
            answer = tab.goto(f"{base}{path}")
            assert answer.status == 200 and away in tab.inner_text("body"), label
            if path == "/episodes":
                assert "Daftar pemilih tetap" in tab.inner_text("main")  # the list, from the workspace's index
            look(tab, label, tmp_path)
    finally:
        context.close()
        server.close()
