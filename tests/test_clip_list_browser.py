"""The clip list on the episode page in a real browser (Chromium via Playwright), in Bahasa Indonesia and in
English (issue 28, item 4): each clip with its poster frame, renamed, kept from publishing and let out again,
removed; axe-core, and screenshots at 360 px and 1280 px (docs/web/clips-*.png with STUDIO_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest
from conftest import axe_serious_violations, screenshot_dir
from test_clip_list import clip_episode
from webutil import Served, make_web, sign_in

from studio.web import create_app
from studio.web.strings import translate

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_clip_list_renames_keeps_back_and_removes(workspace, browser, tmp_path, lang):
    def t(key):
        return translate(lang, key)

    make_web(workspace)
    episode = clip_episode(workspace, keep_back=False)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())  # "remove this clip?"
    try:
        sign_in(tab, server.url, "prod")
        tab.goto(f"{server.url}/episodes/{episode.id}/")
        first = tab.locator("#clip-1")
        poster = first.locator("video").get_attribute("poster")
        assert poster.endswith("/clips/01-landscape.jpg")
        assert tab.evaluate(f"fetch('{poster}').then(r => r.headers.get('content-type'))") == "image/jpeg"
        assert t("episode.highlights.automatic") in first.inner_text()
        assert t("clips.by_producer") in tab.inner_text("#clip-2")

        tab.fill("#clip-title-1", "Formulir A5 untuk pemilih pindahan")
        first.locator("form.clip-title button").click()
        tab.locator("#clips .success", has_text=t("episode.highlights.renamed")).wait_for()
        assert tab.inner_text("#clip-1 h3").startswith("Formulir A5 untuk pemilih pindahan")

        tab.click("#clip-2 button[data-publish='0']")
        tab.wait_for_selector("#clip-2.is-kept-back")
        assert t("clips.kept_back") in tab.inner_text("#clip-2 h3")
        assert workspace.episode(episode.id).highlights[1]["publish"] is False
        assert axe_serious_violations(tab) == []
        if lang == "id":
            shots = screenshot_dir(tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            for width in (1280, 360):
                tab.set_viewport_size({"width": width, "height": 900})
                tab.locator("#highlights").screenshot(path=str(shots / f"clips-{width}.png"))
                assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"clips scroll at {width} px"
            tab.set_viewport_size({"width": 1280, "height": 900})

        tab.click("#clip-2 button[data-publish='1']")  # let out again
        tab.wait_for_selector("#clip-2:not(.is-kept-back)")
        assert "publish" not in workspace.episode(episode.id).highlights[1]

        tab.click("#clip-1 .actions form:last-child button")  # remove, confirmed
        tab.locator("#clips .success", has_text=t("episode.highlights.removed")).wait_for()
        assert tab.locator("#clips li.clip").count() == 1
        assert [h["title"] for h in workspace.episode(episode.id).highlights] == ["Cek DPT"]
    finally:
        context.close()
        server.close()
