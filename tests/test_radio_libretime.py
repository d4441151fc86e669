"""LibreTime push against a fake station held to LibreTime's OpenAPI document and its legacy upload
(tests/fakes/libretime.py): upload, import, cue points, show + instance + schedule, idempotence, replacement,
errors, retries, kill-and-resume, two pushes at once, expire."""

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
from fakes.libretime import FakeLibreTime
from pushutil import journal_of, make_item, peak_memory_kib, write_big
from webutil import served

from studio.radio.push.base import PushError
from studio.radio.push.libretime import LibreTime, interval

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def fake():
    station = FakeLibreTime()
    with served(station.app, threads=6) as url:
        station.url = url
        yield station
    assert station.contract.violations == [], "\n".join(station.contract.violations)


def pusher(fake, **options) -> LibreTime:
    options.setdefault("sleep", lambda seconds: None)
    return LibreTime(fake.url, options.pop("api_key", fake.api_key), **options)


def test_interval_is_libretimes_duration_text():
    assert interval(0) == "00:00:00.000000"
    assert interval(58.25) == "00:00:58.250000"
    assert interval(3725.5) == "01:02:05.500000"


def test_push_uploads_waits_for_the_import_describes_and_schedules(fake, tmp_path):
    item = make_item(tmp_path)
    seen = []
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item), progress=lambda d, t: seen.append((d, t)))

    [row] = fake.files.values()
    assert row["sha256"] == item.sha256 and row["import_status"] == 0
    assert row["filepath"].endswith(f"kpu-2024-01-10-dpt-{item.sha256[:12]}.wav")
    assert (row["track_title"], row["artist_name"], row["album_title"]) == ("Debat 2024-01-10-dpt",
                                                                           "Kabar Pemilu", "Kabar Pemilu")
    assert (row["cue_in"], row["cue_out"]) == ("00:00:01.500000", "00:00:58.250000")
    assert seen[-1] == (item.bytes, item.bytes)
    assert remote.media_id == str(row["id"])

    [show] = fake.shows.values()
    [instance] = fake.instances.values()
    [entry] = fake.schedule.values()
    assert show["name"] == "Kabar Pemilu: Debat 2024-01-10-dpt"
    assert remote.playlist_id == str(instance["id"]) and instance["show"] == show["id"]
    assert (instance["starts_at"], instance["ends_at"]) == ("2031-03-04T12:00:00Z", "2031-03-04T12:00:56.750000Z")
    assert entry["file"] == row["id"] and entry["instance"] == instance["id"]
    assert (entry["starts_at"], entry["cue_in"], entry["cue_out"]) == ("2031-03-04T12:00:00Z", "00:00:01.500000",
                                                                       "00:00:58.250000")
    assert remote.extra["show"] == str(show["id"]) and remote.extra["schedule"] == str(entry["id"])


def test_unchanged_repush_sends_nothing(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    before = len(fake.contract.log)
    assert pusher(fake).push(item, remote, journal_of(tmp_path, item)) == remote
    assert len(fake.contract.log) == before


def test_a_file_the_station_already_holds_is_not_uploaded_again(fake, tmp_path):
    """The delivery record lost (no `previous`, no journal): the library's md5 finds the file."""
    item = make_item(tmp_path)
    first = pusher(fake).push(item, None, journal_of(tmp_path, item))
    pusher(fake).expire(first)
    again = pusher(fake).push(item, None, tmp_path / "another-journal")
    assert fake.uploads == 1 and again.media_id == first.media_id and len(fake.schedule) == 1


def test_what_was_deleted_at_the_station_is_made_again(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    for store in (fake.schedule, fake.instances, fake.files):  # deleted by hand in LibreTime
        store.clear()
    again = pusher(fake).push(replace(item, title="Debat capres"), remote, tmp_path / "journal-2")
    [row] = fake.files.values()
    [instance] = fake.instances.values()
    [entry] = fake.schedule.values()
    assert row["sha256"] == item.sha256 and row["track_title"] == "Debat capres" and fake.uploads == 2
    assert again.playlist_id == str(instance["id"]) and entry["file"] == row["id"] and entry["instance"] == instance["id"]


def test_a_new_air_time_moves_the_schedule_without_uploading(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    later = item.air_from.replace(hour=21)
    again = pusher(fake).push(replace(item, air_from=later, air_until=later.replace(hour=22)), remote,
                              journal_of(tmp_path, item))
    assert fake.uploads == 1 and again.playlist_id == remote.playlist_id
    [entry] = fake.schedule.values()
    assert entry["starts_at"] == "2031-03-04T14:00:00Z" and str(entry["id"]) == again.extra["schedule"]
    assert fake.instances[int(again.playlist_id)]["starts_at"] == "2031-03-04T14:00:00Z"


def test_a_changed_file_replaces_the_stations_copy(fake, tmp_path):
    item = make_item(tmp_path)
    first = pusher(fake).push(item, None, journal_of(tmp_path, item))
    changed = make_item(tmp_path, seed=b"v2")
    second = pusher(fake).push(changed, first, journal_of(tmp_path, changed))
    [row] = fake.files.values()  # the old file deleted once nothing scheduled it
    assert row["sha256"] == changed.sha256 and str(row["id"]) == second.media_id != first.media_id
    [entry] = fake.schedule.values()
    assert entry["file"] == row["id"] and second.playlist_id == first.playlist_id
    assert len(fake.shows) == 1 and len(fake.instances) == 1


def test_a_wrong_key_is_one_line_auth_error(fake, tmp_path):
    item = make_item(tmp_path)
    with pytest.raises(PushError) as caught:
        pusher(fake, api_key="wrong-key-5678").push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "auth"
    message = str(caught.value)
    assert "\n" not in message and "wrong-key-5678" not in message and "(HTTP 403)" in message
    assert fake.files == {}


def test_a_500_then_success_is_retried(fake, tmp_path):
    item = make_item(tmp_path)
    fake.contract.fail_next(500, "/rest/media")
    fake.contract.fail_next(503, "/api/v2/schedule")
    waits = []
    remote = pusher(fake, sleep=waits.append, poll_every=0.5).push(item, None, journal_of(tmp_path, item))
    assert fake.uploads == 1 and len(fake.schedule) == 1 and remote.extra["schedule"]
    backoffs = [w for w in waits if w != 0.5]  # the import polls wait 0.5 s each
    assert len(backoffs) == 2 and all(1 <= w <= 2 for w in backoffs)


def test_a_failed_import_is_refused(fake, tmp_path):
    fake.import_fails = True
    item = make_item(tmp_path)
    with pytest.raises(PushError) as caught:
        pusher(fake).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "refused" and "import" in str(caught.value)


def test_an_upload_over_the_servers_limit_is_too_large(tmp_path):
    station = FakeLibreTime(request_limit=100 * 1024)
    with served(station.app) as url:
        station.url = url
        item = make_item(tmp_path, size=300_000)
        with pytest.raises(PushError) as caught:
            pusher(station).push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "too_large" and "\n" not in str(caught.value)


def test_expire_removes_the_schedule_and_keeps_the_file(fake, tmp_path):
    item = make_item(tmp_path)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    pusher(fake).expire(remote)
    assert fake.schedule == {} and fake.instances == {} and fake.shows == {}
    assert len(fake.files) == 1
    pusher(fake).expire(remote, delete_file=True)
    assert fake.files == {}


def test_no_air_time_means_no_schedule(fake, tmp_path):
    item = make_item(tmp_path, air_from=None)
    remote = pusher(fake).push(item, None, journal_of(tmp_path, item))
    assert remote.playlist_id is None and fake.schedule == {} and len(fake.files) == 1


def test_two_pushes_at_once(fake, tmp_path):
    items = [make_item(tmp_path, episode=f"2024-01-1{n}-dpt") for n in range(2)]
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
    assert sorted(r["sha256"] for r in fake.files.values()) == sorted(i.sha256 for i in items)
    assert len(fake.schedule) == 2 and len({r.playlist_id for r in remotes.values()}) == 2


PUSH_IN_CHILD = """
import json, sys
from pathlib import Path
from studio.radio.push.libretime import LibreTime
from studio.radio.push.base import PushItem
import datetime as dt
args = json.loads(sys.argv[1])
item = PushItem(**{**args["item"], "path": Path(args["item"]["path"]),
                   "air_from": dt.datetime.fromisoformat(args["item"]["air_from"]),
                   "air_until": dt.datetime.fromisoformat(args["item"]["air_until"])})
LibreTime(args["url"], args["key"], poll_every=0.01).push(item, None, Path(args["journal"]))
print(open("/proc/self/status").read())
"""


def test_a_push_killed_after_the_upload_does_not_upload_again(fake, tmp_path):
    item = make_item(tmp_path)
    journal = journal_of(tmp_path, item)
    fields = {**item.__dict__, "path": str(item.path), "air_from": item.air_from.isoformat(),
              "air_until": item.air_until.isoformat()}
    args = json.dumps({"item": fields, "url": fake.url, "key": fake.api_key, "journal": str(journal)})
    fake.contract.hang_on = "/api/v2/shows"
    child = subprocess.Popen([sys.executable, "-c", PUSH_IN_CHILD, args], cwd=TESTS.parent)
    try:
        assert fake.contract.reached.wait(timeout=120), "the push never reached the show"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        fake.contract.release.set()
    assert fake.uploads == 1 and fake.shows == {}

    remote = pusher(fake).push(item, None, journal)
    assert fake.uploads == 1 and len(fake.files) == 1  # the journal knew the file
    assert len(fake.schedule) == 1 and remote.media_id == str(next(iter(fake.files)))


def test_the_fake_holds_studio_to_the_document(fake):
    import urllib.error
    import urllib.request

    body = json.dumps({"starts_at": "tomorrow"}).encode()
    request = urllib.request.Request(f"{fake.url}/api/v2/schedule", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Api-Key {fake.api_key}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 400 and len(fake.contract.violations) == 1
    fake.contract.violations.clear()


def test_a_wrong_key_on_the_legacy_upload_is_auth_too(fake, tmp_path):
    """The legacy upload checks the key on its own (HTTP basic, 401)."""
    item = make_item(tmp_path)
    lt = pusher(fake)
    lt.legacy.headers["Authorization"] = "Basic d3Jvbmc6"  # "wrong:"
    with pytest.raises(PushError) as caught:
        lt.push(item, None, journal_of(tmp_path, item))
    assert caught.value.reason == "auth" and "(HTTP 401)" in str(caught.value)


@pytest.mark.slow
def test_a_long_recording_is_streamed_not_loaded_whole(tmp_path):
    """A 96 MiB file goes up in one request; the pushing process never holds it (peak memory well under it)."""
    import hashlib

    station = FakeLibreTime()
    big = tmp_path / "big.wav"
    write_big(big, 96)
    item = replace(make_item(tmp_path), path=big, bytes=big.stat().st_size,
                   sha256=hashlib.sha256(big.read_bytes()).hexdigest())
    fields = {**item.__dict__, "path": str(item.path), "air_from": item.air_from.isoformat(),
              "air_until": item.air_until.isoformat()}
    with served(station.app) as url:
        args = json.dumps({"item": fields, "url": url, "key": station.api_key, "journal": str(tmp_path / "j")})
        done = subprocess.run([sys.executable, "-c", PUSH_IN_CHILD, args], cwd=TESTS.parent, capture_output=True,
                              text=True, check=True)
    assert next(iter(station.files.values()))["sha256"] == item.sha256
    assert peak_memory_kib(done.stdout) < 64 * 1024, done.stdout[-2000:]
    assert station.contract.violations == []
