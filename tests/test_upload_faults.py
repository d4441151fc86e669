"""Uploads under faults (issue 29, items 1, 7 and 8): racing writers, lost answers, checksums, old uploads, a full
disk, per-user limits, a file named upload.json, and the job queue away when the last byte comes.

The races use real concurrent HTTP requests against the real app served by Waitress on a loopback port."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import audiogen as g
import pytest
from conftest import need_program
from webutil import CSRF_RE, PASSWORDS, Served, make_web, run_next_job

from studio.jobs import open_queue
from studio.web import create_app
from studio.workspace.shows import add_show
from studio.workspace.tree import init_workspace

pytest_plugins = ["webutil"]  # the `web` fixture

MB = 1024 * 1024
HOUR = 3600.0


def sha256_header(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def digest(data: bytes) -> str:
    """Compare big bytes by their sha256 (an assertion's diff of megabytes would take minutes)."""
    return hashlib.sha256(data).hexdigest()


def data_files(workspace, name: str | None = None) -> list[Path]:
    """The uploaded bytes still in the workspace (wherever an upload keeps them)."""
    root = workspace.root / ".studio/uploads"
    files = [p for p in root.rglob("*") if p.is_file() and p.name not in ("upload.json", "lock", ".lock")]
    return [p for p in files if name is None or p.name == name]


# -- a live server ------------------------------------------------------------------------------------

class Live:
    """The app under Waitress on a free loopback port; a producer signed in over HTTP."""

    def __init__(self, workspace, **overrides):
        self.web = make_web(workspace)
        self.app = create_app(workspace, {"STUDIO_INDEX_MAX_AGE": 0, **overrides})
        self.server = Served(self.app, threads=6)
        self.port = self.server.port
        self.cookie, self.token = self._sign_in("prod")

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    @staticmethod
    def _session(answer, cookie: str = "") -> str:
        found = [c.split(";")[0] for c in answer.msg.get_all("Set-Cookie") or [] if c.startswith("studio_session=")]
        return found[-1] if found else cookie

    def _sign_in(self, name: str) -> tuple[str, str]:
        conn = self.connect()
        conn.request("GET", "/login")
        answer = conn.getresponse()
        page = answer.read().decode()
        cookie = self._session(answer)
        form = urllib.parse.urlencode({"name": name, "password": PASSWORDS[name],
                                       "csrf_token": CSRF_RE.search(page).group(1)})
        conn.request("POST", "/login", body=form, headers={"Cookie": cookie,
                                                            "Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        cookie = self._session(answer, cookie)
        conn.request("GET", "/upload", headers={"Cookie": cookie})
        answer = conn.getresponse()
        token = CSRF_RE.search(answer.read().decode()).group(1)
        cookie = self._session(answer, cookie)
        conn.close()
        return cookie, token

    def headers(self, **more) -> dict:
        return {"Cookie": self.cookie, "X-CSRFToken": self.token, **more}

    def request(self, method: str, path: str, body: bytes = b"", conn=None, **headers):
        own = conn is None
        conn = conn or self.connect()
        conn.request(method, path, body=body, headers=self.headers(**headers))
        answer = conn.getresponse()
        payload = answer.read()
        if own:
            conn.close()
        return answer.status, dict(answer.getheaders()), payload

    def create(self, size: int, name: str = "race.wav") -> str:
        import json

        status, _, payload = self.request("POST", "/uploads", json.dumps({"name": name, "size": size, "show": "kpu"})
                                          .encode(), **{"Content-Type": "application/json"})
        assert status == 201, payload
        return json.loads(payload)["id"]

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def live(workspace):
    server = Live(workspace, upload_max_open=1000, upload_max_open_gib=1000.0)
    yield server
    server.close()


def _patch_at_once(live: Live, upload_id: str, start: int, bodies: list[bytes]) -> list[tuple[int, dict]]:
    """PATCH each body at `start` at the same moment: every request is sent but for its last byte, then the last
    bytes go together (Waitress hands a request to the app only once its body is complete)."""
    barrier = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)

    def one(index: int, body: bytes) -> None:
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=60)
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in live.headers(**{
                "Upload-Offset": str(start), "Content-Length": str(len(body)),
                "Content-Type": "application/offset+octet-stream"}).items())
            sock.sendall(f"PATCH /uploads/{upload_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode()
                         + body[:-1])
            barrier.wait(timeout=60)
            sock.sendall(body[-1:])
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            answer.read()
            answers[index] = (answer.status, dict(answer.getheaders()))
        finally:
            sock.close()

    threads = [threading.Thread(target=one, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# -- item 1: one writer per upload ---------------------------------------------------------------------

def test_two_patches_at_the_same_offset_one_is_stored_the_other_gets_409(live):
    """Two 8 MB PATCHes at offset 0 of a 16 MB upload, released together, 12 rounds: every round exactly one is
    stored (204) and the other is told the stored offset (409); the file holds exactly the winner's bytes."""
    first, second = os.urandom(8 * MB), os.urandom(8 * MB)
    for round_ in range(12):
        upload_id = live.create(16 * MB)
        answers = _patch_at_once(live, upload_id, 0, [first, second])
        statuses = sorted(status for status, _ in answers)
        assert statuses == [204, 409], f"round {round_}: {statuses}"
        winner = first if answers[0][0] == 204 else second
        loser_headers = answers[1][1] if answers[0][0] == 204 else answers[0][1]
        assert loser_headers["Upload-Offset"] == str(8 * MB), f"round {round_}"
        _, head, _ = live.request("HEAD", f"/uploads/{upload_id}")
        assert head["Upload-Offset"] == str(8 * MB), f"round {round_}"
        [stored] = data_files(live.web.workspace, "race.wav")
        assert digest(stored.read_bytes()) == digest(winner), f"round {round_}: the stored bytes are not one chunk"
        shutil.rmtree(live.web.workspace.root / ".studio/uploads" / upload_id)


def _resume_like_upload_js(live: Live, upload_id: str, data: bytes, chunk: int, start: threading.Barrier,
                           out: list, index: int) -> None:
    """What upload.js does in one tab: ask the offset, send chunks, follow 409s, until the 202."""
    conn = live.connect()
    try:
        start.wait(timeout=60)
        _, head, _ = live.request("HEAD", f"/uploads/{upload_id}", conn=conn)
        offset = int(head["Upload-Offset"])
        for _ in range(4 * len(data) // chunk + 20):  # each chunk at most a few times: a client that never ends fails
            if offset > len(data):
                out[index] = ("past the end", offset)
                return
            body = data[offset:offset + chunk]
            status, headers, payload = live.request(
                "PATCH", f"/uploads/{upload_id}", body, conn=conn, **{
                    "Upload-Offset": str(offset), "Upload-Checksum": sha256_header(body),
                    "Content-Type": "application/offset+octet-stream"})
            if status in (204, 409):
                offset = int(headers["Upload-Offset"])
                continue
            out[index] = (status, payload)
            return
        out[index] = ("never finished", offset)
    finally:
        conn.close()


def test_two_tabs_resuming_one_upload_store_the_file_exactly(live):
    """Two tabs resume the same upload (upload.js shares its id through localStorage): both end at the same
    ingest job, and the stored file is the source, byte for byte."""
    import json

    data = os.urandom(6 * MB)
    for round_ in range(4):
        upload_id = live.create(len(data))
        barrier = threading.Barrier(2)
        out: list = [None, None]
        threads = [threading.Thread(target=_resume_like_upload_js, args=(live, upload_id, data, 256 * 1024, barrier,
                                                                         out, i)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [status for status, _ in out] == [202, 202], f"round {round_}: {out}"
        first, second = (json.loads(payload) for _, payload in out)
        assert first["job"] and first["job"] == second["job"] and first["status"] == second["status"]
        [stored] = data_files(live.web.workspace, "race.wav") or [None]
        assert stored is not None, f"round {round_}: nothing stored"
        got = stored.read_bytes()
        assert (len(got), digest(got)) == (len(data), digest(data)), f"round {round_}: the stored file is not the source"
        assert [j.id for j in open_queue(live.web.workspace).jobs() if j.stage == "ingest"].count(first["job"]) == 1
        shutil.rmtree(live.web.workspace.root / ".studio/uploads" / upload_id)


def _upload(client, token, data: bytes, name: str = "rekaman.wav", **fields) -> str:
    answer = client.post("/uploads", json={"name": name, "size": len(data), "show": "kpu", **fields},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _patch(client, token, upload_id: str, offset: int, body: bytes, **headers):
    return client.patch(f"/uploads/{upload_id}", data=body,
                        headers={"Upload-Offset": str(offset), "X-CSRFToken": token, **headers})


def test_a_lost_answer_to_the_last_chunk_gets_the_same_success_when_asked_again(web, tmp_path):
    data = g.encode(g.speech(3.0), tmp_path / "Rapat pleno.wav").read_bytes()
    client = web.client("producer")
    token = web.csrf(client)
    upload_id = _upload(client, token, data, name="Rapat pleno.wav", title="Rapat pleno", recorded_on="2024-05-02")
    half = len(data) // 2
    assert _patch(client, token, upload_id, 0, data[:half]).status_code == 204
    last = _patch(client, token, upload_id, half, data[half:])
    assert last.status_code == 202
    success = last.get_json()
    # The answer is lost. The browser asks the offset (HEAD), or sends the last chunk again, or an empty PATCH.
    head = client.open(f"/uploads/{upload_id}", method="HEAD")
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(len(data))
    again = _patch(client, token, upload_id, half, data[half:])
    assert again.status_code == 409 and again.headers["Upload-Offset"] == str(len(data))
    again = _patch(client, token, upload_id, len(data), b"")
    assert again.status_code == 202 and again.get_json() == success
    # Even after the ingest job ran (and took the bytes): the same job, and it made the episode.
    assert run_next_job(web.workspace).state == "done"
    again = _patch(client, token, upload_id, len(data), b"")
    assert again.status_code == 202 and again.get_json() == success, again.get_data(as_text=True)[:300]
    status = client.get(success["status"]).get_json()
    assert status["state"] == "done" and status["episode"] == "kpu/2024-05-02-rapat-pleno"
    assert [j.stage for j in open_queue(web.workspace).jobs()] == ["process", "ingest"]  # one ingest, no second
    assert data_files(web.workspace) == []  # the bytes went with ingest


def test_a_chunk_with_a_wrong_checksum_is_not_stored(web):
    client = web.client("producer")
    token = web.csrf(client)
    data = os.urandom(300_000)
    upload_id = _upload(client, token, data)
    wrong = _patch(client, token, upload_id, 0, data[:100_000], **{"Upload-Checksum": sha256_header(b"other")})
    assert wrong.status_code == 460 and "rusak" in wrong.get_json()["error"]
    assert client.open(f"/uploads/{upload_id}", method="HEAD").headers["Upload-Offset"] == "0"
    bad = _patch(client, token, upload_id, 0, data[:100_000], **{"Upload-Checksum": "md5 xyz"})
    assert bad.status_code == 400 and "sha256" in bad.get_json()["error"]
    right = _patch(client, token, upload_id, 0, data[:100_000], **{"Upload-Checksum": sha256_header(data[:100_000])})
    assert right.status_code == 204 and right.headers["Upload-Offset"] == "100000"


def test_a_file_whose_whole_checksum_does_not_match_is_never_ingested(web):
    client = web.client("producer")
    token = web.csrf(client)
    data = os.urandom(200_000)
    upload_id = _upload(client, token, data, checksum=sha256_header(data[:-1] + b"x"))
    assert _patch(client, token, upload_id, 0, data[:100_000]).status_code == 204
    last = _patch(client, token, upload_id, 100_000, data[100_000:])
    assert last.status_code == 460 and "checksum" in last.get_json()["error"]
    assert open_queue(web.workspace).jobs() == []  # nothing ingested
    assert client.open(f"/uploads/{upload_id}", method="HEAD").status_code == 404
    assert data_files(web.workspace) == []
    # the right one goes through
    upload_id = _upload(client, token, data, checksum=sha256_header(data))
    assert _patch(client, token, upload_id, 0, data).status_code == 202
    assert [j.stage for j in open_queue(web.workspace).jobs()] == ["ingest"]


def test_the_ingest_job_refuses_a_file_that_is_not_the_declared_size(web, tmp_path):
    data = g.encode(g.speech(2.0), tmp_path / "a.wav").read_bytes()
    client = web.client("producer")
    token = web.csrf(client)
    upload_id = _upload(client, token, data)
    assert _patch(client, token, upload_id, 0, data).status_code == 202
    [stored] = data_files(web.workspace, "rekaman.wav")
    with open(stored, "ab") as f:  # a writer outside the protocol
        f.write(b"\0" * 594_748)
    job = run_next_job(web.workspace)
    assert job.state == "failed" and "declared" in job.error and "\n" not in job.error
    assert web.workspace.episode_ids() == []


# -- item 7: old uploads, a full disk, limits, upload.json ------------------------------------------------

def test_old_uploads_are_removed_by_an_injected_clock(workspace, tmp_path):
    clock = [time.time()]  # the ingest job records when it ended by the real clock
    web = make_web(workspace, STUDIO_CLOCK=lambda: clock[0])
    client = web.client("producer")
    token = web.csrf(client)
    uploads_dir = workspace.root / ".studio/uploads"
    abandoned = _upload(client, token, os.urandom(1000))
    assert _patch(client, token, abandoned, 0, os.urandom(500)).status_code == 204
    data = g.encode(g.speech(2.0), tmp_path / "a.wav").read_bytes()
    ingested = _upload(client, token, data, title="satu")
    assert _patch(client, token, ingested, 0, data).status_code == 202
    assert run_next_job(workspace).state == "done"  # its bytes are gone; its record is kept a while
    other = g.encode(g.speech(2.5, seed=3), tmp_path / "b.wav").read_bytes()
    queued = _upload(client, token, other, title="dua")
    assert _patch(client, token, queued, 0, other).status_code == 202  # its ingest job is still queued

    clock[0] += 23 * HOUR  # not old yet
    fresh = _upload(client, token, os.urandom(1000))
    assert {p.name for p in uploads_dir.iterdir() if p.is_dir()} == {abandoned, ingested, queued, fresh}
    clock[0] += 2 * HOUR  # 25 h: the abandoned one and the ingested one's record go; the queued one stays
    _upload(client, token, os.urandom(1000))
    left = {p.name for p in uploads_dir.iterdir() if p.is_dir()}
    assert abandoned not in left and ingested not in left and {queued, fresh} <= left
    assert client.open(f"/uploads/{abandoned}", method="HEAD").status_code == 404
    # `studio web` starting cleans too (the fresh one is 24+ h old by then)
    clock[0] += 25 * HOUR
    create_app(workspace, {"STUDIO_CLOCK": lambda: clock[0]})
    assert fresh not in {p.name for p in uploads_dir.iterdir()}
    assert queued in {p.name for p in uploads_dir.iterdir()}  # its job still waits for a worker


def test_upload_expiry_is_a_setting(workspace):
    clock = [1_000_000_000.0]
    web = make_web(workspace, STUDIO_CLOCK=lambda: clock[0], upload_expire_hours=1.0)
    client = web.client("producer")
    token = web.csrf(client)
    old = _upload(client, token, os.urandom(1000))
    clock[0] += 1.5 * HOUR
    _upload(client, token, os.urandom(1000))
    assert client.open(f"/uploads/{old}", method="HEAD").status_code == 404


def test_a_server_with_no_new_upload_still_cleans_old_ones(workspace):
    """Periodically, not only on a new upload: the first request an hour after the last sweep sweeps."""
    clock = [1_000_000_000.0]
    web = make_web(workspace, STUDIO_CLOCK=lambda: clock[0], upload_expire_hours=1.0)
    client = web.client("producer")
    old = _upload(client, web.csrf(client), os.urandom(1000))
    clock[0] += 1.5 * HOUR
    assert client.get("/episodes").status_code == 200  # any page: no upload is made
    assert old not in {p.name for p in (workspace.root / ".studio/uploads").iterdir()}


def _dev_full(_path: Path):
    """The kernel's always-full device, opened instead of an upload's data file: writes fail with ENOSPC."""
    return open("/dev/full", "ab")  # the caller closes it, as it would its data file


class SmallDisk:
    """A workspace on a 6 MB tmpfs (a skip where this machine cannot mount one), or on the ordinary disk with
    the stand-in: from fill() on, uploads append to the kernel's always-full /dev/full."""

    def __init__(self, root: Path, monkeypatch=None):
        self.root, self._monkeypatch = root, monkeypatch
        self.private = monkeypatch is None  # the tmpfs is this test's alone; the ordinary disk is shared

    def fill(self) -> None:
        if self._monkeypatch is not None:
            self._monkeypatch.setattr("studio.fsutil.open_for_appending", _dev_full)

    def free(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize


@pytest.fixture(params=["tmpfs", "stand-in"])
def small_disk(request, tmp_path: Path, monkeypatch):
    if request.param == "stand-in":
        yield SmallDisk(tmp_path, monkeypatch)
        return
    if not shutil.which("mount"):
        pytest.skip("cannot mount a tmpfs here: no mount command (the stand-in runs instead)")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount failed'} (the stand-in runs "
                    "instead)")
    try:
        yield SmallDisk(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.mark.parametrize("lang, words", [("id", "Disk server penuh"), ("en", "disk is full")])
def test_a_full_disk_during_an_upload_says_so_and_removes_the_partial(small_disk, lang, words):
    ws = init_workspace(small_disk.root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU")
    web = make_web(ws, lang=lang)
    client = web.client("producer")
    token = web.csrf(client)
    before = small_disk.free()
    upload_id = _upload(client, token, b"x" * (16 * MB))
    assert _patch(client, token, upload_id, 0, os.urandom(MB)).status_code == 204
    small_disk.fill()
    answer = None
    for offset in range(MB, 16 * MB, MB):  # on the tmpfs: until it is full
        answer = _patch(client, token, upload_id, offset, os.urandom(MB))
        if answer.status_code != 204:
            break
    assert answer.status_code == 507 and answer.is_json, answer.get_data(as_text=True)[:200]
    assert words in answer.get_json()["error"]
    assert "/" not in answer.get_json()["error"] and "Errno" not in answer.get_json()["error"]
    assert client.open(f"/uploads/{upload_id}", method="HEAD").status_code == 404  # the partial is gone
    assert data_files(ws) == []
    if small_disk.private:  # the disk has its room back (on a shared disk other processes move the figure)
        assert small_disk.free() >= before - 256 * 1024


def test_a_producer_cannot_open_uploads_without_end(web):
    client = web.client("producer")
    token = web.csrf(client)
    accepted = 0
    answer = None
    for _ in range(300):  # the probe: 300 uploads of 4 GiB
        answer = client.post("/uploads", json={"name": "a.wav", "size": 4 * 1024**3, "show": "kpu"},
                             headers={"X-CSRFToken": token})
        if answer.status_code != 201:
            break
        accepted += 1
    assert accepted == 5 and answer.status_code == 429  # 20 GiB of open uploads by default
    assert "20 GiB" in answer.get_json()["error"] and "Selesaikan" in answer.get_json()["error"]
    # another producer is not held back by this one
    other = web.login("prod2")
    assert _upload(other, web.csrf(other), b"x" * 10)


def test_the_number_of_open_uploads_is_limited(workspace):
    web = make_web(workspace, upload_max_open=2, lang="en")
    client = web.client("producer")
    token = web.csrf(client)
    data = os.urandom(1000)
    first = _upload(client, token, data)
    _upload(client, token, data)
    refused = client.post("/uploads", json={"name": "a.wav", "size": 10, "show": "kpu"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 429 and "2 unfinished uploads" in refused.get_json()["error"]
    assert _patch(client, token, first, 0, data).status_code == 202  # a finished one no longer counts
    assert _upload(client, token, data)


def test_a_file_named_upload_json_is_uploaded_and_ingested(web, tmp_path):
    data = g.encode(g.speech(2.0), tmp_path / "a.wav").read_bytes()
    client = web.client("producer")
    token = web.csrf(client)
    upload_id = _upload(client, token, data, name="upload.json", title="Berkas aneh", recorded_on="2024-07-01")
    half = len(data) // 2
    assert _patch(client, token, upload_id, 0, data[:half]).status_code == 204
    last = _patch(client, token, upload_id, half, data[half:])
    assert last.status_code == 202, last.get_data(as_text=True)[:300]
    job = run_next_job(web.workspace)
    assert job.state == "done", job.error
    episode = web.workspace.episode("kpu/2024-07-01-berkas-aneh")
    stored = web.workspace.episode_dir(episode.id) / episode.original
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


# -- item 8: the queue away when the last byte comes --------------------------------------------------

@pytest.mark.workers
def test_the_last_chunk_with_redis_down_is_kept_and_enqueued_when_redis_is_back(workspace, tmp_path):
    from test_workers import Redis, broker_workspace

    need_program("redis-server", "install Debian's redis-server (apt-get install redis-server), as .ci/run does")
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = Redis(folder)
    redis.start()
    try:
        broker_workspace(workspace, redis.url)
        web = make_web(workspace)
        client = web.client("producer")
        token = web.csrf(client)
        data = os.urandom(300_000)
        upload_id = _upload(client, token, data)
        assert _patch(client, token, upload_id, 0, data[:100_000]).status_code == 204
        redis.stop()
        last = _patch(client, token, upload_id, 100_000, data[100_000:])
        assert last.status_code == 202, last.get_data(as_text=True)[:300]
        answer = last.get_json()
        assert answer["waiting"] and "antrean" in answer["message"] and answer["job"] is None
        assert client.get(answer["status"]).get_json()["state"] == "waiting"
        assert client.open(f"/uploads/{upload_id}", method="HEAD").headers["Upload-Offset"] == str(len(data))
        [stored] = data_files(workspace, "rekaman.wav")
        assert digest(stored.read_bytes()) == digest(data)  # kept
        redis.start()  # the same port and data folder
        status = client.get(answer["status"]).get_json()
        assert status["state"] == "queued", status
        jobs = open_queue(workspace).jobs()
        assert [(j.stage, j.params["upload"]) for j in jobs] == [("ingest", f".studio/uploads/{upload_id}")]
        again = _patch(client, token, upload_id, len(data), b"")
        assert again.status_code == 202 and again.get_json()["job"] == jobs[0].id
        assert len(open_queue(workspace).jobs()) == 1
    finally:
        redis.stop()


# -- the page itself ----------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.workers
@pytest.mark.model  # the local worker goes on to process the episode
def test_the_page_sends_checksums_and_survives_a_lost_last_answer(workspace, browser, tmp_path):
    """In Chromium: every chunk carries its sha256; the answer to the last chunk is lost (the server got it);
    the page asks again and shows the episode."""
    from studio.jobs import start_local_workers

    live = Live(workspace, STUDIO_UPLOAD_CHUNK=64 * 1024)
    workers = start_local_workers(workspace, count=1)
    source = g.encode(g.speech(4.0), tmp_path / "Debat kandidat.wav")
    size = source.stat().st_size
    seen: list[dict] = []
    lost: list[int] = []

    def lose_the_last_answer(route):
        request = route.request
        if request.method == "PATCH":
            seen.append(request.headers)
            end = int(request.headers["upload-offset"]) + len(request.post_data_buffer or b"")
            if end == size and not lost:
                lost.append(route.fetch().status)  # the server stores it and answers; the browser never hears
                route.abort("connectionreset")
                return
        route.continue_()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{live.port}/login")
        page.fill("#name", "prod")
        page.fill("#password", PASSWORDS["prod"])
        page.click("button[type=submit]")
        page.route("**/uploads/*", lose_the_last_answer)
        page.goto(f"http://127.0.0.1:{live.port}/upload")
        page.fill("#title", "Debat kandidat")
        page.fill("#recorded_on", "2024-06-01")
        page.set_input_files("#file", str(source))
        page.click("#upload-button")
        page.wait_for_selector("#upload-status a", timeout=90_000)
        assert lost == [202]
        assert seen and all(h.get("upload-checksum", "").startswith("sha256 ") for h in seen)
        assert "kpu/2024-06-01-debat-kandidat" in page.inner_text("#upload-status")
        assert [j.stage for j in open_queue(workspace).jobs() if j.stage == "ingest"] == ["ingest"]
    finally:
        context.close()
        workers.stop()
        live.close()
