"""Issue 28, item 1 in a real browser (Chromium via Playwright), in Bahasa Indonesia and in English: a corrupt
upload is refused in the page's words (no errno, no server path), and a transcript line saved over someone
else's save, or with its times out of order, says so in the page's language."""

from __future__ import annotations

import random

import pytest
from conftest import add_fake_episode, axe_serious_violations
from webutil import Served, make_web, sign_in

from studio.jobs import start_local_workers
from studio.review import edits
from studio.web import create_app
from studio.web.strings import translate
from studio.workspace.transcript import vtt_sha256

pytestmark = pytest.mark.browser

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
Selamat pagi pemilih pemula.

00:00:05.000 --> 00:00:08.000
Cek nama Anda di DPT.

00:00:09.000 --> 00:00:12.000
Datang ke TPS membawa KTP.
"""


def tab_for(browser, base: str, lang: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID" if lang == "id" else "en-US")
    tab = context.new_page()
    sign_in(tab, base, "prod")
    return context, tab


@pytest.mark.workers
@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_corrupt_upload_is_refused_in_the_pages_words(workspace, browser, tmp_path, lang):
    make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    workers = start_local_workers(workspace, count=1)  # the upload's checks are an ingest job's
    source = tmp_path / "Rekaman rapat.mp3"
    source.write_bytes(random.Random(28).randbytes(60_000))  # no frame of any format: errno and path below
    context, tab = tab_for(browser, server.url, lang)
    try:
        tab.goto(f"{server.url}/upload")
        tab.fill("#title", "Rekaman rapat")
        tab.set_input_files("#file", str(source))
        tab.click("#upload-button")
        tab.wait_for_selector("#upload-status[role=alert]", timeout=60_000)
        said = tab.inner_text("#upload-status")
        assert said == f"{translate(lang, 'upload.failed')}: {translate(lang, 'recording.unreadable')}", said
        assert "Errno" not in said and ".studio" not in said
        assert axe_serious_violations(tab) == []
    finally:
        context.close()
        workers.stop()
        server.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_line_saved_over_another_save_or_out_of_order_says_so(workspace, browser, lang):
    make_web(workspace)
    episode = add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT", duration=20.0,
                               files={"transcript.vtt": VTT.encode()})
    folder = workspace.episode_dir(episode.id)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context, tab = tab_for(browser, server.url, lang)
    try:
        tab.goto(f"{server.url}/episodes/{episode.id}/")
        tab.click("#cue-1 .cue-edit")
        tab.wait_for_selector("#cue-text-1")
        # another producer saves this same line meanwhile (a save of another line would be merged)
        theirs = "Datang ke TPS membawa KTP elektronik."
        edits.save_cue_edits(folder, {1: edits.CueEdit(theirs)}, vtt_sha256(folder))
        tab.fill("#cue-text-1", "Cek nama Anda di daftar pemilih tetap.")
        tab.click("#cue-1 button[type=submit]")
        alert = tab.wait_for_selector("#cue-error-1")
        assert alert.inner_text() == translate(lang, "review.line_conflict").format(n=2, text=theirs)
        assert "cue" not in alert.inner_text().lower()

        tab.goto(f"{server.url}/episodes/{episode.id}/")  # reloaded, as the message says
        tab.click("#cue-2 .cue-edit")
        tab.wait_for_selector("#cue-text-2")
        tab.fill("#cue-2 input[name=start]", "11")
        tab.fill("#cue-2 input[name=end]", "10")
        tab.click("#cue-2 button[type=submit]")
        alert = tab.wait_for_selector("#cue-error-2")
        assert alert.inner_text() == translate(lang, "line.order").format(n=3)
        assert axe_serious_violations(tab) == []
    finally:
        context.close()
        server.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_station_name_field_says_what_it_takes(workspace, browser, lang):
    make_web(workspace)
    server = Served(create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, "lang": lang}))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        sign_in(tab, server.url, "sched")
        tab.goto(f"{server.url}/radio")
        tab.fill("#station-name", "RRI Banjar")
        tab.click("form.row button[type=submit]")
        message = tab.eval_on_selector("#station-name", "e => e.validationMessage")
        assert message == translate(lang, "station.bad_name")
    finally:
        context.close()
        server.close()
