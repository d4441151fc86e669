"""The Statistik page in a real browser (Debian's Chromium via Playwright): at 360 px and 1280 px it does not
scroll sideways, axe-core finds nothing serious, the chart and its table are there; screenshots
docs/web/stats-{360,1280}.png (STUDIO_SCREENSHOTS=1), in Bahasa Indonesia."""

from __future__ import annotations

import pytest
from conftest import axe_serious_violations
from statsdata import november
from test_web_browser import shoot, sign_in
from webutil import Served, make_web

from studio.stats import report as report_mod
from studio.web import create_app
from studio.workspace.shows import add_show

pytestmark = [pytest.mark.browser]


def test_the_statistik_page_at_both_widths(workspace, browser, monkeypatch, tmp_path):
    add_show(workspace, "bawaslu", title="Bawaslu Menjawab", author="Bawaslu", email="humas@example.go.id")
    monkeypatch.setattr(report_mod, "report", lambda ws, show=None, month=None: november(show))
    make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, server.url, "prod")
        page.click("nav >> text=Statistik")
        page.fill("#s-month", "2026-11")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/statistik?month=2026-11*")
        assert page.inner_text(".stat-total .big") == "1.565"
        chart = page.locator("svg.chart")
        assert chart.get_attribute("role") == "img" and chart.bounding_box()["height"] > 100
        assert page.locator("svg.chart rect.bar").count() == 30
        assert axe_serious_violations(page) == []
        shoot(page, "stats", tmp_path)
        page.click("details summary")  # the chart's figures as a table
        assert page.locator("details table tbody tr").count() == 30
        assert page.locator("details table tbody tr").nth(11).inner_text().split("\t") == [
            "Kamis, 12 November 2026", "284"]
        page.set_viewport_size({"width": 360, "height": 800})
        assert axe_serious_violations(page) == []
        with page.expect_download() as download:
            page.click("text=Laporan bulanan (PDF)")
        assert download.value.suggested_filename == "laporan-bulanan-semua-2026-11.pdf"
    finally:
        context.close()
        server.close()
