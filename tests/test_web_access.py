"""Sign-in and access (issue 29, items 6, 7, 10, 11): revocable sessions, the same work for unknown names, a
bounded failed-login record that keeps counting on a full disk, a safe `next=`, no-store on pages with a
secret, and users limited to named shows in every page, job and the CLI's --by."""

from __future__ import annotations

import json
import re

import pytest
import requests
from click.testing import CliRunner
from conftest import add_fake_episode
from webutil import CSRF_RE, PASSWORDS, run_next_job
from webutil import served as served_app

from studio.cli import cli
from studio.jobs import open_queue
from studio.workspace import approval, users
from studio.workspace.shows import add_show
from studio.workspace.users import MAX_FAILURES, add_user, authenticate

pytest_plugins = ["webutil"]  # the `web` fixture


# -- sessions: a copied cookie stops working ---------------------------------------------------------

@pytest.fixture
def served(web):
    """The web app under Waitress on a free port (real sockets): its base URL."""
    with served_app(web.app) as base:
        yield base


def _sign_in(base: str, name: str) -> requests.Session:
    session = requests.Session()
    token = CSRF_RE.search(session.get(f"{base}/login").text).group(1)
    answer = session.post(f"{base}/login", data={"name": name, "password": PASSWORDS[name], "csrf_token": token},
                          allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return session


def _with_cookie(base: str, cookie: str, path: str = "/episodes") -> requests.Response:
    """`path` asked by someone else who holds a copy of the session cookie."""
    return requests.get(f"{base}{path}", cookies={"studio_session": cookie}, allow_redirects=False)


def test_a_session_cookie_copied_before_sign_out_does_not_work_after_it(served):
    session = _sign_in(served, "prod")
    copied = session.cookies["studio_session"]
    assert _with_cookie(served, copied).status_code == 200  # the copy works while the session lives
    token = CSRF_RE.search(session.get(f"{served}/episodes").text).group(1)
    assert session.post(f"{served}/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    answer = _with_cookie(served, copied)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert _sign_in(served, "prod").get(f"{served}/episodes", allow_redirects=False).status_code == 200


def test_a_new_password_or_removal_ends_every_session_of_the_user(served, web):
    copied = _sign_in(served, "prod").cookies["studio_session"]
    other = _sign_in(served, "prod2").cookies["studio_session"]
    users.reset_password(web.workspace, "prod", "kata-sandi-baru-1")
    assert _with_cookie(served, copied).status_code == 302
    assert _with_cookie(served, other).status_code == 200  # another user's session is untouched
    users.remove_user(web.workspace, "prod2")
    assert _with_cookie(served, other).status_code == 302


# -- the same work for unknown names ------------------------------------------------------------------

class CountingHasher(users.PasswordHasher):
    def __init__(self):
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash, password):
        self.verified.append(hash)
        return super().verify(hash, password)


def test_a_wrong_password_for_an_unknown_name_costs_the_same_hashing(workspace, monkeypatch):
    from argon2 import extract_parameters

    hasher = CountingHasher()
    monkeypatch.setattr(users, "_hasher", hasher)
    add_user(workspace, "ani", "producer", "rahasia-ani-123")
    assert authenticate(workspace, "ani", "salah-salah-123") is None
    assert authenticate(workspace, "tidak-ada", "salah-salah-123") is None
    known, unknown = hasher.verified
    assert extract_parameters(unknown) == extract_parameters(known)  # the same argon2 work, not a cheaper one


# -- the failed-login record: bounded, and counting on a full disk ------------------------------------

def test_the_failed_login_record_stays_bounded(workspace, monkeypatch):
    monkeypatch.setattr(users, "_hasher", users.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(users, "MAX_UNKNOWN_NAMES", 20, raising=False)
    add_user(workspace, "ani", "producer", "rahasia-ani-123")
    path = workspace.root / ".studio/login-failures.json"
    now = 1_000_000.0
    assert authenticate(workspace, "ani", "salah-salah-123", now=now) is None
    for n in range(60):
        assert authenticate(workspace, f"tamu{n}", "salah-salah-123", now=now + n) is None
    record = json.loads(path.read_text())
    assert len(record) == 21 and record["ani"]["count"] == 1  # the user's count survives the flood
    assert {f"tamu{n}" for n in range(40, 60)} <= set(record)  # the newest unknown names are kept
    later = now + 60 + users.LOCKOUT_S + 1  # quiet for the lockout time: forgotten
    assert authenticate(workspace, "budi", "salah-salah-123", now=later) is None
    assert set(json.loads(path.read_text())) == {"budi"}


def _fill_the_disk(monkeypatch):
    """From here on every file Studio writes (through studio.fsutil) and the audit log get the kernel's own
    ENOSPC: the always-full /dev/full stands in for a full disk."""
    import studio.workspace.audit as audit_mod

    monkeypatch.setattr("studio.fsutil.open_for_writing", lambda path: open("/dev/full", "wb"))  # noqa: SIM115

    def append_to_full_disk(path, line):
        with open("/dev/full", "w") as full:
            full.write(line + "\n")

    monkeypatch.setattr(audit_mod, "append_line", append_to_full_disk)


def test_on_a_full_disk_wrong_passwords_still_answer_and_count_toward_the_lockout(web, monkeypatch):
    client = web.anonymous()
    token = web.csrf(client)
    _fill_the_disk(monkeypatch)
    for _ in range(MAX_FAILURES):
        answer = client.post("/login", data={"name": "prod", "password": "salah-salah-salah", "csrf_token": token})
        assert answer.status_code == 401 and "kata sandi salah" in answer.get_data(as_text=True)
    answer = client.post("/login", data={"name": "prod", "password": PASSWORDS["prod"], "csrf_token": token})
    assert answer.status_code == 429 and "Terlalu banyak" in answer.get_data(as_text=True)
    assert not (web.workspace.root / ".studio/login-failures.json").exists()  # it was in memory only
    # the right password of another user still signs in, and signing out still signs out
    signed_in = web.login("prod2")
    answer = signed_in.post("/logout", data={"csrf_token": web.csrf(signed_in, "/episodes")})
    assert answer.status_code == 302
    assert signed_in.get("/episodes").status_code == 302


# -- next=, and no cache for pages with a secret ------------------------------------------------------

def test_a_next_with_cr_lf_or_another_site_is_ignored(web):
    client = web.anonymous()
    token = web.csrf(client)
    for target in ("/episodes%0d%0aSet-Cookie:%20x=1", "/jobs%0aX:%20y", "/x%09y", "https://evil.example/"):
        answer = client.post(f"/login?next={target}", data={"name": "prod", "password": PASSWORDS["prod"],
                                                            "csrf_token": token})
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/episodes"), target
        assert "x=1" not in answer.headers.get("Set-Cookie", "")
        client.post("/logout", data={"csrf_token": web.csrf(client, "/episodes")})
        token = web.csrf(client)
    answer = client.post("/login?next=/jobs", data={"name": "prod", "password": PASSWORDS["prod"],
                                                    "csrf_token": token})
    assert answer.headers["Location"].endswith("/jobs")  # a plain path on this site is still followed


def test_pages_with_a_one_time_password_or_a_station_token_are_never_cached(web):
    admin = web.client("admin")
    answer = admin.post("/users", data={"name": "dewi", "role": "producer", "csrf_token": web.csrf(admin)})
    assert 'class="secret"' in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    scheduler = web.client("scheduler")
    answer = scheduler.post("/radio/stations", data={"name": "abdi", "csrf_token": web.csrf(scheduler)})
    assert 'class="secret"' in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"


# -- one office, many shows ---------------------------------------------------------------------------

@pytest.fixture
def two_shows(web):
    """Shows `kpu` and `bawaslu` with an episode each; producer `ani` limited to kpu, scheduler `sari` too."""
    add_show(web.workspace, "bawaslu", title="Bawaslu Menjawab", author="Bawaslu", email="humas@example.go.id")
    mine = add_fake_episode(web.workspace, "kpu", "2024-01-10-dpt", title="DPT KPU")
    theirs = add_fake_episode(web.workspace, "bawaslu", "2024-01-11-pengawasan", title="Pengawasan Bawaslu")
    add_user(web.workspace, "ani", "producer", "rahasia-ani-123", shows=["kpu"])
    add_user(web.workspace, "sari", "scheduler", "rahasia-sari-123", shows=["kpu"])
    return mine, theirs


def test_a_producer_limited_to_a_show_sees_and_touches_only_that_show(web, two_shows):
    mine, theirs = two_shows
    ani = web.login("ani", "rahasia-ani-123")
    token = web.csrf(ani, "/episodes")
    listing = ani.get("/episodes").get_data(as_text=True)
    assert "DPT KPU" in listing and "Pengawasan Bawaslu" not in listing and "bawaslu" not in listing
    assert ani.get(f"/episodes/{mine.id}/").status_code == 200
    base = f"/episodes/{theirs.id}"
    for method, path in (("GET", f"{base}/"), ("GET", f"{base}/audio.mp3"), ("GET", f"{base}/cues/0"),
                         ("POST", f"{base}/metadata"), ("POST", f"{base}/highlights"), ("POST", f"{base}/cues/0"),
                         ("GET", f"/episodes/state/{theirs.id}"), ("POST", f"/episodes/approve/{theirs.id}")):
        answer = ani.open(path, method=method, data={"title": "HOAKS", "start": "1", "end": "20",
                                                     "formats": "square"}, headers={"X-CSRFToken": token})
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert web.workspace.episode(theirs.id).title == "Pengawasan Bawaslu"
    assert approval.read_approval(web.workspace, theirs.id).approved_by == ""
    # upload: only their shows to choose from, another show refused
    assert 'value="bawaslu"' not in ani.get("/upload").get_data(as_text=True)
    refused = ani.post("/uploads", json={"name": "a.wav", "size": 10, "show": "bawaslu"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and "bukan milik Anda" in refused.get_json()["error"]
    # publish goes out for every show at once: not for a producer limited to some
    assert ani.post("/publish", data={"csrf_token": token}).status_code == 403
    # a producer with no limit keeps today's behaviour: every show
    prod = web.client("producer")
    listing = prod.get("/episodes").get_data(as_text=True)
    assert "DPT KPU" in listing and "Pengawasan Bawaslu" in listing
    assert prod.get(f"{base}/").status_code == 200


def test_jobs_of_another_show_are_not_shown_nor_retried(web, two_shows):
    mine, theirs = two_shows
    queue = open_queue(web.workspace)
    for episode in (mine, theirs):
        job = queue.enqueue("process", episode=episode.id)
        assert queue.claim("test:1").id == job.id
        queue.finish(job.id, error=f"{episode.id}: original recording original.wav is missing", exit_code=1)
    failed = {j.episode: j for j in queue.jobs(state="failed")}
    ani = web.login("ani", "rahasia-ani-123")
    page = ani.get("/jobs").get_data(as_text=True)
    assert mine.id in page and theirs.id not in page
    token = web.csrf(ani, "/episodes")
    assert ani.post(f"/jobs/{failed[theirs.id].id}/retry", data={"csrf_token": token}).status_code == 404
    assert ani.post(f"/jobs/{failed[mine.id].id}/retry", data={"csrf_token": token}).status_code == 302
    assert [j.episode for j in queue.jobs(state="queued")] == [mine.id]


def test_a_scheduler_limited_to_a_show_sees_its_radio_files_and_manages_no_station(web, two_shows):
    from studio.radio import deliveries

    log = deliveries.log_path(web.workspace)
    deliveries.record(log, "abdi", "kpu/2024-01-10-dpt.wav", 1000, "10.0.0.1", 200)
    deliveries.record(log, "abdi", "bawaslu/2024-01-11-pengawasan.wav", 1000, "10.0.0.1", 200)
    sari = web.login("sari", "rahasia-sari-123")
    page = sari.get("/radio")
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "kpu/2024-01-10-dpt.wav" in html and "bawaslu/" not in html
    assert "bawaslu/" in web.client("scheduler").get("/radio").get_data(as_text=True)  # no limit: every show
    assert sari.post("/radio/stations", data={"name": "abdi", "csrf_token": web.csrf(sari, "/radio")}).status_code == 403
    assert web.workspace.settings.stations == ()


def test_the_cli_by_user_is_refused_for_a_show_not_theirs(web, two_shows):
    mine, theirs = two_shows
    runner = CliRunner()
    base = ["--workspace", str(web.workspace.root)]
    refused = runner.invoke(cli, [*base, "approve", theirs.id, "--by", "ani"])
    assert refused.exit_code == 2 and "limited to kpu" in refused.output
    assert approval.read_approval(web.workspace, theirs.id).approved_by == ""
    assert runner.invoke(cli, [*base, "approve", mine.id, "--by", "ani"]).exit_code == 0
    assert runner.invoke(cli, [*base, "approve", theirs.id, "--by", "prod2"]).exit_code == 0  # no limit: every show


def test_show_limits_are_set_in_the_cli_and_the_users_page(web, two_shows):
    runner = CliRunner()
    base = ["--workspace", str(web.workspace.root)]
    made = runner.invoke(cli, [*base, "user", "add", "budi", "--role", "producer", "--show", "bawaslu"])
    assert made.exit_code == 0, made.output
    assert users.get_user(web.workspace, "budi").shows == ("bawaslu",)
    assert runner.invoke(cli, [*base, "user", "add", "cici", "--role", "producer", "--show", "nope"]).exit_code == 2
    assert runner.invoke(cli, [*base, "user", "shows", "budi", "kpu", "bawaslu"]).exit_code == 0
    assert users.get_user(web.workspace, "budi").shows == ("kpu", "bawaslu")
    assert runner.invoke(cli, [*base, "user", "shows", "budi"]).exit_code == 2  # neither shows nor --all
    assert runner.invoke(cli, [*base, "user", "shows", "budi", "--all"]).exit_code == 0
    assert users.get_user(web.workspace, "budi").shows == ()
    listed = json.loads(runner.invoke(cli, [*base, "user", "list", "--json"]).output)
    assert {"name": "ani", "role": "producer", "shows": ["kpu"]}.items() <= next(
        u for u in listed if u["name"] == "ani").items()
    assert all("session" not in u and "hash" not in u for u in listed)
    admin = web.client("admin")
    page = admin.post("/users/budi/shows", data={"shows": ["bawaslu"], "csrf_token": web.csrf(admin)})
    assert page.status_code == 200 and users.get_user(web.workspace, "budi").shows == ("bawaslu",)
    admin.post("/users", data={"name": "dodi", "role": "producer", "shows": ["kpu"], "csrf_token": web.csrf(admin)})
    assert users.get_user(web.workspace, "dodi").shows == ("kpu",)
    new_password = runner.invoke(cli, [*base, "user", "reset-password", "dodi"])
    assert new_password.exit_code == 0
    assert authenticate(web.workspace, "dodi", new_password.stdout.strip()) is not None


def test_an_upload_to_their_show_is_ingested_for_a_limited_producer(web, two_shows, tmp_path):
    import audiogen as g

    data = g.encode(g.speech(2.0), tmp_path / "rekaman.wav").read_bytes()
    ani = web.login("ani", "rahasia-ani-123")
    token = web.csrf(ani, "/episodes")
    made = ani.post("/uploads", json={"name": "rekaman.wav", "size": len(data), "show": "kpu", "title": "Baru"},
                    headers={"X-CSRFToken": token})
    assert made.status_code == 201
    answer = ani.patch(f"/uploads/{made.get_json()['id']}", data=data,
                       headers={"Upload-Offset": "0", "X-CSRFToken": token})
    assert answer.status_code == 202
    assert run_next_job(web.workspace).state == "done"
    assert re.search(r"Baru", ani.get("/episodes").get_data(as_text=True))
