"""Transcript review that scales to an hour (issue 28 item 7): a correction is checked against its own line, so
producers correcting different lines both succeed and the same line is a conflict that shows the other's text;
chapters seen and edited on the episode page, kept as the producer's; the "reviewed" mark. The library, the
routes (Flask's test client) and two real browsers (Playwright on Debian's Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from conftest import CHROMIUM, axe_serious_violations, need_program, screenshot_dir
from test_web_episode import processed  # noqa: F401 - the module's fixture: a processed 32 s episode
from webutil import PASSWORDS, make_web, served

import studio.publish as publish
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode
from studio.progress import Reporter
from studio.review import chapters as review
from studio.review.edits import CueEdit, LineConflict, TranscriptChanged, cue_version, save_cue_edits
from studio.workspace import transcript
from studio.workspace.tree import Workspace

VERSION_RE = re.compile(r'name="cue_version" value="([0-9a-f]+)"')


@pytest.fixture
def web(processed: Workspace, tmp_path: Path):  # noqa: F811
    shutil.copytree(processed.root, tmp_path / "ws")
    return make_web(Workspace(tmp_path / "ws"))


def episode_of(web):
    (episode,) = web.workspace.episodes()
    return episode


def folder_of(web) -> Path:
    return web.workspace.episode_dir(episode_of(web).id)


def url(web, tail: str = "") -> str:
    return f"/episodes/{episode_of(web).id}/{tail}"


# -- the library -----------------------------------------------------------------------------------


def test_two_corrections_of_different_lines_made_on_the_same_page_are_both_kept(web) -> None:
    folder = folder_of(web)
    shown = transcript.read_cues(folder)  # the page both producers opened
    save_cue_edits(folder, {0: CueEdit("Selamat pagi pemilih pemula di Jayapura.", based_on=cue_version(shown[0]))}, None)
    second = save_cue_edits(folder, {2: CueEdit("Cek nama Anda di DPT.", based_on=cue_version(shown[2]))}, None)
    assert second.changed == [2]
    vtt = (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert "Selamat pagi pemilih pemula di Jayapura." in vtt and "Cek nama Anda di DPT." in vtt  # merged
    assert "Cek nama Anda di DPT." in (folder / "transcript.srt").read_text(encoding="utf-8")

    kept = (folder / "transcript.vtt").read_bytes()
    with pytest.raises(LineConflict) as conflict:  # the first line again, from the page opened before
        save_cue_edits(folder, {0: CueEdit("Selamat siang.", based_on=cue_version(shown[0]))}, None)
    assert conflict.value.index == 0 and conflict.value.theirs == "Selamat pagi pemilih pemula di Jayapura."
    assert (folder / "transcript.vtt").read_bytes() == kept  # nothing written
    with pytest.raises(TranscriptChanged):  # without a line's version the whole file is checked, as before
        save_cue_edits(folder, {4: CueEdit("Petugas KPPS membantu.")}, transcript.vtt_sha256(folder) + "x")


def test_saves_at_the_same_moment_different_lines_all_land_the_same_line_once(web) -> None:
    folder = folder_of(web)
    shown = transcript.read_cues(folder)
    start = threading.Barrier(len(shown))
    outcomes: dict[int, object] = {}

    def save(index: int, text: str) -> None:
        start.wait()
        try:
            outcomes[index] = save_cue_edits(folder, {index: CueEdit(text, based_on=cue_version(shown[index]))}, None)
        except LineConflict as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=save, args=(i, f"Baris {i} dikoreksi.")) for i in range(len(shown))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [c.body for c in transcript.read_cues(folder)] == [f"Baris {i} dikoreksi." for i in range(len(shown))]

    shown = transcript.read_cues(folder)
    both = threading.Barrier(2)
    results: list[object] = []

    def same(text: str) -> None:
        both.wait()
        try:
            results.append(save_cue_edits(folder, {1: CueEdit(text, based_on=cue_version(shown[1]))}, None))
        except LineConflict as exc:
            results.append(exc)

    pair = [threading.Thread(target=same, args=(text,)) for text in ("Versi A.", "Versi B.")]
    for thread in pair:
        thread.start()
    for thread in pair:
        thread.join()
    conflicts = [r for r in results if isinstance(r, LineConflict)]
    assert len(conflicts) == 1 and conflicts[0].theirs in ("Versi A.", "Versi B.")
    assert transcript.read_cues(folder)[1].body == conflicts[0].theirs


# -- the routes ------------------------------------------------------------------------------------


def _editor_version(client, web, index: int) -> str:
    return VERSION_RE.search(client.get(url(web, f"cues/{index}/edit")).get_data(as_text=True)).group(1)


@pytest.mark.parametrize("lang, words", [("id", "Baris 1 sudah diubah orang lain"),
                                         ("en", "Line 1 was changed by someone else")])
def test_a_conflict_names_the_line_and_shows_the_other_producers_text(processed, tmp_path, lang, words) -> None:  # noqa: F811
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang=lang)
    one, two = web.client("prod"), web.client("prod2")
    htmx = {"HX-Request": "true"}
    mine, theirs = _editor_version(one, web, 0), _editor_version(two, web, 0)
    other_line = _editor_version(two, web, 1)
    answer = one.post(url(web, "cues/0"), headers=htmx, data={
        "text": "Selamat pagi, pemilih pemula.", "cue_version": mine, "csrf_token": web.csrf(one)})
    assert answer.status_code == 200 and 'class="saved"' in answer.get_data(as_text=True)
    answer = two.post(url(web, "cues/1"), headers=htmx, data={
        "text": "Hari ini kita bahas DPT.", "cue_version": other_line, "csrf_token": web.csrf(two)})
    assert 'class="saved"' in answer.get_data(as_text=True)  # another line: merged
    answer = two.post(url(web, "cues/0"), headers=htmx, data={
        "text": "Selamat siang semuanya.", "cue_version": theirs, "csrf_token": web.csrf(two)})
    page = answer.get_data(as_text=True)
    assert words in page and "Selamat pagi, pemilih pemula." in page  # what the line reads now
    assert "Selamat siang semuanya.</textarea>" in page  # their own text is still in the box
    vtt = (folder_of(web) / "transcript.vtt").read_text(encoding="utf-8")
    assert "Selamat pagi, pemilih pemula." in vtt and "Hari ini kita bahas DPT." in vtt
    again = VERSION_RE.search(page).group(1)  # saving again now, having seen it, replaces it
    two.post(url(web, "cues/0"), headers=htmx, data={"text": "Selamat siang semuanya.", "cue_version": again,
                                                     "csrf_token": web.csrf(two)})
    assert transcript.read_cues(folder_of(web))[0].body == "Selamat siang semuanya."


def test_a_correction_or_the_button_marks_the_transcript_reviewed(web) -> None:
    client = web.client("producer")
    assert not episode_of(web).transcript_reviewed_at
    page = client.get(url(web)).get_data(as_text=True)
    assert "Transkrip sudah diperiksa" in page and "transkrip otomatis" in page
    answer = client.post(url(web, "transcript/reviewed"), data={"csrf_token": web.csrf(client)})
    assert answer.status_code == 302
    episode = episode_of(web)
    assert episode.transcript_reviewed_by == "prod" and episode.transcript_reviewed_at
    assert "Transkrip diperiksa oleh prod" in client.get(url(web)).get_data(as_text=True)

    other = web.client("prod2")
    other.post(url(web, "cues/2"), data={"text": "Cek nama Anda di DPT.", "cue_version": _editor_version(other, web, 2),
                                         "csrf_token": web.csrf(other)})
    assert episode_of(web).transcript_reviewed_by == "prod2"  # a saved correction is a review too


@pytest.mark.parametrize("lang, words", [("id", "Bab 2: waktu “lima” tidak terbaca"),
                                         ("en", "Chapter 2: the time “lima” cannot be read")])
def test_chapters_are_saved_as_the_producers_and_survive_processing(processed, tmp_path, lang, words) -> None:  # noqa: F811
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang=lang)
    client = web.client("producer")
    shown = review.shown_chapters(web.workspace, episode_of(web))
    assert shown.source == "auto" and len(shown.chapters) == 1
    data = {"start": ["0:00", "lima", ""], "title": ["Pembukaan", "Daftar pemilih", ""], "based_on": shown.version,
            "csrf_token": web.csrf(client)}
    answer = client.post(url(web, "chapters"), headers={"HX-Request": "true"}, data=data)
    assert words in answer.get_data(as_text=True) and "Daftar pemilih" in answer.get_data(as_text=True)
    assert episode_of(web).chapters == []  # nothing saved
    data["start"] = ["0:00", "0:15", ""]
    answer = client.post(url(web, "chapters"), data=data)
    assert answer.status_code == 302
    expected = [{"startTime": 0.0, "title": "Pembukaan"}, {"startTime": 15.0, "title": "Daftar pemilih"}]
    chapters_json = folder_of(web) / "chapters.json"
    assert json.loads(chapters_json.read_text())["chapters"] == expected
    data["title"] = ["Pembukaan", "Judul dari halaman lama"]
    assert client.post(url(web, "chapters"), data=data).status_code == 302  # a stale form: refused
    stale = "Bagian ini sudah diubah" if lang == "id" else "This was changed since you opened the page"
    assert stale in client.get(url(web)).get_data(as_text=True)

    process_episode(web.workspace, find_ffmpeg(), episode_of(web).id, Reporter(quiet=True), ProcessOptions(clips=False))
    assert json.loads(chapters_json.read_text())["chapters"] == expected  # the producer's, kept


# -- two real browsers -------------------------------------------------------------------------------


def _signed_in(browser, base: str, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    return context, page


def _open_editor(page, index: int) -> None:
    page.locator(f"#cue-{index} .cue-edit").click()
    page.wait_for_selector(f"#cue-text-{index}")


def _save(page, index: int, text: str) -> None:
    page.fill(f"#cue-text-{index}", text)
    page.locator(f"#cue-{index} button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.parametrize("lang, words", [("id", "Baris 4 sudah diubah orang lain"),
                                         ("en", "Line 4 was changed by someone else")])
def test_browser_two_producers_edit_different_lines_and_the_same_line(processed, browser, tmp_path, lang, words):  # noqa: F811
    need_program(CHROMIUM, "install Debian's chromium (apt-get install chromium), as .ci/run does")
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang=lang)
    with served(web.app) as base:
        (one_context, one), (two_context, two) = _signed_in(browser, base, "prod"), _signed_in(browser, base, "prod2")
        try:
            for page in (one, two):
                page.goto(base + url(web))
            _open_editor(one, 1)
            _open_editor(two, 4)
            _save(one, 1, "Hari ini kita bahas daftar pemilih tetap (DPT).")
            one.wait_for_selector("#cue-1 .saved")
            _save(two, 4, "Petugas KPPS membantu Anda di bilik suara.")
            two.wait_for_selector("#cue-4 .saved")  # another line: both saved
            vtt = (folder_of(web) / "transcript.vtt").read_text(encoding="utf-8")
            assert "(DPT)." in vtt and "Petugas KPPS membantu Anda" in vtt

            _open_editor(one, 3)
            _open_editor(two, 3)
            _save(one, 3, "Datang ke TPS membawa KTP-el.")
            one.wait_for_selector("#cue-3 .saved")
            _save(two, 3, "Datang ke TPS dengan KTP elektronik.")
            error = two.locator("#cue-3 .error")
            error.wait_for()
            assert words in error.inner_text() and "Datang ke TPS membawa KTP-el." in error.inner_text()
            assert two.input_value("#cue-text-3") == "Datang ke TPS dengan KTP elektronik."
            assert "KTP-el." in (folder_of(web) / "transcript.vtt").read_text(encoding="utf-8")
            assert axe_serious_violations(two) == []
        finally:
            one_context.close()
            two_context.close()


@pytest.mark.browser
def test_browser_chapters_edited_on_the_page_reach_chapters_json_and_the_site(web, page, tmp_path) -> None:
    need_program(CHROMIUM, "install Debian's chromium (apt-get install chromium), as .ci/run does")
    with served(web.app) as base:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        page.fill("input[name=name]", "prod")
        page.fill("input[name=password]", PASSWORDS["prod"])
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/login" not in u)
        page.goto(base + url(web) + "#chapters")
        rows = page.locator("#chapters .chapter-row")
        assert rows.count() == 2  # the automatic chapter and an empty row
        rows.nth(0).locator("input[name=title]").fill("Pembukaan dan sapaan")
        rows.nth(1).locator("input[name=start]").fill("0:16")
        rows.nth(1).locator("input[name=title]").fill("Hari pemungutan suara")
        page.locator("#chapters button[type=submit]").click()
        page.wait_for_selector("#chapters .saved")
        assert page.locator("#chapters .chapter-row").count() == 3  # the two, and a new empty row
        assert axe_serious_violations(page) == []
        shots = screenshot_dir(tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.locator("#chapters").screenshot(path=str(shots / "chapters-1280.png"))
        page.locator("#transcript-review button").click()
        page.wait_for_selector("#transcript-review .saved")

    data = json.loads((folder_of(web) / "chapters.json").read_text())
    assert data["chapters"] == [{"startTime": 0.0, "title": "Pembukaan dan sapaan"},
                                {"startTime": 16.0, "title": "Hari pemungutan suara"}]
    publish.publish(web.workspace, base_url="https://podcast.example.go.id")
    site = (web.workspace.root / "public" / episode_of(web).show / episode_of(web).slug / "index.html").read_text()
    assert "Hari pemungutan suara" in site and "Pembukaan dan sapaan" in site
    assert "Transkrip otomatis" not in site  # reviewed in the browser
