"""The web app's core: sign-in, roles, CSRF, lockout, security headers, upload, users, approval."""

from __future__ import annotations

import hashlib
import json
import re

import audiogen as g
import pytest
from click.testing import CliRunner
from conftest import add_fake_episode
from webutil import BY_ROLE, run_next_job

from studio.cli import cli
from studio.jobs import open_queue
from studio.web.strings import STRINGS, translate
from studio.workspace import approval, audit
from studio.workspace.config import with_changes
from studio.workspace.users import MAX_FAILURES, add_user, authenticate

pytest_plugins = ["webutil"]  # the `web` fixture

# Every route with the roles allowed on it: tests below visit each with each role.
EPISODE = "kpu/2024-01-10-dpt"


def routes(app):
    """(rule, methods, roles) of every role-checked route, with placeholders filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "roles", None)
        if roles is None:
            continue
        path = (rule.rule.replace("<path:episode_id>", EPISODE).replace("<upload_id>", "x" * 24)
                .replace("<job_id>", "1").replace("<name>", "nobody").replace("<int:index>", "0")
                .replace("<kind>", "pdf"))
        for method in sorted(rule.methods - {"OPTIONS"}):
            found.append((path, method, roles))
    return found


def test_every_page_route_checks_its_role(web):
    add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt")
    checked = routes(web.app)
    assert len(checked) >= 15
    anonymous = web.anonymous()
    anonymous_token = {"X-CSRFToken": web.csrf(anonymous)}
    for path, method, roles in checked:
        answer = anonymous.open(path, method=method, headers=anonymous_token)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], (path, method)
        for role in ("producer", "scheduler", "admin"):
            client = web.client(role)
            headers = {"X-CSRFToken": web.csrf(client)}
            answer = client.open(path, method=method, headers=headers)
            if role in roles:
                assert answer.status_code != 403, (role, path, method)
            else:
                assert answer.status_code == 403, (role, path, method, answer.status_code)


def test_each_role_lands_on_its_page_and_sees_only_its_navigation(web):
    for role, home in (("producer", "/episodes"), ("scheduler", "/radio"), ("admin", "/users")):
        client = web.anonymous()
        token = web.csrf(client)
        name = BY_ROLE[role]
        from webutil import PASSWORDS
        answer = client.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token})
        assert answer.headers["Location"].endswith(home)
        html = client.get(home).get_data(as_text=True)
        assert ("/users" in html) == (role == "admin")
        assert ("/radio" in html) == (role == "scheduler")


def test_state_changing_requests_need_the_csrf_token(web):
    client = web.client("admin")
    answer = client.post("/users", data={"name": "baru", "role": "producer"})
    assert answer.status_code == 400
    assert "kedaluwarsa" in answer.get_data(as_text=True)
    assert "baru" not in [u for u in json.loads((web.workspace.root / ".studio/users.json").read_text())]
    answer = client.post("/users", data={"name": "baru", "role": "producer", "csrf_token": web.csrf(client)})
    assert answer.status_code == 200
    assert "baru" in json.loads((web.workspace.root / ".studio/users.json").read_text())
    anonymous = web.anonymous()
    assert anonymous.post("/login", data={"name": "prod", "password": "produser-rahasia-1"}).status_code == 400


def test_five_wrong_passwords_lock_the_login(web):
    client = web.anonymous()
    token = web.csrf(client)
    for _ in range(MAX_FAILURES):
        answer = client.post("/login", data={"name": "prod", "password": "salah-salah-salah", "csrf_token": token})
        assert answer.status_code == 401
    answer = client.post("/login", data={"name": "prod", "password": "produser-rahasia-1", "csrf_token": token})
    assert answer.status_code == 429
    assert "Terlalu banyak" in answer.get_data(as_text=True)
    entries = [e.action for e in audit.read(web.workspace)]
    assert "login.locked" in entries and entries.count("login.failed") == MAX_FAILURES
    # after the lockout the right password works again
    import time
    assert authenticate(web.workspace, "prod", "produser-rahasia-1", now=time.time() + 3600) is not None


def test_security_headers_and_cookies(web):
    client = web.anonymous()
    answer = client.get("/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    cookie = answer.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = web.app.test_client().get("/login", base_url="https://studio.example")
    assert "Secure" in secure.headers["Set-Cookie"]
    html = web.client("producer").get("/episodes").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"


def test_login_does_not_follow_a_foreign_next(web):
    from webutil import PASSWORDS
    client = web.anonymous()
    token = web.csrf(client)
    answer = client.post("/login?next=//evil.example/x", data={"name": "prod", "password": PASSWORDS["prod"],
                                                              "csrf_token": token})
    assert answer.headers["Location"].endswith("/episodes")


def test_strings_catalogue_is_complete_and_english_works(web, workspace):
    assert set(STRINGS["id"]) == set(STRINGS["en"])
    html = web.client("producer").get("/episodes").get_data(as_text=True)
    assert 'lang="id"' in html and "Pekerjaan" in html
    from studio.web import create_app
    english = create_app(workspace, {"TESTING": True, "lang": "en"}).test_client().get("/login")
    assert 'lang="en"' in english.get_data(as_text=True) and "Sign in" in english.get_data(as_text=True)


def test_episode_ids_cannot_leave_the_workspace(web):
    client = web.client("producer")
    for path in ("/episodes/../studio.toml/", "/episodes/kpu/../../etc/", "/episodes/kpu/..%2F..%2Fx/",
                 "/episodes/state/../../studio.toml", "/episodes/kpu/.studio/"):
        assert client.get(path).status_code in (404, 308), path
    assert client.open("/uploads/../../x", method="HEAD").status_code == 404


# -- upload ---------------------------------------------------------------------------------------

def _upload(client, token, data: bytes, name: str = "rekaman.wav", **fields):
    answer = client.post("/uploads", json={"name": name, "size": len(data), "show": "kpu", **fields},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _bytes_left(workspace) -> list:
    """Uploaded bytes still in the workspace (an upload's data/ folder)."""
    return [p for p in (workspace.root / ".studio/uploads").rglob("*") if p.is_file() and p.parent.name == "data"]


def test_upload_resumes_after_a_dropped_connection_and_ingests(web, tmp_path):
    source = g.encode(g.speech(4.0), tmp_path / "Sosialisasi DPT.wav")
    data = source.read_bytes()
    client = web.client("producer")
    token = web.csrf(client)
    upload_id = _upload(client, token, data, name=source.name, title="DPT dan pemilih pindahan",
                        recorded_on="2024-03-01")
    half = len(data) // 2
    answer = client.patch(f"/uploads/{upload_id}", data=data[:half], headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert answer.status_code == 204 and answer.headers["Upload-Offset"] == str(half)
    # the connection "drops": a chunk that starts at the wrong place is refused with the stored offset
    answer = client.patch(f"/uploads/{upload_id}", data=data[half + 10:], headers={"Upload-Offset": str(half + 10),
                                                                                  "X-CSRFToken": token})
    assert answer.status_code == 409 and answer.headers["Upload-Offset"] == str(half)
    head = client.open(f"/uploads/{upload_id}", method="HEAD")
    assert head.headers["Upload-Offset"] == str(half) and head.headers["Upload-Length"] == str(len(data))
    answer = client.patch(f"/uploads/{upload_id}", data=data[half:], headers={"Upload-Offset": str(half),
                                                                             "X-CSRFToken": token})
    assert answer.status_code == 202, answer.get_json()  # the checks are a job's: the request decodes nothing
    status_url = answer.get_json()["status"]
    assert client.get(status_url).get_json()["state"] == "queued"
    ingested = run_next_job(web.workspace)
    assert ingested.stage == "ingest" and ingested.state == "done", ingested.error
    status = client.get(status_url).get_json()
    episode_id = status["episode"]
    assert episode_id == "kpu/2024-03-01-dpt-dan-pemilih-pindahan" and status["url"] == f"/episodes/{episode_id}/"
    episode = web.workspace.episode(episode_id)
    stored = web.workspace.episode_dir(episode_id) / episode.original
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert approval.read_approval(web.workspace, episode_id).uploaded_by == "prod"
    jobs = open_queue(web.workspace).jobs()
    assert [(j.stage, j.episode, j.state) for j in jobs] == [("process", episode_id, "queued"),
                                                             ("ingest", episode_id, "done")]
    assert _bytes_left(web.workspace) == []  # the recording's bytes went with ingest; a small record stays a while
    # another producer cannot see or touch someone's upload
    other = web.login("prod2")
    other_id = _upload(client, token, b"x" * 10)
    assert other.open(f"/uploads/{other_id}", method="HEAD").status_code == 404
    html = client.get("/episodes").get_data(as_text=True)
    assert "DPT dan pemilih pindahan" in html and "menunggu" in html


def test_upload_of_something_not_audio_is_refused_in_one_line_and_nothing_is_kept(web):
    client = web.client("producer")
    token = web.csrf(client)
    data = b"%PDF-1.4 this is not a recording\n" * 100
    upload_id = _upload(client, token, data, name="laporan.pdf")
    answer = client.patch(f"/uploads/{upload_id}", data=data, headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert answer.status_code == 202
    assert run_next_job(web.workspace).state == "failed"
    status = client.get(answer.get_json()["status"]).get_json()
    error = status["error"]
    assert status["state"] == "failed" and status["episode"] is None
    assert "\n" not in error and error == translate("id", "recording.unreadable")  # the page's words, no path
    assert open_queue(web.workspace).jobs()[0].exit_code == 2  # bad input, as `studio ingest` says it
    assert web.workspace.episode_ids() == []
    assert _bytes_left(web.workspace) == []
    assert not list(web.workspace.episodes_dir.rglob("*.pdf"))


def test_upload_limits(web):
    client = web.client("producer")
    token = web.csrf(client)
    too_big = client.post("/uploads", json={"name": "a.wav", "size": 4 * 1024**3 + 1, "show": "kpu"},
                          headers={"X-CSRFToken": token})
    assert too_big.status_code == 413
    unknown_show = client.post("/uploads", json={"name": "a.wav", "size": 10, "show": "nope"},
                               headers={"X-CSRFToken": token})
    assert unknown_show.status_code == 400 and unknown_show.get_json()["error"] == translate("id", "show.unknown").format(name="nope")
    upload_id = _upload(client, token, b"x" * 10, name="../../../etc/passwd")
    folder = web.workspace.root / ".studio/uploads" / upload_id
    assert [p.name for p in (folder / "data").iterdir()] == ["passwd"]
    more = client.patch(f"/uploads/{upload_id}", data=b"y" * 11, headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert more.status_code == 413


# -- approval -------------------------------------------------------------------------------------

def _requiring_approval(workspace):
    workspace.save_show(with_changes(workspace.show("kpu"), require_approval=True))


def test_four_eyes_in_the_web_app(web):
    _requiring_approval(web.workspace)
    episode = add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt")
    approval.record_uploader(web.workspace, episode, "prod")
    uploader = web.client("producer")
    answer = uploader.post(f"/episodes/approve/{episode.id}", data={"csrf_token": web.csrf(uploader)},
                           follow_redirects=True)
    assert translate("id", "approve.own_upload").format(name="prod") in answer.get_data(as_text=True)
    assert not approval.read_approval(web.workspace, episode.id).covers(episode)
    second = web.login("prod2")
    second.post(f"/episodes/approve/{episode.id}", data={"csrf_token": web.csrf(second)})
    assert approval.read_approval(web.workspace, episode.id).approved_by == "prod2"
    assert ("prod2", "approve", episode.id) in [(e.user, e.action, e.target) for e in audit.read(web.workspace)]


def test_four_eyes_in_the_cli_and_publish_waits_for_it(workspace, tmp_path):
    _requiring_approval(workspace)
    episode = add_fake_episode(workspace, "kpu", "2024-01-10-dpt")
    approval.record_uploader(workspace, episode, "ani")
    add_user(workspace, "ani", "producer", "rahasia-ani-123")
    add_user(workspace, "budi", "producer", "rahasia-budi-123")
    add_user(workspace, "sari", "scheduler", "rahasia-sari-123")
    runner = CliRunner()
    base = ["--workspace", str(workspace.root)]
    published = runner.invoke(cli, [*base, "publish", "--to", str(tmp_path / "out"), "--radio-to", str(tmp_path / "radio")])
    assert published.exit_code == 0, published.output
    assert f"{episode.id}: not published, waiting for approval" in published.output
    assert not (tmp_path / "out/media/kpu/2024-01-10-dpt.mp3").exists()
    for who, message in (("ani", "another producer must approve"), ("sari", "is not a producer")):
        refused = runner.invoke(cli, [*base, "approve", episode.id, "--by", who])
        assert refused.exit_code == 2 and message in refused.output
    assert runner.invoke(cli, [*base, "approve", episode.id, "--by", "budi"]).exit_code == 0
    published = runner.invoke(cli, [*base, "publish", "--to", str(tmp_path / "out"), "--radio-to", str(tmp_path / "radio")])
    assert published.exit_code == 0, published.output
    assert (tmp_path / "out/media/kpu/2024-01-10-dpt.mp3").exists()


def test_user_add_prints_a_password_or_reads_one(workspace):
    runner = CliRunner()
    base = ["--workspace", str(workspace.root)]
    made = runner.invoke(cli, [*base, "user", "add", "ani", "--role", "producer"])
    assert made.exit_code == 0
    password = made.stdout.strip().splitlines()[0]
    assert authenticate(workspace, "ani", password).role == "producer"
    assert password not in (workspace.root / ".studio/users.json").read_text()
    given = runner.invoke(cli, [*base, "user", "add", "budi", "--role", "admin", "--password-stdin"],
                          input="kata-sandi-budi\n")
    assert given.exit_code == 0 and authenticate(workspace, "budi", "kata-sandi-budi").role == "admin"
    bad = runner.invoke(cli, [*base, "user", "add", "cici", "--role", "boss"])
    assert bad.exit_code == 2


# -- jobs, radio, users pages ---------------------------------------------------------------------

def test_episodes_show_live_progress_and_failures_and_jobs_can_be_retried(web):
    first = add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt", title="DPT")
    second = add_fake_episode(web.workspace, "kpu", "2024-02-01-tps", title="TPS")
    queue = open_queue(web.workspace)
    running = queue.enqueue("process", episode=first.id)
    failed = queue.enqueue("process", episode=second.id)
    assert queue.claim("test:1").id == running.id
    queue.set_progress(running.id, 0.42)
    assert queue.claim("test:1").id == failed.id
    queue.finish(failed.id, error=f"{second.id}: original recording original.wav is missing", exit_code=1)
    client = web.client("producer")
    html = client.get("/episodes").get_data(as_text=True)
    assert 'value="0.42"' in html and "hx-trigger=\"every 2s\"" in html
    assert translate("id", "episode.no_original") in html
    failed_only = client.get("/episodes?state=failed").get_data(as_text=True)
    assert "TPS" in failed_only and ">DPT<" not in failed_only
    cell = client.get(f"/episodes/state/{first.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert cell.startswith("<td") and "diproses" in cell
    jobs_page = client.get("/jobs").get_data(as_text=True)
    assert translate("id", "episode.no_original") in jobs_page and "test:1" in jobs_page
    answer = client.post(f"/jobs/{failed.id}/retry", data={"csrf_token": web.csrf(client)})
    assert answer.status_code == 302
    assert [j.episode for j in queue.jobs(state="queued")] == [second.id]
    assert client.post(f"/jobs/{running.id}/retry", data={"csrf_token": web.csrf(client)}).status_code == 404


def test_radio_page_adds_a_station_token_once_and_revokes_it(web):
    client = web.client("scheduler")
    answer = client.post("/radio/stations", data={"name": "abdi-persada", "csrf_token": web.csrf(client)})
    html = answer.get_data(as_text=True)
    token = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    from studio.radio.stations import hash_token
    assert [s.token_sha256 for s in web.workspace.settings.stations] == [hash_token(token)]
    assert token not in client.get("/radio").get_data(as_text=True)
    client.post("/radio/stations/abdi-persada/revoke", data={"csrf_token": web.csrf(client)})
    assert web.workspace.settings.stations == ()
    assert ("sched", "station.revoke", "abdi-persada") in [(e.user, e.action, e.target)
                                                           for e in audit.read(web.workspace)]


def test_users_page_adds_a_user_with_a_one_time_password(web):
    client = web.client("admin")
    html = client.post("/users", data={"name": "dewi", "role": "scheduler",
                                       "csrf_token": web.csrf(client)}).get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    assert authenticate(web.workspace, "dewi", password).role == "scheduler"
    assert client.post("/users/admin/remove", data={"csrf_token": web.csrf(client)}).status_code == 400


@pytest.mark.workers
def test_studio_web_serves_with_waitress_and_stops_its_workers(workspace, tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from conftest import free_port, stop, wait_for_port

    repo = Path(__file__).resolve().parents[1]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(repo)}
    log = tmp_path / "web.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(workspace.root), "web",
                                   "--port", str(port), "--workers", "1"], env=env, stdout=out, stderr=out)
    children = []
    try:
        wait_for_port(port, server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login") as answer:
            assert answer.status == 200
            assert answer.headers["Server"] == "studio"
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
            assert "Masuk" in answer.read().decode()
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert children, "no local worker process"
    finally:
        stop(server)
    output = log.read_text()
    assert f"studio web on http://127.0.0.1:{port}/" in output

    def running(pid: str) -> bool:
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 20  # a safety net for a loaded machine, not a claim about speed
    while any(running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in children if running(pid)]
    for pid in left:  # do not leave them running when the assertion fails
        os.kill(int(pid), 9)
    assert not left, "local workers outlived studio web"


def test_the_index_sees_new_edited_and_removed_episodes(workspace):
    import shutil

    from studio.workspace.index import EpisodeIndex as Catalog

    add_fake_episode(workspace, "kpu", "2024-01-10-dpt", title="DPT")
    catalog = Catalog(workspace)
    assert [r.title for r in catalog.rows()] == ["DPT"]
    add_fake_episode(workspace, "kpu", "2024-02-01-tps", title="TPS")
    assert [r.title for r in catalog.rows(max_age=3600)] == ["DPT"]  # young enough: from memory
    assert [r.title for r in catalog.rows()] == ["TPS", "DPT"]
    episode = workspace.episode("kpu/2024-01-10-dpt")
    episode.title = "DPT (koreksi)"
    workspace.save_episode(episode)
    assert [r.title for r in catalog.rows()] == ["TPS", "DPT (koreksi)"]
    shutil.rmtree(workspace.episode_dir("kpu/2024-02-01-tps"))
    assert [r.id for r in Catalog(workspace).rows()] == ["kpu/2024-01-10-dpt"]  # a new one starts from the file
