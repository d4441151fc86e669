"""The A/B switch of the episode page in a real browser (Debian's Chromium via Playwright; issue 24, item 4):
the producer switches between the original recording and the processed podcast rendition at the same moment,
playing or paused as before, the original heard through a gain that brings it to the rendition's measured
loudness. axe-core in both languages; screenshots in Bahasa Indonesia at 360 px and 1280 px (docs/web/
sound-ab-*.png, sound-report-1280.png with STUDIO_SCREENSHOTS=1)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import axe_serious_violations, screenshot_dir
from soundutil import copy_of, expected_gain_db, write_figures
from webutil import served, sign_in

from studio.fsutil import read_json
from studio.web import create_app

pytestmark = pytest.mark.browser

AUDIO = "document.getElementById('episode-audio')"


pytest_plugins = ["soundutil"]  # the `sound_episode` fixture


def signed_in_tab(browser, base: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    tab = context.new_page()
    sign_in(tab, base, "prod")
    return context, tab


def watch_errors(tab) -> list[str]:
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def switch_by_keyboard(tab, which: str) -> dict:
    """Press the switch's `which` button with the keyboard; return the player's position at the press and at
    the new source's first seek (recorded by the page's own events, not by a clock), once it has seeked."""
    tab.evaluate("""(which) => {
        const audio = document.getElementById('episode-audio');
        const button = document.querySelector(`[data-ab=${which}]`);
        window.abProbe = {};
        // capture phase: before the switch's own handler, in the same task as the press
        button.addEventListener('click', () => { window.abProbe.atPress = audio.currentTime;
                                                 window.abProbe.playingAtPress = !audio.paused; },
                                { capture: true, once: true });
        audio.addEventListener('seeked', () => { window.abProbe.atSeek = audio.currentTime; }, { once: true });
    }""", which)
    tab.focus(f"[data-ab={which}]")
    tab.keyboard.press("Enter")
    tab.wait_for_function("() => window.abProbe.atSeek !== undefined", timeout=20_000)
    return tab.evaluate("() => window.abProbe")


def test_switching_keeps_the_moment_the_playing_state_and_matches_the_loudness(sound_episode, browser, tmp_path):
    web, episode = copy_of(sound_episode, tmp_path)
    write_figures(web.workspace, episode.id)
    gain_db = expected_gain_db(web.workspace, episode)
    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with served(web.app) as base:
        context, tab = signed_in_tab(browser, base)
        errors = watch_errors(tab)
        try:
            tab.goto(f"{base}/episodes/{episode.id}/")
            tab.wait_for_selector("#sound-ab:not([hidden])")
            assert tab.is_hidden("#sound-ab-link")  # the no-JavaScript link gives way to the switch
            assert tab.get_attribute("[data-ab=processed]", "aria-pressed") == "true"
            assert tab.get_attribute("[data-ab=original]", "aria-pressed") == "false"
            assert tab.inner_text("[data-ab=original]") == "Asli" and tab.inner_text("[data-ab=processed]") == "Diproses"

            # Paused at 7.3 s: the original comes in at 7.3 s, still paused, louder by the measured difference.
            tab.click("h1")  # a user's gesture: the page may play sound from now on
            tab.evaluate(f"() => new Promise(done => {{ const a = {AUDIO};"
                         " a.addEventListener('seeked', done, { once: true }); a.currentTime = 7.3; })")
            probe = switch_by_keyboard(tab, "original")
            assert probe["atPress"] == pytest.approx(7.3, abs=0.01) and not probe["playingAtPress"]
            assert probe["atSeek"] == pytest.approx(probe["atPress"], abs=0.25)
            state = tab.evaluate(f"() => ({{ src: {AUDIO}.currentSrc, paused: {AUDIO}.paused,"
                                 " applied: Number(document.getElementById('sound-ab').dataset.appliedGain),"
                                 " source: document.getElementById('sound-ab').dataset.source })")
            assert state["src"].endswith(f"/episodes/{episode.id}/original") and state["paused"]
            assert state["source"] == "original"
            assert 20 * math.log10(state["applied"]) == pytest.approx(gain_db, abs=0.02)
            assert tab.get_attribute("[data-ab=original]", "aria-pressed") == "true"
            assert tab.get_attribute("[data-ab=processed]", "aria-pressed") == "false"
            assert tab.inner_text("#sound-ab-now") == "Sekarang: suara asli"
            peak = read_json(web.workspace.files(episode.id).analysis)["loudness"]["true_peak"] + gain_db
            limited = tab.evaluate("() => document.getElementById('sound-ab').dataset.limited")
            ceiling = web.workspace.show("kpu").loudness.true_peak_dbtp
            assert limited == ("true" if peak > ceiling else "false")  # limited only where the gain would clip

            # Playing the original: switching back keeps playing, from where it was, at the rendition's own level.
            tab.evaluate(f"() => {AUDIO}.play()")
            tab.wait_for_function(f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 7.6", timeout=20_000)
            probe = switch_by_keyboard(tab, "processed")
            assert probe["playingAtPress"]
            assert probe["atSeek"] == pytest.approx(probe["atPress"], abs=0.25)
            tab.wait_for_function(f"(from) => !{AUDIO}.paused && {AUDIO}.currentTime > from + 0.2",
                                  arg=probe["atSeek"], timeout=20_000)  # it plays on
            assert tab.evaluate(f"() => {AUDIO}.currentSrc").endswith(f"/episodes/{episode.id}/audio.mp3")
            assert tab.evaluate("() => Number(document.getElementById('sound-ab').dataset.appliedGain)") == 1.0
            tab.evaluate(f"() => {AUDIO}.pause()")

            # The report's new figures are on the page; the page breaks no CSP rule; axe finds nothing serious.
            report = tab.inner_text("#loudness")
            assert "Dengung listrik" in report and "50 Hz, 4 harmonik, -38.5 dBFS" in report
            assert not [e for e in errors if "Content Security Policy" in e or e.startswith(("4", "5"))], errors
            assert axe_serious_violations(tab) == []

            for width in (1280, 360):
                tab.set_viewport_size({"width": width, "height": 900})
                tab.locator("section.episode-player").screenshot(path=str(shots / f"sound-ab-{width}.png"))
                wide = tab.evaluate("() => document.documentElement.scrollWidth")
                assert wide <= width, f"the episode page is {wide} px wide at {width} px (it scrolls sideways)"
            assert axe_serious_violations(tab) == []  # the phone's layout too
            tab.set_viewport_size({"width": 1280, "height": 900})
            tab.locator("#loudness").screenshot(path=str(shots / "sound-report-1280.png"))
        finally:
            context.close()

    # The same page in English, for a show whose ceiling is below the raised original's peak: the original
    # goes through the limiter, still at the matched gain.
    show = web.workspace.show("kpu")
    web.workspace.save_show(dataclasses.replace(show, loudness=dataclasses.replace(show.loudness,
                                                                                    true_peak_dbtp=peak - 2.0)))
    english = create_app(web.workspace, {"TESTING": True, "STUDIO_INDEX_MAX_AGE": 0, "lang": "en"})
    with served(english) as base:
        context, tab = signed_in_tab(browser, base)
        errors = watch_errors(tab)
        try:
            tab.goto(f"{base}/episodes/{episode.id}/")
            tab.wait_for_selector("#sound-ab:not([hidden])")
            assert tab.inner_text("[data-ab=original]") == "Original"
            assert tab.inner_text("[data-ab=processed]") == "Processed"
            assert "Compare the sound" in tab.inner_text("#sound-ab")
            assert "Mains hum" in tab.inner_text("#loudness")
            tab.click("h1")
            switch_by_keyboard(tab, "original")
            box = tab.evaluate("() => ({ ...document.getElementById('sound-ab').dataset })")
            assert box["limited"] == "true" and 20 * math.log10(float(box["appliedGain"])) == pytest.approx(
                gain_db, abs=0.02)
            assert tab.inner_text("#sound-ab-now") == "Now playing: the original recording"
            assert not errors, errors  # (before axe, which injects a script and styles of its own)
            assert axe_serious_violations(tab) == []
        finally:
            context.close()


def test_without_sound_figures_there_is_no_switch(sound_episode, browser, tmp_path):
    web, episode = copy_of(sound_episode, tmp_path)
    with served(web.app) as base:
        context, tab = signed_in_tab(browser, base)
        try:
            tab.goto(f"{base}/episodes/{episode.id}/")
            tab.wait_for_selector("#episode-audio")
            assert tab.locator("#sound-ab").count() == 0 and tab.locator("#sound-figures").count() == 0
            assert tab.evaluate(f"() => {AUDIO}.currentSrc").endswith("/audio.mp3")
        finally:
            context.close()


def test_an_original_the_browser_cannot_play_leaves_the_podcast_version_playing_and_says_so(
        sound_episode, browser, tmp_path):
    web, episode = copy_of(sound_episode, tmp_path)
    write_figures(web.workspace, episode.id)
    original = web.workspace.files(episode.id).original(episode.original)
    original.write_bytes(b"RIFF\x00\x00\x00\x00not a wave file at all" * 64)  # what the browser cannot decode
    with served(web.app) as base:
        context, tab = signed_in_tab(browser, base)
        try:
            tab.goto(f"{base}/episodes/{episode.id}/")
            tab.wait_for_selector("#sound-ab:not([hidden])")
            tab.click("h1")
            tab.evaluate(f"() => new Promise(done => {{ const a = {AUDIO};"
                         " a.addEventListener('seeked', done, { once: true }); a.currentTime = 5.0; })")
            switch_by_keyboard(tab, "original")  # the first seek is the podcast version's, back where it was
            tab.wait_for_function("() => document.getElementById('sound-ab').dataset.source === 'processed'",
                                  timeout=20_000)
            tab.wait_for_function(f"() => {AUDIO}.currentSrc.endsWith('/audio.mp3') && {AUDIO}.readyState >= 1",
                                  timeout=20_000)
            assert tab.evaluate(f"() => {AUDIO}.currentTime") == pytest.approx(5.0, abs=0.25)
            assert tab.is_disabled("[data-ab=original]")
            assert tab.get_attribute("[data-ab=processed]", "aria-pressed") == "true"
            assert tab.is_visible(".sound-ab-failed")
            assert "tidak dapat memutar format rekaman asli" in tab.inner_text("#sound-ab")
            assert "tidak dapat memutar" in tab.text_content("#sound-ab-now")  # said to a screen reader too
            assert axe_serious_violations(tab) == []
        finally:
            context.close()
