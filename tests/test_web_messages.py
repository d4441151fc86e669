"""Every message a page can show (issue 28, item 1): the strings catalogue in both languages, with no path,
errno or traceback and none of the words a producer does not use; the library's English lines as a page
says them; a corrupt upload, a refused air window, a cue conflict and a bad station name in Indonesian (English
with lang = "en")."""

from __future__ import annotations

import random
import re

import pytest
from webutil import run_next_job

from studio.web import create_app
from studio.web.messages import RULES, library_message
from studio.web.strings import STRINGS, translate

pytest_plugins = ["webutil"]  # the `web` fixture

INTERNALS = re.compile(r"\[Errno|errno|Traceback|File \"|\.py\b|(?<![\w<])/(?:tmp|home|srv|var|root|work|usr|etc)/"
                       r"|\.studio/|[A-Za-z]:\\\\|Exception|Error:")
FOREIGN_ID = re.compile(r"\b(cue|rendisi|rendition)\b", re.IGNORECASE)


def test_every_key_is_in_both_languages_and_names_no_internals():
    assert set(STRINGS["id"]) == set(STRINGS["en"])
    for lang in ("id", "en"):
        for key, text in STRINGS[lang].items():
            assert text.strip(), (lang, key)
            assert not INTERNALS.search(text), (lang, key, text)
    for key, text in STRINGS["id"].items():
        assert not FOREIGN_ID.search(text), (key, text)  # "baris", "versi podcast": the producer's words


def test_each_library_rule_has_its_key_and_fills_it(web):
    """Each rule's key exists in both languages and formats with the values the rule gives it."""
    for pattern, key, names in RULES:
        assert key in STRINGS["id"] and key in STRINGS["en"], key
        fields = set(re.findall(r"{(\w+)}", STRINGS["id"][key]))
        assert fields <= {n for n in names if n} | ({"field"} if key == "air.bad_time" else set()), (key, fields)


LIBRARY_LINES = {
    "rekaman.mp3: not a readable audio or video file ([Errno 1094995529] Invalid data found when processing "
    "input: '/srv/studio/.studio/uploads/ab12/data/rekaman.mp3')": "recording.unreadable",
    "cue 3: it must end after it starts (5.000 s to 4.000 s)": "line.order",
    "the transcript was changed since this page was opened: reload it and edit again": "transcript.stale",
    "--air-until (2026-01-01) must be after --air-from (2026-02-01)": "air.order",
    "invalid station slug 'RRI Banjar': use lower-case letters, digits and '-'": "station.bad_name",
    "/srv/studio/episodes/kpu/x/transcript.vtt: [Errno 13] Permission denied": "message.unknown",
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_library_lines_become_the_pages_words(lang):
    def t(key):
        return translate(lang, key)

    for line, key in LIBRARY_LINES.items():
        shown = library_message(line, t)
        assert shown == t(key).format(n="3"), (line, shown)
        assert not INTERNALS.search(shown) and "cue" not in shown.lower(), shown
    assert library_message("cue 2: starts at 3.100 s, before cue 1 ends (4.250 s)", t) == \
        t("line.overlap_before").format(n="2", other="1", time="4,2" if lang == "id" else "4.2")
    assert library_message("something new went wrong at /srv/x", t, bad_input=False) == t("message.processing")


def _corrupt(size: int = 60_000) -> bytes:
    return random.Random(28).randbytes(size)  # no frame of any format: the decoder's errno and the path


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_corrupt_upload_is_refused_in_the_pages_words(web, lang):
    app = create_app(web.workspace, {"TESTING": True, "STUDIO_INDEX_MAX_AGE": 0, "lang": lang})
    web.app = app
    client = web.login("prod")
    token = web.csrf(client)
    data = _corrupt()
    answer = client.post("/uploads", json={"name": "Rekaman rapat.mp3", "size": len(data), "show": "kpu",
                                           "title": "Rapat"}, headers={"X-CSRFToken": token})
    upload_id = answer.get_json()["id"]
    answer = client.patch(f"/uploads/{upload_id}", data=data, headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert answer.status_code == 202
    job = run_next_job(web.workspace)
    assert job.state == "failed" and "Errno" in job.error  # what the library said, for the operator's log
    status = client.get(answer.get_json()["status"]).get_json()
    assert status["error"] == translate(lang, "recording.unreadable")
    assert not INTERNALS.search(status["error"]) and "uploads" not in status["error"]
    jobs = client.get("/jobs").get_data(as_text=True)
    assert translate(lang, "recording.unreadable") in jobs and "Errno" not in jobs and ".studio" not in jobs
    assert f"<td>{translate(lang, 'episode.stage.ingest')}</td>" in jobs  # the stage in words, not "ingest"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_air_window_and_station_name_refusals_are_in_the_pages_language(web, lang):
    from conftest import add_fake_episode

    episode = add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt", title="DPT")
    web.app = create_app(web.workspace, {"TESTING": True, "STUDIO_INDEX_MAX_AGE": 0, "lang": lang})
    client = web.login("prod")
    page = client.get(f"/episodes/{episode.id}/").get_data(as_text=True)
    based_on = re.search(r'name="based_on" value="([0-9a-f]+)"', page).group(1)
    answer = client.post(f"/episodes/{episode.id}/metadata", headers={"HX-Request": "true"}, data={
        "csrf_token": web.csrf(client), "title": "DPT", "based_on": based_on,
        "air_from": "2026-02-01", "air_until": "2026-01-01"})
    html = answer.get_data(as_text=True)
    assert translate(lang, "air.order") in html and "--air" not in html
    answer = client.post(f"/episodes/{episode.id}/metadata", headers={"HX-Request": "true"}, data={
        "csrf_token": web.csrf(client), "title": "DPT", "based_on": based_on, "air_from": "besok pagi"})
    html = answer.get_data(as_text=True)
    assert translate(lang, "air.field.from") in html and "ISO" not in html.split('id="metadata-error"')[1][:200]

    sched = web.login("sched")
    radio = sched.get("/radio").get_data(as_text=True)
    assert f'title="{translate(lang, "station.bad_name")}"' in radio  # the pattern's message, not the browser's
    answer = sched.post("/radio/stations", data={"csrf_token": web.csrf(sched, "/radio"), "name": "RRI Banjar"},
                        follow_redirects=True)
    assert answer.status_code == 400
    assert translate(lang, "station.bad_name") in answer.get_data(as_text=True)
    assert "slug" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_the_app_cannot_give_are_in_the_pages_language(web, lang):
    client = create_app(web.workspace, {"TESTING": True, "lang": lang}).test_client()
    answer = client.open("/login", method="PUT")
    assert answer.status_code == 405 and translate(lang, "error.method") in answer.get_data(as_text=True)
