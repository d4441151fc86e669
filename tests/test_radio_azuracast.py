"""AzuraCast push against a fake station held to AzuraCast's OpenAPI document (tests/fakes/azuracast.py): the Flow
chunked upload, metadata with cue points, the one-off playlist, idempotence, replacement, errors, retries,
kill-and-resume, two pushes at once, expire."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from fakes.azuracast import FakeAzuraCast
from pushutil import journal_of, make_item
from webutil import served

from studio.radio.push.azuracast import AzuraCast
from studio.radio.push.base import PushError, Remote

CHUNK = 64 * 1024
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def fake():
    station = FakeAzuraCast()
    with served(station.app, threads=6) as url:
        station.url = url
        yield station
    assert station.contract.violations == [], "\n".join(station.contract.violations)


def pusher(fake, **options) -> AzuraCast:
    options.setdefault("chunk_bytes", CHUNK)
    options.setdefault("sleep", lambda seconds: None)
    return AzuraCast(fake.url, fake.station_id, options.pop("api_key", fake.api_key), **options)


def test_push_uploads_in_chunks_describes_and_schedules(fake, tmp_path):
    item = make_item(tmp_path, size=5 * CHUNK + 1234)
    seen = []
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item), progress=lambda done, total: seen.append(done))

    [media] = fake.files()
    assert media["sha256"] == item.sha256  # the chunks reassembled into the same bytes
    assert media["path"] == f"studio/kpu/2024-01-10-dpt-{item.sha256[:12]}.wav"
    assert [n for _, n in fake.chunks_stored] == [1, 2, 3, 4, 5, 6]
    assert seen[-1] == item.bytes and seen == sorted(seen)
    assert (media["title"], media["artist"], media["album"]) == ("Debat 2024-01-10-dpt", "Kabar Pemilu",
                                                                 "Kabar Pemilu")
    assert media["extra_metadata"] == {"cue_in": 1.5, "cue_out": 58.25, "fade_in": 0.5, "fade_out": 1.0}
    assert remote.media_id == str(media["id"]) and remote.sha256 == item.sha256

    playlist = fake.playlists[int(remote.playlist_id)]
    assert media["playlists"] == {int(remote.playlist_id)}
    assert playlist["backend_options"] == ["interrupt"]
    assert playlist["schedule_items"] == [{"start_time": 1900, "end_time": 2000, "start_date": "2031-03-04",
                                           "end_date": "2031-03-04", "days": [2], "loop_once": True}]


def test_the_schedule_is_in_the_stations_time_zone(tmp_path):
    station = FakeAzuraCast(timezone="Asia/Jayapura")  # UTC+9; the air time is 19:00 at UTC+7
    with served(station.app) as url:
        station.url = url
        item = make_item(tmp_path)
        remote = pusher(station).push(item, None, journal_of(tmp_path, item))
    [schedule] = station.playlists[int(remote.playlist_id)]["schedule_items"]
    assert (schedule["start_time"], schedule["end_time"]) == (2100, 2200)
    assert station.contract.violations == []


def test_unchanged_repush_sends_nothing(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    before = len(fake.contract.log)
    assert pusher(fake).push(item, remote, journal_of(tmp_path, item)) == remote
    assert len(fake.contract.log) == before


def test_a_changed_title_updates_without_uploading(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    chunks = len(fake.chunks_stored)
    again = pusher(fake).push(replace(item, title="Debat capres"), remote, journal_of(tmp_path, item))
    assert len(fake.chunks_stored) == chunks
    assert again.media_id == remote.media_id and again.playlist_id == remote.playlist_id
    assert fake.files()[0]["title"] == "Debat capres"


def test_a_changed_file_replaces_the_stations_copy(fake, tmp_path):
    item = make_item(tmp_path)
    first = pusher(fake).push(item, None, journal_of(tmp_path, item))
    changed = make_item(tmp_path, seed=b"v2")
    second = pusher(fake).push(changed, first, journal_of(tmp_path, changed))

    [media] = fake.files()  # the old media removed
    assert media["sha256"] == changed.sha256 and str(media["id"]) == second.media_id != first.media_id
    assert second.playlist_id == first.playlist_id  # the same playlist, now holding the new media
    assert media["playlists"] == {int(first.playlist_id)}
    assert len(fake.playlists) == 1


def test_a_file_deleted_at_the_station_is_uploaded_again(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    fake.media.clear()  # a station admin deleted it
    again = pusher(fake).push(replace(item, title="Debat capres"), remote, journal_of(tmp_path, item))
    [media] = fake.files()
    assert media["sha256"] == item.sha256 and media["title"] == "Debat capres" and again.media_id == str(media["id"])
    assert media["playlists"] == {int(again.playlist_id)}


def test_a_wrong_key_is_one_line_auth_error(fake, tmp_path):
    item = make_item(tmp_path)
    with pytest.raises(PushError) as caught:
        pusher(fake, api_key="wrong-key-5678").push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "auth"
    message = str(caught.value)
    assert "\n" not in message and "wrong-key-5678" not in message and fake.api_key not in message
    assert "403" in message and fake.files() == []


def test_a_key_file_ending_in_a_newline_works_and_a_broken_key_is_never_shown(fake, tmp_path):
    item = make_item(tmp_path)
    assert pusher(fake, api_key=fake.api_key + "\n").push(item, None, journal_of(tmp_path, item)).media_id
    with pytest.raises(PushError) as caught:
        AzuraCast(fake.url, "1", "secret\x00key")
    assert caught.value.reason == "auth" and "secret" not in str(caught.value)


def test_a_500_then_success_is_retried_with_backoff(fake, tmp_path):
    item = make_item(tmp_path)
    fake.contract.fail_next(500, "/files/upload", times=2)
    waits = []
    remote = pusher(fake, sleep=waits.append).push(item, None, journal_of(tmp_path, item))
    assert fake.files()[0]["sha256"] == item.sha256 and remote.media_id
    assert len(waits) == 2 and 1 <= waits[0] <= 2 and 2 <= waits[1] <= 4  # exponential, with jitter


def test_a_connection_cut_mid_upload_is_retried(fake, tmp_path):
    item = make_item(tmp_path, size=5 * CHUNK)
    fake.drop_at_chunk = 3
    waits = []
    pusher(fake, sleep=waits.append).push(item, None, journal_of(tmp_path, item))
    assert fake.dropped and len(waits) == 1
    assert [n for _, n in fake.chunks_stored] == [1, 2, 3, 4, 5]
    assert fake.files()[0]["sha256"] == item.sha256


def test_a_chunk_without_an_answer_times_out_and_is_sent_again(fake, tmp_path):
    item = make_item(tmp_path, size=3 * CHUNK)
    fake.hang_at_chunk = 2  # held, never answered (until the end of the test), not stored
    waits = []
    try:
        pusher(fake, sleep=waits.append, timeout=2.0).push(item, None, journal_of(tmp_path, item))
    finally:
        fake.release.set()
    assert fake.reached.is_set() and len(waits) >= 1
    assert [n for _, n in fake.chunks_stored] == [1, 2, 3] and fake.files()[0]["sha256"] == item.sha256


def test_a_server_failing_every_try_is_a_server_error(fake, tmp_path):
    item = make_item(tmp_path)
    fake.contract.fail_next(502, "/files/upload", times=4)
    with pytest.raises(PushError) as caught:
        pusher(fake).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "server" and "after 4 tries" in str(caught.value)


def test_a_request_over_the_servers_limit_is_too_large(tmp_path):
    station = FakeAzuraCast(request_limit=100 * 1024)
    with served(station.app) as url:
        station.url = url
        item = make_item(tmp_path, size=300_000)
        with pytest.raises(PushError) as caught:
            pusher(station, chunk_bytes=200 * 1024).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "too_large" and "\n" not in str(caught.value)


def test_an_unreachable_station_is_one_line(tmp_path):
    item = make_item(tmp_path)
    station = FakeAzuraCast()
    with served(station.app) as url:
        pass  # closed: nothing listens there now
    with pytest.raises(PushError) as caught:
        AzuraCast(url, "1", "key", chunk_bytes=CHUNK, sleep=lambda s: None).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "unreachable" and "\n" not in str(caught.value)


def test_expire_removes_the_playlist_and_keeps_the_file(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    pusher(fake).expire(remote)
    assert fake.playlists == {} and len(fake.files()) == 1
    assert fake.files()[0]["playlists"] == set()
    pusher(fake).expire(remote, delete_file=True)  # the playlist already gone: no error
    assert fake.files() == []


def test_two_pushes_at_once(fake, tmp_path):
    items = [make_item(tmp_path, episode=f"2024-01-1{n}-dpt", size=4 * CHUNK + n) for n in range(2)]
    remotes, errors = {}, []

    def push(item):
        try:
            remotes[item.episode] = pusher(fake).push(item, None, journal_of(tmp_path, item))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=push, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m["sha256"] for m in fake.files()) == sorted(i.sha256 for i in items)
    assert len(fake.playlists) == 2 and len({r.playlist_id for r in remotes.values()}) == 2


PUSH_IN_CHILD = """
import json, sys
from pathlib import Path
from studio.radio.push.azuracast import AzuraCast
from studio.radio.push.base import PushItem
import datetime as dt
args = json.loads(sys.argv[1])
item = PushItem(**{**args["item"], "path": Path(args["item"]["path"]),
                   "air_from": dt.datetime.fromisoformat(args["item"]["air_from"]),
                   "air_until": dt.datetime.fromisoformat(args["item"]["air_until"])})
remote = AzuraCast(args["url"], "1", args["key"], chunk_bytes=args["chunk"]).push(item, None, Path(args["journal"]))
print(json.dumps(remote.media_id))
"""


def test_a_killed_upload_resumes_with_the_missing_chunks(fake, tmp_path):
    item = make_item(tmp_path, size=8 * CHUNK)
    journal = journal_of(tmp_path, item)
    fields = {**item.__dict__, "path": str(item.path), "air_from": item.air_from.isoformat(),
              "air_until": item.air_until.isoformat()}
    args = json.dumps({"item": fields, "url": fake.url, "key": fake.api_key, "chunk": CHUNK, "journal": str(journal)})
    fake.hang_at_chunk = 4
    child = subprocess.Popen([sys.executable, "-c", PUSH_IN_CHILD, args], cwd=TESTS.parent,
                             env={**os.environ, "PYTHONPATH": str(TESTS.parent)})
    try:
        assert fake.reached.wait(timeout=120), "the push never reached chunk 4"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        fake.release.set()
    assert [n for _, n in fake.chunks_stored] == [1, 2, 3]
    assert json.loads((journal / "azuracast.json").read_text())["chunks"] == [1, 2, 3]

    remote = pusher(fake).push(item, None, journal)
    assert [n for _, n in fake.chunks_stored] == [1, 2, 3, 4, 5, 6, 7, 8]  # only the missing ones sent again
    [media] = fake.files()
    assert media["sha256"] == item.sha256 and remote.media_id == str(media["id"])


def test_an_upload_the_station_lost_half_of_is_repaired(fake, tmp_path):
    """The journal says chunks were accepted, but the station's temporary folder lost them (a restart): the last
    chunk is answered 204, the chunk test finds the missing ones, they are sent again."""
    item = make_item(tmp_path, size=4 * CHUNK)
    journal = journal_of(tmp_path, item)
    (journal / "azuracast.json").write_text(json.dumps({"sha256": item.sha256, "version": str(CHUNK),
                                                        "chunks": [1, 2, 3]}))
    pusher(fake).push(item, None, journal)
    assert [n for _, n in fake.chunks_stored] == [4, 1, 2, 3, 4]
    assert fake.files()[0]["sha256"] == item.sha256


def test_the_fake_holds_studio_to_the_document(fake):
    """The fake refuses what AzuraCast's document does not allow (so a passing push means a valid one)."""
    import urllib.error
    import urllib.request

    body = json.dumps({"name": "x", "schedule_items": [{"start_time": "nine"}]}).encode()
    request = urllib.request.Request(f"{fake.url}/api/station/1/playlists", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": fake.api_key})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 400
    assert len(fake.contract.violations) == 1 and "start_time" in fake.contract.violations[0]
    fake.contract.violations.clear()


def test_remote_round_trips_for_the_delivery_record(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    assert Remote(**json.loads(json.dumps(remote.__dict__))) == remote


def test_a_redirect_is_reported_not_followed(tmp_path):
    """urllib would follow a 301 to https with a GET and no body; Studio says where the station moved instead."""
    from flask import Flask, redirect

    app = Flask("moved")
    app.add_url_rule("/<path:anything>", "moved", lambda anything: redirect("https://radio.example.org/", 301),
                     methods=["GET", "POST"])
    item = make_item(tmp_path)
    with served(app) as url:
        with pytest.raises(PushError) as caught:
            AzuraCast(url, "1", "key", sleep=lambda s: None).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "refused" and "radio.example.org" in str(caught.value)
    assert "\n" not in str(caught.value)
