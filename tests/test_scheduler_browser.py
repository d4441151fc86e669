"""Issue 28 items 5 and 9 in a real browser (Debian's Chromium via Playwright), in both languages: an air window
entered as a date ends at 23.59 on the show's clock (and the published manifest says so at once); the scheduler
listens to and downloads a broadcast file, sees its loudness and cue points, and copies a new station's token and
command. Screenshots docs/web/scheduler-{360,1280}.png and docs/web/airwindow-1280.png (STUDIO_SCREENSHOTS=1);
axe-core finds nothing serious."""

from __future__ import annotations

import json

import pytest
from broadcastutil import add_broadcast
from conftest import add_fake_episode, axe_serious_violations, screenshot_dir
from test_scheduler_web import EPISODE, publish_radio
from test_web_browser import shoot
from webutil import Served, make_web, sign_in

from studio import radio
from studio.web import create_app
from studio.workspace import shows

pytestmark = [pytest.mark.browser]

WORDS = {  # what each language shows of the same window
    "id": ("Sabtu, 5 Desember 2026 pukul 23.59 WITA", "Rabu, 9 Desember 2026 pukul 23.59 WITA", "Simpan", "Unduh WAV",
           "Salin token", "Tersalin."),
    "en": ("Saturday, 5 December 2026 at 23:59 WITA", "Wednesday, 9 December 2026 at 23:59 WITA", "Save",
           "Download WAV", "Copy the token", "Copied."),
}


@pytest.fixture
def studio_ws(workspace):
    shows.set_timezone(workspace, "kpu", "WITA")
    episode = add_fake_episode(workspace, "kpu", "2026-12-01-dpt", title="DPT dan pemilih pindahan")
    add_broadcast(workspace, episode, seconds=2.0)
    make_web(workspace)
    return workspace


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_air_window_entered_as_a_date_ends_that_day_at_23_59_on_the_shows_clock(studio_ws, browser, lang,
                                                                                   tmp_path):
    ws = studio_ws
    publish_radio(ws)  # the window is edited after publishing: stations must read the new one at once
    ends, later, save = WORDS[lang][0], WORDS[lang][1], WORDS[lang][2]
    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        sign_in(page, server.url, "prod")
        page.goto(f"{server.url}/episodes/{EPISODE}/")
        form = page.locator("#metadata-form")
        form.locator("input[name=air_from]").fill("2026-12-01 06:00")
        form.locator("input[name=air_until]").fill("2026-12-05")
        form.locator(f"button[type=submit]:has-text('{save}')").click()
        page.wait_for_selector(f"#air-window-local:has-text('{ends}')")
        assert page.input_value("#metadata-form input[name=air_until]") == "2026-12-05"  # read back as entered
        assert "WITA" in page.inner_text("#air-hint")
        assert axe_serious_violations(page) == []
        if lang == "id":
            shots = screenshot_dir(tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            page.locator("#metadata").screenshot(path=str(shots / "airwindow-1280.png"))
        entry = json.loads((ws.root / "radio" / radio.MANIFEST_NAME).read_text())["files"][0]
        assert entry["air_until"] == "2026-12-05T23:59:59+08:00"  # that day's end in the zone, already published
        # the scheduler sees it in local time too, and a later edit reaches the page at once
        form = page.locator("#metadata-form")
        form.locator("input[name=air_until]").fill("2026-12-09")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"#air-window-local:has-text('{later}')")
        scheduler = context.new_page()
        context.clear_cookies()
        sign_in(scheduler, server.url, "sched")
        scheduler.goto(f"{server.url}/radio")
        assert later in scheduler.inner_text("article.broadcast .air-window")
    finally:
        context.close()
        server.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_scheduler_listens_downloads_and_copies_a_new_stations_token(studio_ws, browser, lang, tmp_path):
    ws = studio_ws
    ws.save_episode(_with_window(ws.episode(EPISODE)))
    publish_radio(ws)
    download, copy, copied = WORDS[lang][3], WORDS[lang][4], WORDS[lang][5]
    server = Served(create_app(ws, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    try:
        page = context.new_page()
        sign_in(page, server.url, "sched")
        page.goto(f"{server.url}/radio")
        card = page.locator("article.broadcast")
        assert "LUFS" in card.inner_text() and "dBTP" in card.inner_text() and "0:02" in card.inner_text()
        # it plays: Chromium asks for the WAV (with Range) and reads its length
        duration = page.evaluate("""() => new Promise((done, fail) => {
            const audio = document.querySelector('article.broadcast audio');
            audio.addEventListener('loadedmetadata', () => done(audio.duration), {once: true});
            audio.addEventListener('error', () => fail(new Error('media error ' + audio.error.code)), {once: true});
            audio.preload = 'metadata'; audio.load(); })""")
        assert duration == pytest.approx(2.0, abs=0.01)
        with page.expect_download() as saved:
            card.locator(f"a:has-text('{download}')").click()
        assert saved.value.suggested_filename == "kpu--2026-12-01-dpt.wav"
        assert saved.value.path().read_bytes() == (ws.root / "radio" / "kpu" / "2026-12-01-dpt.wav").read_bytes()
        # a new station: its token once, copied with the button
        page.fill("#station-name", "abdi")
        page.click("form.row button[type=submit]")
        page.wait_for_selector("#new-token")
        token = page.inner_text("#new-token").strip()
        page.click(f"button.copy:has-text('{copy}')")
        page.wait_for_selector(f".copy-note:has-text('{copied}')")
        assert page.evaluate("navigator.clipboard.readText()") == token
        assert page.inner_text("#pull-command").startswith("studio radio pull --from ")
        assert page.inner_text("#pull-command").endswith(f"--station abdi --token {token}")
        assert axe_serious_violations(page) == []
        if lang == "id":
            shoot(page, "scheduler", tmp_path)
            page.set_viewport_size({"width": 360, "height": 800})
            assert axe_serious_violations(page) == []
    finally:
        context.close()
        server.close()


def test_without_the_clipboard_api_the_token_is_selected_and_copied_the_old_way(studio_ws, browser):
    server = Served(create_app(studio_ws, {"STUDIO_INDEX_MAX_AGE": 0}))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    try:
        page = context.new_page()
        sign_in(page, server.url, "sched")
        page.goto(f"{server.url}/radio")
        page.fill("#station-name", "abdi")
        page.click("form.row button[type=submit]")
        page.wait_for_selector("#new-token")
        page.click("button.copy[data-copy=new-token]")
        page.wait_for_function("document.querySelector('.copy-note').textContent.length > 0")
        assert page.evaluate("window.getSelection().toString().trim()") == page.inner_text("#new-token").strip()
        assert page.inner_text(".copy-note") in ("Tersalin.", WORDS_BY_HAND)
    finally:
        context.close()
        server.close()


WORDS_BY_HAND = ("Peramban tidak mengizinkan menyalin otomatis: teksnya sudah dipilih, tekan Ctrl+C (atau tahan lalu "
                 "pilih Salin).")


def _with_window(episode):
    episode.air_from, episode.air_until = "2026-12-01T06:00:00+08:00", "2026-12-05T23:59:59+08:00"
    return episode
