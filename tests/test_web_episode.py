"""The episode page (studio/web/episode): routes with Flask's test client (roles, CSRF, path traversal,
saving a cue as a hand edit of the VTT, no transcription again) and a real browser (Playwright on
Debian's Chromium): play from a cue, edit a cue, axe, screenshots at 360 and 1280 px."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import threading
import time
from pathlib import Path

import audiogen as g
import pytest
from conftest import CHROMIUM, axe_serious_violations, need_program, screenshot_dir
from PIL import Image
from webutil import make_web, served

from studio.jobs import open_queue, start_local_workers
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ProcessOptions, process_episode, record_transcript
from studio.pipeline.ingest import IngestRequest, ingest
from studio.progress import Reporter
from studio.transcribe import Segment, Transcript, Word
from studio.workspace import transcript as captions
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[1]
SENTENCES = ["Selamat pagi pemilih pemula di Kota Jayapura.", "Hari ini kita bahas daftar pemilih tetap.",
             "Cek nama Anda di DPT sebelum hari pemungutan suara.", "Datang ke TPS membawa KTP elektronik.",
             "Petugas KPPS akan membantu Anda di bilik suara.", "Terima kasih sudah mendengarkan."]


def fake_transcript(duration: float) -> Transcript:
    words = []
    for k, sentence in enumerate(SENTENCES):
        for i, word in enumerate(sentence.split()):
            start = 0.6 + k * 5.0 + 0.42 * i
            words.append(Word(round(start, 3), round(start + 0.36, 3), word, 0.9))
    return Transcript("id", duration, [Segment(words[0].start, words[-1].end, " ".join(SENTENCES), words)])


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Workspace:
    """A 32 s episode, rendered, with a transcript recorded in its state as `process` leaves it (so
    `process` skips transcription: the test needs no model). Copy it before changing anything."""
    root = tmp_path_factory.mktemp("web-episode")
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id")
    source = g.encode(g.concat(g.scale_to(g.speech(16.0, seed=7), -22.0), g.scale_to(g.speech(16.0, seed=8), -30.0)),
                      root / "sesi.wav", *g.FORMATS["wav"])
    ffmpeg, quiet = find_ffmpeg(), Reporter(quiet=True)
    episode = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title="Pemilih pemula",
                                               recorded_on="2026-11-20"), quiet).episode
    process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(transcribe=False, clips=False))
    record_transcript(ws, episode.id, fake_transcript(episode.duration))
    process_episode(ws, ffmpeg, episode.id, quiet, ProcessOptions(clips=False))  # the text stage: no model
    return ws


@pytest.fixture
def web(processed: Workspace, tmp_path: Path):
    shutil.copytree(processed.root, tmp_path / "ws")
    return make_web(Workspace(tmp_path / "ws"))


def episode_of(web):
    (episode,) = web.workspace.episodes()
    return episode


def url(web, tail: str = "") -> str:
    return f"/episodes/{episode_of(web).id}/{tail}"


# -- routes ----------------------------------------------------------------------------------------

GET_ROUTES = ["", "audio.mp3", "original", "peaks.json", "loudness.png", "loudness-report.pdf", "loudness-report.png",
              "cues/0", "cues/0/edit", "clips/01-vertical.mp4", "jobs/abc"]
POST_ROUTES = ["metadata", "cues/0", "highlights", "highlights/0/remove"]


HOME = {"scheduler": "/radio", "admin": "/users"}  # a page of theirs, to read a CSRF token from


def test_every_route_is_for_producers_and_every_post_needs_the_csrf_token(web) -> None:
    folder = web.workspace.episode_dir(episode_of(web).id)
    def outputs() -> dict:  # (.studio/ holds caches other pages may fill, such as the radio page's)
        return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".studio" not in p.parts}

    files = outputs()
    visitor = web.anonymous()
    for tail in GET_ROUTES:
        answer = visitor.get(url(web, tail))
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], tail
        for role in ("scheduler", "admin"):
            assert web.client(role).get(url(web, tail)).status_code == 403, (tail, role)
    for tail in POST_ROUTES:
        data = {"title": "x", "text": "x", "start": "1", "end": "20", "formats": "square"}
        answer = visitor.post(url(web, tail), data={**data, "csrf_token": web.csrf(visitor)})
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], tail
        for role in ("scheduler", "admin"):
            client = web.client(role)
            token = web.csrf(client, HOME[role])
            assert client.post(url(web, tail), data={**data, "csrf_token": token}).status_code == 403, (tail, role)
        assert web.client("producer").post(url(web, tail), data=data).status_code == 400, tail  # no token
    assert outputs() == files


def test_path_traversal_in_the_episode_id_and_clip_names_is_not_found(web) -> None:
    client = web.client("producer")
    for bad in ["kpu/../../studio.toml", "kpu/..%2F..%2Fstudio.toml", "../kpu/x", "kpu/.studio", "kpu",
                "kpu/2026-11-20-pemilih-pemula/../2026-11-20-pemilih-pemula", "nope/2026-11-20-pemilih-pemula",
                "kpu/%2e%2e", "kpu\\..\\x"]:
        for tail in ("", "audio.mp3", "original", "peaks.json", "loudness.png"):
            assert client.get(f"/episodes/{bad}/{tail}", follow_redirects=True).status_code == 404, (bad, tail)
    for name in ["..%2F..%2Fepisode.toml", "01-vertical.mp4%00", "x.mp4", "01-vertical.MP4", "..%2Fpodcast.mp3",
                 "%2e%2e"]:
        assert client.get(url(web, f"clips/{name}"), follow_redirects=True).status_code == 404, name
    assert client.get(url(web, "cues/999/edit")).status_code == 404


def test_page_shows_player_cues_report_and_forms(web) -> None:
    client = web.client("producer")
    answer = client.get(url(web))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Pemilih pemula" in html and 'id="episode-audio"' in html and 'id="waveform"' in html
    assert html.count('class="cue"') == len(captions.read_cues(web.workspace.episode_dir(episode_of(web).id)))
    assert "Selamat pagi pemilih pemula" in html
    assert "Laporan kenyaringan" in html and "loudness-report.pdf" in html and "-16.0 LUFS" in html
    assert html.count('name="csrf_token"') >= 3  # metadata, highlight, and every cue editor comes with its own
    assert "<script>" not in html and " on" + "click=" not in html  # no inline script
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "style-src 'self' 'nonce-" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'data-nonce="{nonce}"' in html


def test_the_cue_editor_works_without_javascript(web) -> None:
    client = web.client("producer")
    folder = web.workspace.episode_dir(episode_of(web).id)
    html = client.get(url(web, "cues/2/edit")).get_data(as_text=True)
    assert "<!doctype html>" in html.lower() and 'name="based_on"' in html and "<textarea" in html
    based_on = html.split('name="based_on" value="')[1].split('"')[0]
    answer = client.post(url(web, "cues/2"), data={"text": "Cek nama Anda di DPT.", "based_on": based_on,
                                                   "csrf_token": web.csrf(client, "/episodes")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#cue-2")
    assert "Cek nama Anda di DPT." in (folder / "transcript.srt").read_text(encoding="utf-8")


def test_english_page(processed: Workspace, tmp_path: Path) -> None:
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang="en")
    html = web.client("producer").get(url(web)).get_data(as_text=True)
    assert "Loudness report" in html and "Transcript" in html and "Laporan kenyaringan" not in html


def test_audio_is_served_with_byte_ranges(web) -> None:
    client = web.client("producer")
    podcast = (web.workspace.episode_dir(episode_of(web).id) / "podcast.mp3").read_bytes()
    whole = client.get(url(web, "audio.mp3"))
    assert whole.status_code == 200 and whole.data == podcast and whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(url(web, "audio.mp3"), headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.data == podcast[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(podcast)}"


def test_peaks_and_loudness_downloads(web) -> None:
    client = web.client("producer")
    peaks = client.get(url(web, "peaks.json")).get_json()
    assert peaks["bits"] == 8 and peaks["duration"] == pytest.approx(32.0, abs=0.3)
    plot = client.get(url(web, "loudness.png"))
    assert plot.mimetype == "image/png" and Image.open(io.BytesIO(plot.data)).size == (1600, 720)
    pdf = client.get(url(web, "loudness-report.pdf"))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert 'filename="2026-11-20-pemilih-pemula-laporan-kenyaringan.pdf"' in pdf.headers["Content-Disposition"]
    png = client.get(url(web, "loudness-report.png"))
    assert Image.open(io.BytesIO(png.data)).height > 720


def test_saving_a_cue_writes_the_producers_vtt_srt_and_json_without_transcribing_again(web) -> None:
    client = web.client("producer")
    episode = episode_of(web)
    folder = web.workspace.episode_dir(episode.id)
    raw_before = (folder / ".studio" / "transcript.raw.json").read_bytes()
    page = client.get(url(web)).get_data(as_text=True)
    based_on = page.split('id="transcript-sha" name="based_on" value="')[1].split('"')[0]
    cues = captions.read_cues(folder)

    editor = client.get(url(web, "cues/1/edit"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<textarea" in editor and cues[1].text in editor
    answer = client.post(url(web, "cues/1"), headers={"HX-Request": "true"},
                         data={"text": "Hari ini kita bahas DPT dan DPTb.", "start": f"{cues[1].start}",
                               "end": f"{cues[1].end}", "based_on": based_on, "csrf_token": web.csrf(client, "/episodes")})
    fragment = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Hari ini kita bahas DPT dan DPTb." in fragment
    assert 'hx-swap-oob="true"' in fragment  # the page's based_on follows the new VTT

    assert "Hari ini kita bahas DPT dan DPTb." in (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert "Hari ini kita bahas DPT dan DPTb." in (folder / "transcript.srt").read_text(encoding="utf-8")
    segments = json.loads((folder / "transcript.json").read_text(encoding="utf-8"))["segments"]
    assert segments[1]["body"] == "Hari ini kita bahas DPT dan DPTb."
    assert captions.transcript_edited(folder)
    entries = [json.loads(line) for line in (web.workspace.root / ".studio" / "audit.log").read_text().splitlines()]
    assert {"user": "prod", "action": "transcript.edit", "target": episode.id}.items() <= entries[-1].items()

    # `process` keeps the correction and does not transcribe again (the transcript stage is skipped).
    report = process_episode(web.workspace, find_ffmpeg(), episode.id, Reporter(quiet=True), ProcessOptions(clips=False))
    assert "transcript" in report.skipped and "transcript" not in report.done
    assert (folder / ".studio" / "transcript.raw.json").read_bytes() == raw_before
    assert "Hari ini kita bahas DPT dan DPTb." in (folder / "transcript.srt").read_text(encoding="utf-8")

    # A second save made on the page as it was first opened is refused: it would undo this one.
    stale = client.post(url(web, "cues/2"), headers={"HX-Request": "true"},
                        data={"text": "Lama.", "based_on": based_on, "csrf_token": web.csrf(client, "/episodes")})
    assert "muat ulang" in stale.get_data(as_text=True) and "Lama." not in (folder / "transcript.vtt").read_text()


def test_an_empty_cue_is_refused_with_the_reason_and_nothing_written(web) -> None:
    client = web.client("producer")
    folder = web.workspace.episode_dir(episode_of(web).id)
    vtt = (folder / "transcript.vtt").read_bytes()
    answer = client.post(url(web, "cues/0"), headers={"HX-Request": "true"},
                         data={"text": "   ", "based_on": captions.__name__ and "",
                               "csrf_token": web.csrf(client, "/episodes")})
    assert answer.status_code == 200 and 'role="alert"' in answer.get_data(as_text=True)
    sha = captions.vtt_sha256(folder)
    answer = client.post(url(web, "cues/0"), headers={"HX-Request": "true"},
                         data={"text": "   ", "based_on": sha, "csrf_token": web.csrf(client, "/episodes")})
    assert "Baris 1 kosong" in answer.get_data(as_text=True)
    without_js = client.post(url(web, "cues/0"), data={"text": "", "based_on": sha, "csrf_token": web.csrf(client, "/episodes")})
    assert without_js.status_code == 302 and without_js.headers["Location"].endswith("#cue-0")
    assert (folder / "transcript.vtt").read_bytes() == vtt


def metadata_based_on(client, web) -> str:
    """The `based_on` of the metadata form on the episode page as it is now."""
    page = client.get(url(web)).get_data(as_text=True)
    return based_on_in(page.split('id="metadata-form"')[1])


def based_on_in(html: str) -> str:
    """The value of the first `based_on` field in `html` ("" when there is none)."""
    found = re.search(r'name="based_on" value="([^"]*)"', html)
    return found.group(1) if found else ""


def test_metadata_form_saves_the_episode_and_shows_bad_input(web) -> None:
    client = web.client("producer")
    episode = episode_of(web)
    answer = client.post(url(web, "metadata"), data={
        "title": "Pemilih pemula (revisi)", "description": "Baris satu\nBaris dua", "source": "Studio 2",
        "air_from": "2026-12-01T06:00+09:00", "air_until": "2026-12-31T23:00+09:00",
        "based_on": metadata_based_on(client, web), "csrf_token": web.csrf(client, "/episodes")})
    assert answer.status_code == 302
    saved = web.workspace.episode(episode.id)
    assert saved.title == "Pemilih pemula (revisi)" and saved.air_from == "2026-12-01T06:00:00+09:00"
    bad = client.post(url(web, "metadata"), headers={"HX-Request": "true"}, data={
        "title": "x", "air_from": "2026-12-02", "air_until": "2026-12-01", "based_on": metadata_based_on(client, web),
        "csrf_token": web.csrf(client, "/episodes")})
    assert "Akhir siar harus sesudah mulai siar" in bad.get_data(as_text=True)
    assert web.workspace.episode(episode.id).title == "Pemilih pemula (revisi)"


def test_a_highlight_outside_15_to_90_seconds_is_refused(web) -> None:
    client = web.client("producer")
    for start, end, reason in (("0", "10", "paling singkat 15"), ("5", "200", "melewati akhir episode"), ("", "20", "Pilih rentang sorotan")):
        answer = client.post(url(web, "highlights"), headers={"HX-Request": "true"}, data={
            "start": start, "end": end, "title": "Sorotan", "formats": ["square"],
            "csrf_token": web.csrf(client, "/episodes")})
        text = answer.get_data(as_text=True)
        assert reason in text and 'role="alert"' in text, text
    assert open_queue(web.workspace).jobs() == []


@pytest.mark.workers
@pytest.mark.slow
def test_a_dragged_highlight_becomes_a_clip_job_and_its_clip_appears_when_done(web) -> None:
    """The form the waveform range fills enqueues a "clip" job; a local worker renders it; the polled
    job fragment then brings the clip's <video> into the page."""
    client = web.client("producer")
    episode = episode_of(web)
    answer = client.post(url(web, "highlights"), headers={"HX-Request": "true"}, data={
        "start": "2.5", "end": "18.5", "title": "Cek DPT", "formats": ["square"],
        "csrf_token": web.csrf(client, "/episodes")})
    fragment = answer.get_data(as_text=True)
    (job,) = open_queue(web.workspace).jobs()
    assert (job.stage, job.episode, job.params) == ("clip", episode.id, {"start": 2.5, "end": 18.5,
                                                                         "title": "Cek DPT", "formats": ["square"]})
    assert f'hx-get="{url(web, "jobs/" + job.id)}"' in fragment and 'hx-trigger="every 2s"' in fragment
    workers = start_local_workers(web.workspace, count=1)
    try:
        deadline = time.monotonic() + 240
        while open_queue(web.workspace).get(job.id).state in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        workers.stop()
    polled = client.get(url(web, "jobs/" + job.id), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert open_queue(web.workspace).get(job.id).state == "done", polled
    assert "every 2s" not in polled and 'id="clips" hx-swap-oob="true"' in polled
    assert "01-square.mp4" in polled and "<video" in polled
    video = client.get(url(web, "clips/01-square.mp4"), headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and video.data[4:8] == b"ftyp"


def test_removing_a_highlight(web) -> None:
    client = web.client("producer")
    episode = episode_of(web)
    episode.highlights = [{"start": 1.0, "end": 17.0, "title": "Salam"}, {"start": 12.0, "end": 30.0, "title": "DPT"}]
    web.workspace.save_episode(episode)
    html = client.get(url(web)).get_data(as_text=True)
    assert "Salam" in html and "DPT" in html
    based_on = based_on_in(html.split('id="clips"')[1])
    answer = client.post(url(web, "highlights/0/remove"), data={"based_on": based_on,
                                                                  "csrf_token": web.csrf(client, "/episodes")})
    assert answer.status_code == 302
    saved = web.workspace.episode(episode.id)
    assert saved.highlights == [{"start": 12.0, "end": 30.0, "title": "DPT"}] and saved.highlights_from == "producer"
    # The same button again, from the page as it was: "highlight 0" is another one now; refused.
    stale = client.post(url(web, "highlights/0/remove"), headers={"HX-Request": "true"},
                        data={"based_on": based_on, "csrf_token": web.csrf(client, "/episodes")})
    assert "muat ulang" in stale.get_data(as_text=True)
    assert web.workspace.episode(episode.id).highlights == [{"start": 12.0, "end": 30.0, "title": "DPT"}]


# -- a real browser ------------------------------------------------------------------------------


@pytest.fixture
def server(web):
    """The app on a real server (Waitress) on loopback, in a thread."""
    with served(web.app) as base:
        yield base


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "prod")
    page.fill("input[name=password]", "produser-rahasia-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


@pytest.mark.browser
def test_browser_play_from_a_cue_edit_it_axe_and_screenshots(page, server, web, tmp_path) -> None:
    need_program(CHROMIUM, "install Debian's chromium (apt-get install chromium), as .ci/run does")
    folder = web.workspace.episode_dir(episode_of(web).id)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, server)
    page.goto(f"{server}{url(web)}")
    # (functions, not expressions: Playwright evals an expression, which the page's CSP forbids)
    page.wait_for_function("() => { const host = document.querySelector('#waveform > div');"
                           " return !!(host && host.shadowRoot && host.shadowRoot.querySelector('canvas')); }",
                           timeout=15000)

    # Click the third cue's time: the audio jumps there and that cue is highlighted.
    third = page.locator("#cue-2")
    start = float(third.get_attribute("data-start"))
    third.locator(".cue-time").click()
    page.wait_for_function("(start) => { const t = document.getElementById('episode-audio').currentTime;"
                           " return t > 0 && Math.abs(t - start) < 1.0; }", arg=start, timeout=10000)
    page.wait_for_selector("#cue-2.is-playing", timeout=10000)
    page.evaluate("() => document.getElementById('episode-audio').pause()")

    # Drag a range on the waveform: it fills the highlight form, kept within 15-90 s.
    box = page.locator("#waveform").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.10, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, y, steps=8)
    page.mouse.move(box["x"] + box["width"] * 0.30, y, steps=4)  # 20% of 32 s: shorter than 15 s
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('highlight-end').value !== ''", timeout=5000)
    start_s, end_s = float(page.input_value("#highlight-start")), float(page.input_value("#highlight-end"))
    assert start_s == pytest.approx(3.2, abs=1.0) and end_s - start_s == pytest.approx(15.0, abs=0.15)

    # Edit the second cue in place and save.
    page.locator("#cue-1 .cue-edit").click()
    page.wait_for_selector("#cue-text-1")
    page.fill("#cue-text-1", "Hari ini kita bahas DPT, koreksi dari peramban.")
    page.locator("#cue-1 button[type=submit]").click()
    page.wait_for_selector("#cue-1 .saved")
    assert "koreksi dari peramban" in (folder / "transcript.vtt").read_text(encoding="utf-8")
    assert "koreksi dari peramban" in (folder / "transcript.srt").read_text(encoding="utf-8")

    # A second edit on the same page goes through (the page follows the new VTT's hash).
    page.locator("#cue-3 .cue-edit").click()
    page.wait_for_selector("#cue-text-3")
    page.fill("#cue-text-3", "Datang ke TPS membawa KTP-el.")
    page.locator("#cue-3 button[type=submit]").click()
    page.wait_for_selector("#cue-3 .saved")
    assert "KTP-el." in (folder / "transcript.vtt").read_text(encoding="utf-8")

    # The page itself breaks no CSP rule (checked before axe, which injects a script of its own).
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert axe_serious_violations(page) == []

    shots = screenshot_dir(tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "episode-1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 780})
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "episode-360.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 361  # nothing wider than the phone
    assert axe_serious_violations(page) == []


# -- lost edits and four eyes (issue 29) ------------------------------------------------------------

def http_session(base: str, name: str):
    """A requests session signed in as `name` over the real server, and its CSRF token."""
    import requests
    from webutil import CSRF_RE, PASSWORDS

    session = requests.Session()
    token = CSRF_RE.search(session.get(f"{base}/login", timeout=30).text).group(1)
    answer = session.post(f"{base}/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return session, CSRF_RE.search(session.get(f"{base}/episodes", timeout=30).text).group(1)


def save_at_once(barrier: threading.Barrier, producer, address: str, data: dict, answers: list, k: int) -> None:
    """POST `data` as `producer` (session, CSRF token) once every thread of `barrier` is ready; the answer
    goes to answers[k]."""
    session, token = producer
    barrier.wait(timeout=60)
    answers[k] = session.post(address, headers={"HX-Request": "true"}, timeout=60,
                              data={**data, "csrf_token": token})


def test_two_saves_of_one_line_at_the_same_moment_one_is_saved_the_other_told_it_is_stale(web, server) -> None:
    """Two producers save the same cue at the same moment, over real HTTP against the real server (Waitress,
    several threads), ten rounds: each round exactly one is told "saved" and its text is in the VTT; the
    other is told the page is stale and nothing of it is written. (On main both were told saved.)"""
    episode = episode_of(web)
    folder = web.workspace.episode_dir(episode.id)
    page_url = f"{server}/episodes/{episode.id}/"
    producers = [http_session(server, name) for name in ("prod", "prod2")]
    saved_word, stale_words = "Tersimpan", "muat ulang"
    refused = []
    for round_ in range(10):
        based_on = [s.get(page_url, timeout=30).text.split('id="transcript-sha" name="based_on" value="')[1]
                    .split('"')[0] for s, _ in producers]
        assert based_on[0] == based_on[1]
        texts = [f"Putaran {round_}: koreksi {who}." for who in ("pertama", "kedua")]
        barrier = threading.Barrier(2)
        answers: list = [None, None]
        threads = [threading.Thread(target=save_at_once, args=(barrier, producers[k], f"{page_url}cues/2",
                                                                  {"text": texts[k], "based_on": based_on[k]},
                                                                  answers, k)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        said = ["saved" if 'class="cue is-saved"' in a.text and saved_word in a.text
                else "stale" if 'role="alert"' in a.text else a.text[:200] for a in answers]
        assert sorted(said) == ["saved", "stale"], (round_, said)
        winner = said.index("saved")
        vtt = (folder / "transcript.vtt").read_text(encoding="utf-8")
        assert texts[winner] in vtt and texts[1 - winner] not in vtt, round_
        assert texts[winner] in (folder / "transcript.srt").read_text(encoding="utf-8")
        refused.append((answers[1 - winner].text, texts[1 - winner]))
    for text, typed in refused:
        assert stale_words in text and typed in text  # told why (reload), and the text typed is still there


def test_a_metadata_form_opened_before_a_replace_is_stale(web, tmp_path) -> None:
    """The metadata form carries what it showed: after `ingest --replace` brought a new recording (with its
    own description), a save from a page opened before is refused with the stale-page message, the new
    description stays, and the text typed is still in the form. `ingest --replace` keeps who uploaded."""
    from studio.workspace import approval

    client = web.client("producer")
    episode = episode_of(web)
    approval.record_uploader(web.workspace, episode, "prod")
    based_on = metadata_based_on(client, web)
    source = g.encode(g.scale_to(g.speech(12.0, seed=21), -22.0), tmp_path / "baru.wav", *g.FORMATS["wav"])
    replaced = ingest(web.workspace, find_ffmpeg(), IngestRequest(
        file=source, show="kpu", title="Pemilih pemula", recorded_on="2026-11-20",
        description="Rekaman baru: deskripsi yang benar.", replace=True), Reporter(quiet=True)).episode
    assert replaced.id == episode.id and replaced.sha256 != episode.sha256
    answer = client.post(url(web, "metadata"), headers={"HX-Request": "true"}, data={
        "title": "Pemilih pemula", "description": "Deskripsi lama dari halaman lama.", "based_on": based_on,
        "csrf_token": web.csrf(client, "/episodes")})
    text = answer.get_data(as_text=True)
    assert "muat ulang" in text and 'role="alert"' in text and "Deskripsi lama dari halaman lama." in text
    assert web.workspace.episode(episode.id).description == "Rekaman baru: deskripsi yang benar."
    assert approval.read_approval(web.workspace, episode.id).uploaded_by == "prod"  # kept through the replace
    assert web.workspace.index.read(episode.id).uploaded_by == "prod"
    fresh = client.post(url(web, "metadata"), data={  # from the page as it is now: saved
        "title": "Pemilih pemula", "description": "Diperbarui.", "based_on": metadata_based_on(client, web),
        "csrf_token": web.csrf(client, "/episodes")})
    assert fresh.status_code == 302 and web.workspace.episode(episode.id).description == "Diperbarui."


def test_an_approval_covers_what_goes_out_and_a_change_after_it_withdraws_it(web, tmp_path) -> None:
    """Four eyes over everything: prod2 approves; the uploader then changes the title and one transcript
    line; publish puts out nothing of the episode and says it waits for approval again; the episode page
    says who had approved and what changed; approved again, it goes out. (On main both changes were
    published.)"""
    from click.testing import CliRunner

    from studio.cli import cli
    from studio.workspace import approval

    ws = web.workspace
    ws.save_show(dataclasses.replace(ws.show("kpu"), require_approval=True))
    episode = episode_of(web)
    approval.record_uploader(ws, episode, "prod")
    uploader, approver = web.client("producer"), web.login("prod2")

    page = approver.get(url(web)).get_data(as_text=True)
    token = based_on_in(page)  # the approve form comes first
    approver.post(f"/episodes/approve/{episode.id}", data={"based_on": token, "csrf_token": web.csrf(approver)})
    assert ws.index.read(episode.id).approved_by == "prod2"

    hoax = "HOAKS: pemungutan suara ditunda"
    answer = uploader.post(url(web, "metadata"), data={"title": hoax, "based_on": metadata_based_on(uploader, web),
                                                       "csrf_token": web.csrf(uploader, "/episodes")})
    assert answer.status_code == 302 and ws.episode(episode.id).title == hoax
    vtt_sha = captions.vtt_sha256(ws.episode_dir(episode.id))
    answer = uploader.post(url(web, "cues/2"), data={"text": "Pemilu ditunda, jangan datang ke TPS.",
                                                    "based_on": vtt_sha, "csrf_token": web.csrf(uploader, "/episodes")})
    assert answer.status_code == 302

    out, radio = tmp_path / "out", tmp_path / "radio"
    args = ["--workspace", str(ws.root), "publish", "--to", str(out), "--radio-to", str(radio)]
    published = CliRunner().invoke(cli, args)
    assert published.exit_code == 0, published.output
    everything = "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*")
                         if p.is_file() and p.suffix in (".xml", ".html", ".vtt", ".srt", ".txt", ".json", ".opml"))
    assert "HOAKS" not in everything and "jangan datang" not in everything
    assert not list(out.rglob(f"*{episode.slug}*")) and not list(radio.rglob(f"*{episode.slug}*"))
    assert (f"{episode.id}: not published, waiting for approval again: title, transcript changed since prod2 "
            "approved it") in published.output
    row = ws.index.read(episode.id)
    assert row.approved_by == "" and row.withdrawn_by == "prod2" and row.withdrawn == ["title", "transcript"]

    page = approver.get(url(web)).get_data(as_text=True)
    assert "Persetujuan oleh prod2 dicabut: judul, transkrip berubah setelah disetujui." in page
    assert "Menunggu persetujuan ulang" in approver.get("/publish").get_data(as_text=True)

    # An approve button shown before a change approves nothing: the page must be looked at again.
    stale = approver.post(f"/episodes/approve/{episode.id}", data={"based_on": token,
                                                                   "csrf_token": web.csrf(approver)},
                          follow_redirects=True)
    assert "muat ulang" in stale.get_data(as_text=True) and not ws.index.read(episode.id).approved_by

    token = based_on_in(page)
    approver.post(f"/episodes/approve/{episode.id}", data={"based_on": token, "csrf_token": web.csrf(approver)})
    assert ws.index.read(episode.id).approved_by == "prod2"
    published = CliRunner().invoke(cli, args)
    assert published.exit_code == 0, published.output
    assert hoax in (out / "feeds" / "kpu.xml").read_text(encoding="utf-8")  # what was approved goes out
