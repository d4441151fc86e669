"""Speakers in a real browser (Playwright on Debian's Chromium): the episode page's panel driven in both
languages (hear a sample, name, merge, move a line), axe clean, screenshots at 360 and 1280 px; the VTT's voice
tags read by the browser's own <track> (TextTrackCue.getCueAsHTML()); the listener site's transcript naming
who speaks and its search results saying who said it."""

from __future__ import annotations

import shutil

import pytest
from conftest import add_fake_episode, axe_serious_violations, screenshot_dir
from speakerutil import speakers_workspace
from webutil import make_web, served, sign_in

from studio import publish
from studio.publish.serve import make_app
from studio.workspace.tree import Workspace

pytestmark = pytest.mark.browser
AUDIO = "document.getElementById('episode-audio')"


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Workspace:
    return speakers_workspace(tmp_path_factory.mktemp("speakers-browser"))


def signed_in_tab(browser, base: str, locale: str = "id-ID"):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    tab = context.new_page()
    sign_in(tab, base, "prod")
    return context, tab


def watch_errors(tab) -> list[str]:
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def csp(errors: list[str]) -> list[str]:
    """What the page did against its Content Security Policy."""
    return [e for e in errors if "Content Security Policy" in e]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_naming_merging_and_moving_in_the_browser(processed, browser, tmp_path, lang):
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang=lang)
    (episode,) = web.workspace.episodes()
    folder = web.workspace.episode_dir(episode.id)
    words = {"id": {"play": "Dengarkan Pembicara 2", "save": "Simpan nama", "merge": "Gabungkan", "move": "Pindahkan",
                    "saved": "Pembicara disimpan", "line": "Baris 6: Pembicara 1. Pindahkan ke pembicara lain"},
             "en": {"play": "Listen to Pembicara 2", "save": "Save the name", "merge": "Merge", "move": "Move",
                    "saved": "Speakers saved", "line": "Line 6: Pembicara 1. Move it to another speaker"}}[lang]
    shots = screenshot_dir(tmp_path)
    with served(web.app) as base:
        context, tab = signed_in_tab(browser, base, "id-ID" if lang == "id" else "en-GB")
        errors = watch_errors(tab)
        try:
            tab.goto(f"{base}/episodes/{episode.id}/")
            tab.wait_for_selector("#speakers .speaker")
            assert tab.locator("#speakers .speaker").count() == 3
            assert not csp(errors), errors
            assert axe_serious_violations(tab) == []
            errors.clear()  # (axe injects a script and styles of its own)

            # a sample of the second voice: the player seeks into its longest turn and stops at its end
            button = tab.locator("#speaker-1 .speaker-play")
            start, until = float(button.get_attribute("data-seek")), float(button.get_attribute("data-until"))
            assert 0 < until - start <= 6.0 and start >= 5.0  # a few seconds of a turn of the guest's
            button.click()
            tab.wait_for_function(f"([a, b]) => !{AUDIO}.paused && {AUDIO}.currentTime >= a && {AUDIO}.currentTime < b",
                                  arg=[start, until], timeout=20_000)
            tab.wait_for_function(f"(b) => {AUDIO}.paused && {AUDIO}.currentTime >= b", arg=until, timeout=30_000)

            # name it: the panel comes back, and the lines say the new name at once
            tab.fill("#speaker-name-1", "Ibu Ketua KPU")
            tab.locator("#speaker-1 .speaker-name button").click()
            tab.wait_for_selector("#speakers [role=status]")
            assert words["saved"] in tab.inner_text("#speakers")
            assert tab.locator("#cues .cue-speaker", has_text="Ibu Ketua KPU").count() >= 2
            assert "Ibu Ketua KPU: Terima kasih" in (folder / "transcript.srt").read_text(encoding="utf-8")
            assert not csp(errors), errors

            # merge the caller into the host (the machine split one voice in two, say)
            tab.select_option("#speaker-merge-2", "0")
            tab.locator("#speaker-2 .speaker-merge button").click()
            tab.wait_for_function("() => document.querySelectorAll('#speakers .speaker').length === 2")
            assert "Pembicara 3" in tab.inner_text("#speaker-0")

            # move the last line to the KPU chair
            tab.click(f"[aria-label='{words['line']}']")
            tab.wait_for_selector("#cue-speaker-5")
            tab.select_option("#cue-speaker-5", "1")
            tab.click(f"#cue-5 button:has-text('{words['move']}')")
            tab.wait_for_function("() => (document.querySelector('#cue-5 .cue-speaker') || {}).textContent === "
                                  "'Ibu Ketua KPU'")
            srt = (folder / "transcript.srt").read_text(encoding="utf-8")
            assert srt.rstrip().splitlines()[-1].startswith("Ibu Ketua KPU: ")
            # a correction made after the renames is not refused: the page holds the VTT's new version
            tab.click("#cue-0 .cue-edit")
            tab.fill("#cue-text-0", "Selamat pagi pendengar di Jayapura.")
            tab.click("#cue-0 button[type=submit]")
            tab.wait_for_selector("#cue-0 .saved")
            assert "Pembicara 1: Selamat pagi pendengar di Jayapura." in (folder / "transcript.srt").read_text(
                encoding="utf-8")
            assert not csp(errors), errors
            assert axe_serious_violations(tab) == []
            if lang == "id":  # (last: Playwright's screenshot sets styles the page's CSP refuses)
                tab.locator("#speakers").screenshot(path=str(shots / "speakers-1280.png"))
                tab.set_viewport_size({"width": 360, "height": 800})
                tab.locator("#speakers").screenshot(path=str(shots / "speakers-360.png"))
                assert axe_serious_violations(tab) == []
        finally:
            context.close()


def test_the_browsers_track_reads_the_voice_tags(processed, browser, tmp_path):
    """The VTT as Studio writes it, in a <video>'s <track>: each cue's HTML carries its <v> span."""
    shutil.copytree(processed.root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    (episode,) = ws.episodes()
    vtt = (ws.episode_dir(episode.id) / "transcript.vtt").read_bytes()
    page_html = ('<!doctype html><html lang="id"><title>t</title><video id="v" controls>'
                 '<track id="tr" kind="captions" src="/t.vtt" srclang="id" label="Transkrip" default></video>')
    context = browser.new_context()
    tab = context.new_page()
    try:
        tab.route("http://studio.test/", lambda route: route.fulfill(body=page_html, content_type="text/html"))
        tab.route("http://studio.test/t.vtt", lambda route: route.fulfill(body=vtt, content_type="text/vtt"))
        tab.goto("http://studio.test/")
        tab.evaluate("() => { document.getElementById('tr').track.mode = 'hidden'; }")
        tab.wait_for_function("() => { const t = document.getElementById('tr'); "
                              "return t.readyState === 2 && t.track.cues && t.track.cues.length > 0; }",
                              timeout=20_000)
        cues = tab.evaluate("""() => Array.from(document.getElementById('tr').track.cues, (cue) => {
            const html = cue.getCueAsHTML();
            const voice = html.querySelector('span[title]');
            return { text: cue.text, voice: voice ? voice.title : null, plain: html.textContent };
        })""")
    finally:
        context.close()
    assert cues and all(c["text"].startswith("<v Pembicara ") for c in cues)
    assert [c["voice"] for c in cues][:2] == ["Pembicara 1", "Pembicara 2"]
    assert {c["voice"] for c in cues} == {"Pembicara 1", "Pembicara 2", "Pembicara 3"}
    assert cues[0]["plain"].startswith("Selamat pagi")


def test_the_listener_site_names_who_speaks_and_search_says_who_said_it(browser, workspace, tmp_path, audio_mp3):
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Pak Yan>Selamat pagi pendengar setia.\n\n"
           "00:00:04.500 --> 00:00:08.000\n<v Pak Yan>Hari ini kita bersama KPU.\n\n"
           "00:00:11.000 --> 00:00:15.000\n<v Ibu Ketua KPU>Pemilih pindahan mengurus formulir di kantor PPS.\n\n"
           "00:00:15.500 --> 00:00:19.000\n<v Pak Yan>Terima kasih, Ibu.\n")
    add_fake_episode(workspace, "kpu", "2024-03-01-pindah-memilih", title="Pindah memilih", audio=audio_mp3,
                     duration=60.0, files={"transcript.vtt": vtt.encode()})
    publish.publish(workspace, base_url="https://podcast.example.go.id")
    root = workspace.root / "public"
    page = (root / "kpu" / "2024-03-01-pindah-memilih" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="who"') == 3  # at each change, not at each paragraph
    assert '<b class="who" id="w1">Pak Yan:</b>' in page and "Ibu Ketua KPU:</b>" in page
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        with served(make_app(root)) as base:
            tab.goto(f"{base}/search/?q=formulir")
            result = tab.locator("#results li").first
            result.wait_for(timeout=20_000)
            assert result.locator("b.who").inner_text().strip() == "Ibu Ketua KPU:"
            tab.goto(f"{base}/search/?q=pendengar")
            tab.locator("#results li").first.wait_for(timeout=20_000)
            assert tab.locator("#results li b.who").first.inner_text().strip() == "Pak Yan:"
    finally:
        context.close()


@pytest.fixture(scope="module")
def audio_mp3(tmp_path_factory, ffmpeg_exe) -> bytes:
    import subprocess

    out = tmp_path_factory.mktemp("audio") / "tone.mp3"
    subprocess.run([ffmpeg_exe, "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=60",
                    "-ac", "1", "-b:a", "48k", str(out)], check=True)
    return out.read_bytes()
