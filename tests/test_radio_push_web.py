"""The scheduler's radio page for push stations (issue 25): each station's deliveries with their state and the
one-line reason of a failure in Indonesian, "Kirim ulang" queueing a push job, and the page in a real browser
(360 and 1280 px, axe-core) with its screenshots docs/web/radio-push-{360,1280}.png."""

from __future__ import annotations

import shutil

import pytest
from conftest import axe_serious_violations, screenshot_dir
from test_radio_push import KEY, FakePusher, add_rivendell
from webutil import Served, make_web, run_next_job, sign_in

from studio.jobs import LocalQueue
from studio.radio import stations as stations_mod
from studio.radio.push import run as push_mod
from studio.radio.push.base import PushError
from studio.web import create_app
from studio.web.strings import translate
from studio.workspace.tree import Workspace


@pytest.fixture
def pushed(processed_workspace, tmp_path, monkeypatch):
    """A web app over a copy of the processed workspace with a Rivendell station (delivered) and an AzuraCast
    one whose key was refused, after one push."""
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    add_rivendell(ws, "abdi-rivendell")
    stations_mod.add_push_station(ws, "abdi-azuracast", "azuracast", KEY, base_url="https://radio.example.go.id",
                                  station_id="1")
    failing = {"fail": PushError("auth", "AzuraCast refused the API key (401)")}
    monkeypatch.setitem(push_mod.KINDS, "azuracast",
                        lambda w, s: FakePusher(stations_mod.read_key(w, s), failing["fail"]))
    push_mod.push(ws)
    web = make_web(ws)
    return web, failing


def test_the_page_shows_each_station_s_deliveries_and_push_again_queues_a_job(pushed):
    web, failing = pushed
    ws = web.workspace
    client = web.client("scheduler")
    html = client.get("/radio").get_data(as_text=True)
    assert "abdi-rivendell" in html and "Rivendell (folder drop box)" in html and "AzuraCast" in html
    assert html.count(">terkirim<") == 2 and html.count(">gagal<") == 2
    assert translate("id", "radio.push.reason.auth") in html
    assert KEY not in html and str(ws.root) not in html  # never the key, never a path
    assert html.count("Kirim ulang") >= 2

    failing["fail"] = None  # the station's admin fixed the key
    answer = client.post("/radio/stations/abdi-azuracast/push", data={"csrf_token": web.csrf(client, "/radio")})
    assert answer.status_code == 200 and translate("id", "radio.push.queued") in answer.get_data(as_text=True)
    [job] = [j for j in LocalQueue(ws).jobs() if j.stage == "push"]
    assert job.params == {"station": "abdi-azuracast"} and KEY not in str(job.to_dict())
    done = run_next_job(ws)
    assert done.state == "done", done.error
    html = client.get("/radio").get_data(as_text=True)
    assert html.count(">terkirim<") == 4 and ">gagal<" not in html
    assert client.post("/radio/stations/nope/push", data={"csrf_token": web.csrf(client, "/radio")}).status_code == 404

    stations_mod.add_push_station(ws, "abdi-lt", "libretime", KEY, base_url="https://lt.example.go.id")
    html = client.get("/radio").get_data(as_text=True)
    assert html.count(">menunggu dikirim<") == 2  # a new station: nothing delivered to it yet


def test_a_failed_push_job_says_the_first_failure(pushed):
    web, _ = pushed
    LocalQueue(web.workspace).enqueue("push", None, {"station": "abdi-azuracast"})
    done = run_next_job(web.workspace)
    assert done.state == "failed" and "abdi-azuracast" in done.error and "API key" in done.error


def test_every_push_string_is_in_both_languages():
    from studio.web.strings.radio import RADIO_PUSH_STRINGS

    for key, (indonesian, english) in RADIO_PUSH_STRINGS.items():
        assert indonesian and english and translate("en", key) == english and translate("id", key) == indonesian


@pytest.mark.browser
def test_the_radio_page_with_push_stations_in_a_browser(pushed, browser, tmp_path):
    web, _ = pushed
    server = Served(create_app(web.workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        tab = context.new_page()
        sign_in(tab, server.url, "sched")
        tab.goto(f"{server.url}/radio")
        main = tab.inner_text("main")
        assert "Kiriman ke sistem siar stasiun" in main and "terkirim" in main and "gagal" in main
        assert axe_serious_violations(tab) == []
        shots = screenshot_dir(tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        for width in (1280, 360):
            tab.set_viewport_size({"width": width, "height": 900})
            tab.screenshot(path=str(shots / f"radio-push-{width}.png"), full_page=True)
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {width}"
        tab.click("button[aria-label='Kirim ulang abdi-azuracast']")
        tab.wait_for_selector("text=Pengiriman ulang masuk antrean")
    finally:
        context.close()
        server.close()
