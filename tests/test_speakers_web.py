"""The episode page's speakers panel (studio/web/episode/speakers.py) with Flask's test client: each speaker with
a sample, naming, merging, moving a line, keeping a voice for the show; every change reaches the outputs at once
(no model), a change made on an old page is refused, every route is for producers with a CSRF token."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from speakerutil import speakers_workspace
from webutil import make_web

from studio.workspace import transcript as captions
from studio.workspace.speakers import load_voices
from studio.workspace.tree import Workspace


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Workspace:
    return speakers_workspace(tmp_path_factory.mktemp("speakers-web"))


@pytest.fixture
def web(processed: Workspace, tmp_path: Path):
    shutil.copytree(processed.root, tmp_path / "ws")
    return make_web(Workspace(tmp_path / "ws"))


def episode_of(web):
    (episode,) = web.workspace.episodes()
    return episode


def url(web, tail: str = "") -> str:
    return f"/episodes/{episode_of(web).id}/{tail}"


def folder(web) -> Path:
    return web.workspace.episode_dir(episode_of(web).id)


def based_on(html: str) -> str:
    return html.split('name="based_on" value="', 1)[1].split('"', 1)[0] if 'speaker-name' in html else ""


def panel_version(web, client) -> str:
    html = client.get(url(web)).get_data(as_text=True)
    return html.split('class="speaker-name"', 1)[1].split('name="based_on" value="', 1)[1].split('"', 1)[0]


def srt(web) -> str:
    return (folder(web) / "transcript.srt").read_text(encoding="utf-8")


def test_the_page_lists_each_speaker_with_a_sample_and_the_lines_say_who_speaks(web):
    html = web.client("producer").get(url(web)).get_data(as_text=True)
    assert html.count('class="speaker"') == 3
    for n in (1, 2, 3):
        assert f"Dengarkan Pembicara {n}" in html and f"Nama Pembicara {n}" in html
    assert html.count('class="speaker-play" data-seek=') == 3 and "data-until=" in html
    assert html.count("Gabungkan</button>") == 3
    assert html.count('class="cue-speaker"') == len(captions.read_cues(folder(web)))
    assert "Baris 1: Pembicara 1. Pindahkan ke pembicara lain" in html
    assert "speakers.js" in html


def test_naming_reaches_every_output_without_javascript(web):
    client = web.client("producer")
    answer = client.post(url(web, "speakers/name"), data={
        "speaker": "1", "name": "Ibu Ketua KPU", "based_on": panel_version(web, client),
        "csrf_token": web.csrf(client, "/episodes")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#speakers")
    assert "Ibu Ketua KPU: Terima kasih, kami dari KPU" in srt(web)
    vtt = (folder(web) / "transcript.vtt").read_text(encoding="utf-8")
    assert "<v Ibu Ketua KPU>" in vtt and "<v Pembicara 1>" in vtt
    data = json.loads((folder(web) / "transcript.json").read_text(encoding="utf-8"))
    assert {s["speaker"] for s in data["segments"]} == {"Pembicara 1", "Ibu Ketua KPU", "Pembicara 3"}
    assert json.loads((folder(web) / "speakers.json").read_text())["names"] == {"1": "Ibu Ketua KPU"}
    assert not (folder(web) / ".studio" / "transcript.raw.json").read_bytes() == b""


def test_htmx_gets_the_panel_and_the_renamed_lines_out_of_band(web):
    client = web.client("producer")
    answer = client.post(url(web, "speakers/name"), headers={"HX-Request": "true"}, data={
        "speaker": "0", "name": "Pak Yan", "based_on": panel_version(web, client),
        "csrf_token": web.csrf(client, "/episodes")})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.startswith('<section id="speakers"')
    assert "Pak Yan <span class=\"speaker-label\">(Pembicara 1)</span>" in html
    assert 'id="cues"' in html and 'hx-swap-oob="true"' in html and ">Pak Yan</a>" in html
    assert 'id="transcript-sha"' in html  # the lines' new version: a correction made next is not refused
    assert "Pembicara disimpan" in html


def test_merging_two_speakers_and_moving_a_line(web):
    client = web.client("producer")
    token = web.csrf(client, "/episodes")
    client.post(url(web, "speakers/merge"), data={"speaker": "2", "into": "1", "based_on": panel_version(web, client),
                                                  "csrf_token": token})
    data = json.loads((folder(web) / "transcript.json").read_text(encoding="utf-8"))
    assert {s["speaker"] for s in data["segments"]} == {"Pembicara 1", "Pembicara 2"}
    html = client.get(url(web)).get_data(as_text=True)
    assert html.count('class="speaker"') == 2 and "Termasuk suara yang digabungkan: Pembicara 3" in html

    cues = captions.read_cues(folder(web))
    last = len(cues) - 1
    assert cues[last].speaker == "Pembicara 1"
    form = client.get(url(web, f"speakers/lines/{last}")).get_data(as_text=True)
    assert "<!doctype html>" in form.lower() and f"Baris {last + 1} diucapkan oleh" in form
    client.post(url(web, f"speakers/lines/{last}"), data={"speaker": "1", "based_on": panel_version(web, client),
                                                           "csrf_token": token})
    cues = captions.read_cues(folder(web))
    assert cues[last].speaker == "Pembicara 2" and cues[0].speaker == "Pembicara 1"
    assert srt(web).rstrip().splitlines()[-1].startswith("Pembicara 2: ")


def test_a_change_made_on_an_old_page_is_refused(web):
    client = web.client("producer")
    token, old = web.csrf(client, "/episodes"), panel_version(web, client)
    client.post(url(web, "speakers/name"), data={"speaker": "0", "name": "Pak Yan", "based_on": old, "csrf_token": token})
    before = srt(web)
    answer = client.post(url(web, "speakers/name"), headers={"HX-Request": "true"},
                         data={"speaker": "0", "name": "Orang Lain", "based_on": old, "csrf_token": token})
    assert "Bagian ini sudah diubah sejak halaman dibuka" in answer.get_data(as_text=True)
    assert srt(web) == before and "Orang Lain" not in before


def test_bad_input_says_what_to_do(web):
    client = web.client("producer")
    token, version = web.csrf(client, "/episodes"), panel_version(web, client)
    hx = {"HX-Request": "true"}
    long = client.post(url(web, "speakers/name"), headers=hx,
                       data={"speaker": "0", "name": "x" * 61, "based_on": version, "csrf_token": token})
    assert "Nama terlalu panjang" in long.get_data(as_text=True)
    same = client.post(url(web, "speakers/merge"), headers=hx,
                       data={"speaker": "1", "into": "1", "based_on": version, "csrf_token": token})
    assert "Pilih pembicara lain" in same.get_data(as_text=True)
    nobody = client.post(url(web, "speakers/name"), headers=hx,
                         data={"speaker": "9", "name": "x", "based_on": version, "csrf_token": token})
    assert "tidak tersimpan" in nobody.get_data(as_text=True)
    unnamed = client.post(url(web, "speakers/voice"), headers=hx, data={"speaker": "2", "csrf_token": token})
    assert "Beri nama pembicara ini dulu" in unnamed.get_data(as_text=True)
    assert not (folder(web) / "speakers.json").exists()  # nothing was saved


def test_a_named_voice_is_kept_for_the_show(web):
    client = web.client("producer")
    token = web.csrf(client, "/episodes")
    client.post(url(web, "speakers/name"), data={"speaker": "0", "name": "Pak Yan",
                                                 "based_on": panel_version(web, client), "csrf_token": token})
    answer = client.post(url(web, "speakers/voice"), headers={"HX-Request": "true"},
                         data={"speaker": "0", "csrf_token": token})
    assert "Suara Pak Yan diingat untuk acara ini." in answer.get_data(as_text=True)
    assert load_voices(web.workspace.feeds_dir, "kpu") == {"Pak Yan": [1.0, 0.0, 0.0]}
    assert "Suara ini dikenali otomatis" in client.get(url(web)).get_data(as_text=True)


def test_every_speakers_route_is_for_producers_with_a_csrf_token(web):
    files = {p: p.read_bytes() for p in folder(web).rglob("*") if p.is_file() and ".studio" not in p.parts}
    visitor = web.anonymous()
    data = {"speaker": "0", "into": "1", "name": "x"}
    for tail in ("speakers/name", "speakers/merge", "speakers/lines/0", "speakers/voice"):
        answer = visitor.post(url(web, tail), data={**data, "csrf_token": web.csrf(visitor)})
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], tail
        client = web.client("scheduler")
        assert client.post(url(web, tail), data={**data, "csrf_token": web.csrf(client, "/radio")}).status_code == 403
        assert web.client("producer").post(url(web, tail), data=data).status_code == 400, tail  # no token
    assert visitor.get(url(web, "speakers/lines/0")).status_code == 302
    assert web.client("producer").get(url(web, "speakers/lines/999")).status_code == 404
    assert {p: p.read_bytes() for p in folder(web).rglob("*") if p.is_file() and ".studio" not in p.parts} == files


def test_the_panel_in_english(processed, tmp_path):
    shutil.copytree(processed.root, tmp_path / "ws")
    web = make_web(Workspace(tmp_path / "ws"), lang="en")
    html = web.client("producer").get(url(web)).get_data(as_text=True)
    assert "Speakers" in html and "Listen to Pembicara 2" in html and "Merge Pembicara 1 with" in html
    assert "Line 1: Pembicara 1. Move it to another speaker" in html and "Dengarkan" not in html
