"""The scheduler's page (issue 28 item 9) over the test client: each broadcast file to listen to and download
through an authenticated route that answers Range requests, its loudness, cue points and cart chunk shown, a new
station's token once with the exact pull command, a push station's settings for its side, and an air window
edited on the episode page reaching the published manifest at once."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from broadcastutil import LOUDNESS, add_broadcast
from conftest import add_fake_episode

from studio import radio
from studio.workspace import shows
from studio.workspace.config import Station, with_changes

pytest_plugins = ["webutil"]

EPISODE = "kpu/2026-12-01-dpt"


@pytest.fixture
def sched(web):
    ws = web.workspace
    shows.set_timezone(ws, "kpu", "Asia/Makassar")
    episode = add_fake_episode(ws, "kpu", "2026-12-01-dpt", title="DPT dan pemilih pindahan")
    episode.air_from, episode.air_until = "2026-12-01T06:00:00+08:00", "2026-12-05T23:59:59+08:00"
    ws.save_episode(episode)
    add_broadcast(ws, episode, seconds=2.0)
    return web


def publish_radio(ws) -> dict:
    """The radio target as publish leaves it (folder `radio/`): the files, then the manifest."""
    delivery = radio.radio_delivery(ws)
    target = ws.root / ws.settings.radio_to
    for source, rel in delivery.files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(source.read_bytes())
    (target / radio.MANIFEST_NAME).write_bytes(delivery.manifest_bytes())
    return delivery.manifest


def test_each_file_plays_and_downloads_through_an_authenticated_route_with_ranges(sched):
    ws = sched.workspace
    publish_radio(ws)
    wav = (ws.root / "radio" / "kpu" / "2026-12-01-dpt.wav").read_bytes()
    client = sched.client("scheduler")
    html = client.get("/radio").get_data(as_text=True)
    assert f'<audio controls preload="none" src="/radio/listen/{EPISODE}"' in html
    assert f'href="/radio/listen/{EPISODE}?download=1"' in html
    whole = client.get(f"/radio/listen/{EPISODE}")
    assert whole.status_code == 200 and whole.mimetype == "audio/wav" and whole.data == wav
    part = client.get(f"/radio/listen/{EPISODE}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == wav[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(wav)}"
    saved = client.get(f"/radio/listen/{EPISODE}?download=1")
    assert "attachment" in saved.headers["Content-Disposition"] and "kpu--2026-12-01-dpt.wav" in \
        saved.headers["Content-Disposition"]
    assert sched.anonymous().get(f"/radio/listen/{EPISODE}").status_code in (302, 401)  # to the sign-in page
    assert sched.client("producer").get(f"/radio/listen/{EPISODE}").status_code == 403
    assert client.get("/radio/listen/kpu/2026-12-02-other").status_code == 404
    assert client.get("/radio/listen/../../studio.toml").status_code == 404


def test_loudness_cue_points_and_the_cart_chunk_are_shown_in_both_languages(sched):
    html = sched.client("scheduler").get("/radio").get_data(as_text=True)
    assert f"{LOUDNESS['integrated']:.1f} LUFS terpadu, puncak sejati {LOUDNESS['true_peak']:.1f} dBTP" in html
    assert "mulai 0:00, selesai 0:02, fade 20 ms di kedua ujung" in html
    assert re.search(r"ID potongan kpu/2026-12-01-dpt; mulai 2026-12-01 06:00:00; akhir 2026-12-05 23:59:59", html)
    assert "Selasa, 1 Desember 2026 pukul 06.00 WITA" in html and "Sabtu, 5 Desember 2026 pukul 23.59 WITA" in html
    from webutil import Web

    from studio.web import create_app

    english = Web(sched.workspace, create_app(sched.workspace, {"TESTING": True, "lang": "en"}))
    html = english.client("scheduler").get("/radio").get_data(as_text=True)
    assert "cue in 0:00, cue out 0:02, 20 ms fades at both ends" in html
    assert "Saturday, 5 December 2026 at 23:59 WITA" in html and "true peak -1.4 dBTP" in html


def test_a_new_stations_token_comes_once_with_the_pull_command(sched):
    client = sched.client("scheduler")
    html = client.post("/radio/stations", data={"name": "abdi", "csrf_token": sched.csrf(client, "/radio")}
                       ).get_data(as_text=True)
    token = re.search(r'<span id="new-token"><code class="secret">([^<]+)</code>', html).group(1)
    command = re.search(r'<pre class="command" id="pull-command">([^<]+)</pre>', html).group(1)
    assert command == (f"studio radio pull --from {sched.workspace.settings.base_url} --dest /srv/radio/import "
                       f"--station abdi --token {token}")
    assert 'data-copy="new-token"' in html and 'data-copy="pull-command"' in html
    assert token not in client.get("/radio").get_data(as_text=True)  # once


def test_a_push_stations_side_is_shown_without_its_key(sched):
    ws = sched.workspace
    rivendell = Station("abdi-rv", kind="rivendell", drop_folder="/srv/rivendell/dropbox/studio", cart_first=50000,
                        cart_last=50999, group="STUDIO", scheduler_code="KPU")
    azuracast = Station("abdi-az", kind="azuracast", base_url="https://radio.example.go.id", station_id="1")
    from studio.workspace.config import save_settings

    save_settings(ws.settings_path, with_changes(ws.settings, stations=(rivendell, azuracast)))
    html = unescape(sched.client("scheduler").get("/radio").get_data(as_text=True))
    assert ("rdimport --drop-box --metadata-pattern=%n_%a_%t. --add-scheduler-code=KPU --delete-cuts "
            "--normalization-level=0 --autotrim-level=0 STUDIO '/srv/rivendell/dropbox/studio/*.wav'") in html
    assert "https://radio.example.go.id" in html and "50000–50999" in html


def metadata_version(page: str) -> str:
    """The metadata form's based_on (the page has a form a section, each with its own)."""
    return re.search(r'id="metadata-form".*?name="based_on" value="([0-9a-f]+)"', page, re.S).group(1)


def test_an_air_window_edited_on_the_episode_page_reaches_the_published_manifest_at_once(sched):
    ws = sched.workspace
    before = publish_radio(ws)["files"][0]
    producer = sched.client("producer")
    page = producer.get(f"/episodes/{EPISODE}/").get_data(as_text=True)
    based_on = metadata_version(page)
    answer = producer.post(f"/episodes/{EPISODE}/metadata", data={
        "title": "DPT dan pemilih pindahan", "air_from": "2026-12-01 06:00", "air_until": "2026-12-09",
        "based_on": based_on, "csrf_token": sched.csrf(producer, f"/episodes/{EPISODE}/")})
    assert answer.status_code in (200, 302), answer.get_data(as_text=True)[:300]
    after = json.loads((ws.root / "radio" / radio.MANIFEST_NAME).read_text())["files"][0]
    assert after["air_until"] == "2026-12-09T23:59:59+08:00"  # not at the next publish: now
    assert after["air_until_text"] == "Rabu, 9 Desember 2026 pukul 23.59 WITA"
    assert after["sha256"] == before["sha256"]  # the published file is still the one named
    html = sched.client("scheduler").get("/radio").get_data(as_text=True)
    assert "Rabu, 9 Desember 2026 pukul 23.59 WITA" in html


def test_the_pages_show_times_on_the_shows_clock_in_words(sched):
    """Audit, users, jobs and the episodes list: no raw ISO/UTC, the show's (or the machine's) clock in words."""
    from studio.jobs import open_queue
    from studio.workspace import audit

    ws = sched.workspace
    entry = audit.record(ws, "prod", "episode.metadata", EPISODE)
    queue = open_queue(ws)
    job = queue.enqueue("process", episode=EPISODE)
    queue.claim("test:1")
    queue.finish(job.id, error="", exit_code=0)
    users = sched.client("admin").get("/users").get_data(as_text=True)
    assert entry.time not in users.replace(f'datetime="{entry.time}"', "")
    assert re.search(r'<time datetime="[^"]+\+08:00">\w+, \d+ \w+ \d{4} pukul \d\d\.\d\d WITA</time>', users)
    jobs = sched.client("producer").get("/jobs").get_data(as_text=True)
    assert re.search(r"<time datetime=\"[^\"]+\+08:00\">\w+, \d+ \w+ \d{4} pukul \d\d\.\d\d WITA</time>", jobs)
    episodes = sched.client("producer").get("/episodes").get_data(as_text=True)
    assert '<time datetime="2026-12-01">Selasa, 1 Desember 2026</time>' in episodes


def test_an_edited_air_window_queues_a_push_so_push_stations_get_it_too(sched):
    from studio.jobs import open_queue
    from studio.workspace.config import save_settings

    ws = sched.workspace
    station = Station("abdi-rv", kind="rivendell", drop_folder=str(ws.root / "dropbox"), cart_first=1, cart_last=9)
    save_settings(ws.settings_path, with_changes(ws.settings, stations=(station,)))
    producer = sched.client("producer")
    page = producer.get(f"/episodes/{EPISODE}/").get_data(as_text=True)
    based_on = metadata_version(page)
    form = {"title": "DPT dan pemilih pindahan", "air_from": "2026-12-01 06:00", "air_until": "2026-12-05",
            "csrf_token": sched.csrf(producer, f"/episodes/{EPISODE}/")}
    producer.post(f"/episodes/{EPISODE}/metadata", data={**form, "based_on": based_on})
    assert [j.stage for j in open_queue(ws).jobs(state="queued") if j.stage == "push"] == []  # the same window
    page = producer.get(f"/episodes/{EPISODE}/").get_data(as_text=True)
    based_on = metadata_version(page)
    producer.post(f"/episodes/{EPISODE}/metadata", data={**form, "air_until": "2026-12-09", "based_on": based_on})
    assert [j.stage for j in open_queue(ws).jobs(state="queued") if j.stage == "push"] == ["push"]
