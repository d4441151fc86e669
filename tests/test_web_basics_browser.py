"""The episode basics on the episode page (issue 28 item 6) in a real browser (Chromium via Playwright), in both
languages: a publish time in the show's zone, season, number and type, the episode's own artwork (the show's
size rule), unpublish behind a confirmation box and restore; axe-core finds nothing serious; screenshots of the
section at 1280 px and 360 px (docs/web/episode-basics-*.png with STUDIO_SCREENSHOTS=1)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from conftest import add_fake_episode, axe_serious_violations, screenshot_dir
from PIL import Image
from webutil import Served, make_web, sign_in

from studio.localtime import format_local
from studio.web import create_app
from studio.web.strings import translate
from studio.workspace.config import time_zone

pytestmark = pytest.mark.browser

EPISODE = "kpu/2026-12-01-dpt"
WHEN = dt.datetime(2030, 12, 23, 6, 0, tzinfo=time_zone("Asia/Makassar"))


def image(path: Path, size: int) -> Path:
    Image.new("RGB", (size, size), (20, 90, 160)).save(path, "JPEG")
    return path


def _say(tab, lang: str, key: str, **values) -> None:
    text = translate(lang, key).format(**values)
    tab.wait_for_function("text => document.querySelector('main').innerText.includes(text)", arg=text)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_episode_basics_are_set_on_the_episode_page(workspace, browser, tmp_path, lang):
    web = make_web(workspace)
    ws = web.workspace
    ws.save_show(dataclasses.replace(ws.show("kpu"), timezone="Asia/Makassar"))
    add_fake_episode(ws, "kpu", "2026-12-01-dpt", title="DPT dan pemilih pindahan",
                     description="Cek nama Anda di https://cekdptonline.kpu.go.id.")
    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID" if lang == "id" else "en-US")
    tab = context.new_page()
    try:
        sign_in(tab, server.url, "prod")
        tab.goto(f"{server.url}/episodes/{EPISODE}/")
        assert translate(lang, "basics.status.now") in tab.inner_text("#basics-status")
        assert "WITA" in tab.inner_text("#basics")  # the show's zone is named beside the time

        # publish time in the show's local time, season, number, type
        tab.fill("#basics-publish-at", "2030-12-23T06:00")
        tab.fill("#basics-season", "2")
        tab.fill("#basics-number", "5")
        tab.select_option("#basics-type", "trailer")
        tab.click("#basics-form button[type=submit]")
        _say(tab, lang, "basics.saved")
        status = tab.inner_text("#basics-status")
        assert status == translate(lang, "basics.status.scheduled").format(when=format_local(WHEN, WHEN.tzinfo, lang))
        assert tab.input_value("#basics-publish-at") == "2030-12-23T06:00"
        saved = ws.episode(EPISODE)
        assert (saved.publish_at, saved.season, saved.number, saved.episode_type) == (
            "2030-12-23T06:00+08:00", 2, 5, "trailer")
        assert translate(lang, "basics.type.trailer") in tab.inner_text(".basics-facts")

        # a bad number is refused in the page's words (the browser's own check is bypassed as a hand-made form would)
        tab.evaluate("document.querySelector('#basics-season').removeAttribute('min')")
        tab.fill("#basics-season", "0")
        tab.click("#basics-form button[type=submit]")
        _say(tab, lang, "basics.error.number")
        assert ws.episode(EPISODE).season == 2

        # artwork: too small is refused (no path, no PIL message), a right one is shown
        tab.set_input_files("#basics-artwork-file", str(image(tmp_path / "kecil.jpg", 600)))
        tab.click("#basics-artwork-form button[type=submit]")
        _say(tab, lang, "basics.artwork_bad")
        assert "kecil.jpg" not in tab.inner_text("main") and "/tmp" not in tab.inner_text("main")
        tab.set_input_files("#basics-artwork-file", str(image(tmp_path / "sampul.jpg", 1400)))
        tab.click("#basics-artwork-form button[type=submit]")
        _say(tab, lang, "basics.artwork_saved")
        tab.wait_for_function("() => { const i = document.querySelector('img.basics-artwork');"
                              " return i && i.complete && i.naturalWidth === 1400; }")
        assert ws.episode(EPISODE).artwork == "artwork.jpg"

        assert axe_serious_violations(tab) == []
        shots = screenshot_dir(tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        for width in (1280, 360):
            tab.set_viewport_size({"width": width, "height": 900})
            wide = tab.evaluate(f"""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width})
                .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)""")
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, wide
            if lang == "id":
                tab.locator("#basics").screenshot(path=str(shots / f"episode-basics-{width}.png"))
        tab.set_viewport_size({"width": 1280, "height": 900})

        # unpublish needs the confirmation box; then it is said, and it can be put back
        tab.click("#basics-unpublish-form button[type=submit]")
        assert tab.evaluate("document.querySelector('#basics-unpublish-confirm').validity.valueMissing")
        assert ws.episode(EPISODE).unpublished_at == ""
        tab.check("#basics-unpublish-confirm")
        tab.click("#basics-unpublish-form button[type=submit]")
        _say(tab, lang, "basics.unpublished")
        assert ws.episode(EPISODE).unpublished_at
        assert tab.inner_text("#basics-status").startswith(translate(lang, "basics.status.unpublished").split("{")[0])
        tab.click("#basics-restore-form button[type=submit]")
        _say(tab, lang, "basics.restored")
        assert ws.episode(EPISODE).unpublished_at == ""
        assert tab.locator("#basics-unpublish-form").count() == 1
    finally:
        context.close()
        server.close()


def test_an_edit_after_approval_is_said_on_the_page(workspace, browser, tmp_path):
    """Season changed after a second producer approved: the page says the approval lapsed, and what changed."""
    from studio.review import basics
    from studio.workspace import approval

    web = make_web(workspace)
    ws = web.workspace
    ws.save_show(dataclasses.replace(ws.show("kpu"), require_approval=True))
    episode = add_fake_episode(ws, "kpu", "2026-12-01-dpt", title="DPT dan pemilih pindahan")
    approval.record_uploader(ws, episode, "prod")
    approval.approve(ws, ws.episode(episode.id), "prod2")
    basics.update_basics(ws, episode.id, basics.Basics(season="3"))
    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0, "lang": "en"}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    tab = context.new_page()
    try:
        sign_in(tab, server.url, "prod2")
        tab.goto(f"{server.url}/episodes/{episode.id}/")
        what = translate("en", "approval.part.details")
        assert translate("en", "approval.withdrawn").format(who="prod2", what=what) in tab.inner_text("main")
    finally:
        context.close()
        server.close()
