"""A recording from a watch folder shows up on the Episodes page by itself, with its "masuk dari folder" badge
(issue 28, item 11), in Chromium, in both languages. Scans are driven by the test (jobs.watch.scan)."""

from __future__ import annotations

import dataclasses

import audiogen as g
import pytest
from conftest import axe_serious_violations
from webutil import Served, make_web, sign_in

from studio.jobs.watch import scan
from studio.web import create_app

pytestmark = [pytest.mark.browser]


def test_the_episodes_page_shows_a_recording_arriving_from_the_folder(workspace, browser, tmp_path):
    folder = tmp_path / "masuk"
    folder.mkdir()
    workspace.save_show(dataclasses.replace(workspace.show("kpu"), watch_folder=str(folder)))
    make_web(workspace)
    servers = {lang: Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang})) for lang in ("id", "en")}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, servers["id"].url, "prod")
        page.goto(f"{servers['id'].url}/episodes")
        assert "Sosialisasi DPT" not in page.inner_text("main")
        g.encode(g.scale_to(g.speech(4.0), -24.0), folder / "2026-12-07 Sosialisasi DPT.wav")
        arrivals = [scan(workspace) for _ in range(3)]  # the third scan finds it unchanged three times
        assert [a.outcome for a in arrivals[-1]] == ["ingested"]
        badge = page.wait_for_selector("table.episodes .badge.from-folder", timeout=60_000)  # no reload
        assert badge.inner_text() == "masuk dari folder"
        row = page.inner_text("table.episodes")
        assert "Sosialisasi DPT" in row and "7 Desember 2026" in row  # the date in words (item 5)
        assert axe_serious_violations(page) == []
        english = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
        sign_in(english, servers["en"].url, "prod")
        english.goto(f"{servers['en'].url}/episodes")
        assert english.inner_text("table.episodes .badge.from-folder") == "from the watch folder"
        assert axe_serious_violations(english) == []
        english.context.close()
    finally:
        context.close()
        for server in servers.values():
            server.close()
