"""Setup without the command line (issue 28, item 2), below the browser: the show rules the CLI and the web app
share, the public address, passwords, the settings pages' answers and words (both languages), and the one-line
warning of `studio publish` and `studio doctor` while base_url is this machine's."""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner
from PIL import Image
from webutil import PASSWORDS, make_web

from studio.cli import cli
from studio.workspace import site as site_mod
from studio.workspace import users as users_mod
from studio.workspace.config import check_public_address, is_local_address
from studio.workspace.shows import ShowRefused, add_show, edit_show

pytest_plugins = ["webutil"]
ERROR_RE = re.compile(r'class="field-error" id="([^"]+)-error">([^<]+)<')


def image(path, size, mode="RGB", fmt="PNG"):
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None).save(path, fmt)
    return path


def field_errors(answer) -> dict[str, str]:
    return {field: html.unescape(text) for field, text in ERROR_RE.findall(answer.get_data(as_text=True))}


# -- the rules ------------------------------------------------------------------------------------


def test_the_public_address_rule():
    assert check_public_address(" https://podcast.example.go.id/ ") == "https://podcast.example.go.id"
    assert check_public_address("http://10.0.0.5:8000/podcast/") == "http://10.0.0.5:8000/podcast"
    for bad in ("podcast.example.go.id", "ftp://x.go.id", "https://x.go.id/?a=1", "https://x.go.id/#top",
                "https://user@x.go.id", "https://x.go.id/a b", "https://x.go.id//y", "javascript:alert(1)", ""):
        with pytest.raises(Exception, match="public address"):
            check_public_address(bad)
    for local in ("http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000", "http://0.0.0.0"):
        assert is_local_address(local), local
    assert not is_local_address("https://podcast.example.go.id")


def test_one_set_of_show_rules_every_problem_at_once(workspace, tmp_path):
    small = image(tmp_path / "small.png", (600, 600))
    with pytest.raises(ShowRefused) as refused:
        add_show(workspace, "bawaslu", title=" ", email="humas", language="Bahasa", timezone="Mars/Olympus",
                 watch_folder="rekaman", artwork=small)
    found = {p.field: p.code for p in refused.value.problems}
    assert found == {"title": "title.empty", "email": "email", "language": "language", "timezone": "timezone",
                     "watch_folder": "watch_folder", "artwork": "artwork.size"}
    assert "--title must not be empty" in str(refused.value)  # the CLI's one line names them all
    assert "1400 to 3000 px square, not 600 px" in str(refused.value)
    assert not (workspace.feeds_dir / "bawaslu.toml").exists() and not list(workspace.feeds_dir.glob("bawaslu.*"))


def test_editing_a_show_keeps_what_is_not_changed_and_replaces_the_artwork(workspace, tmp_path):
    edit_show(workspace, "kpu", artwork=image(tmp_path / "a.png", (1400, 1400)))
    assert (workspace.feeds_dir / "kpu.png").is_file()
    show = edit_show(workspace, "kpu", glossary=("  KPU ", "", "Bawaslu", "KPU"),
                     artwork=image(tmp_path / "b.jpg", (1500, 1500), fmt="JPEG"))
    assert show.glossary == ("KPU", "Bawaslu") and show.artwork == "kpu.jpg"
    assert not (workspace.feeds_dir / "kpu.png").exists()  # the old artwork goes with its suffix
    assert workspace.show("kpu").author == "Diskominfo" and workspace.show("kpu").glossary == ("KPU", "Bawaslu")


def test_changing_ones_own_password_ends_the_other_sessions(workspace):
    users_mod.add_user(workspace, "siti", "producer", "lama-rahasia-1")
    before = users_mod.get_user(workspace, "siti")
    with pytest.raises(users_mod.WrongPassword):
        users_mod.change_password(workspace, "siti", "salah-sekali", "baru-rahasia-1")
    assert users_mod.get_user(workspace, "siti").session == before.session  # nothing changed
    after = users_mod.change_password(workspace, "siti", "lama-rahasia-1", "baru-rahasia-1")
    assert after.session != before.session and not users_mod.session_matches(after, before.session)
    assert users_mod.authenticate(workspace, "siti", "baru-rahasia-1") is not None
    assert users_mod.authenticate(workspace, "siti", "lama-rahasia-1") is None


def test_the_office_logo_is_checked_and_replaced(workspace, tmp_path):
    with pytest.raises(ShowRefused) as refused:
        site_mod.set_office(workspace, "Diskominfo", image(tmp_path / "tiny.png", (20, 20)))
    assert refused.value.problems[0].code == "logo.size" and workspace.settings.office_logo == ""
    site_mod.set_office(workspace, "  Diskominfo   Kota Makassar ", image(tmp_path / "logo.png", (400, 120)))
    assert workspace.settings.office_name == "Diskominfo Kota Makassar"
    assert workspace.settings.office_logo == "office-logo.png" and (workspace.root / "office-logo.png").is_file()
    site_mod.set_office(workspace, "Diskominfo", remove_logo=True)
    assert workspace.settings.office_logo == "" and not (workspace.root / "office-logo.png").exists()


# -- the pages --------------------------------------------------------------------------------------


def test_settings_are_the_admins_and_the_password_page_everyones(web):
    for path in ("/settings/shows", "/settings/shows/new", "/settings/shows/kpu", "/settings/site"):
        assert web.client("admin").get(path).status_code == 200, path
        for role in ("producer", "scheduler"):
            assert web.client(role).get(path).status_code == 403, (role, path)
    for role in ("producer", "scheduler", "admin"):
        assert web.client(role).get("/account/password").status_code == 200
    assert web.anonymous().get("/settings/site").status_code == 302


@pytest.mark.parametrize("lang, words", [
    ("id", {"title": "Isi judul acara.", "artwork": "Sampul harus 1400 sampai 3000 piksel; gambar ini 600 piksel.",
            "podcast_lufs": "Isi angka dari -24 sampai -10."}),
    ("en", {"title": "Enter the show's title.",
            "artwork": "The artwork must be 1400 to 3000 pixels; this image is 600 pixels.",
            "podcast_lufs": "Enter a number from -24 to -10."}),
])
def test_a_refused_show_is_worded_beside_each_field(workspace, tmp_path, lang, words):
    web = make_web(workspace, lang=lang)
    admin = web.client("admin")
    token = web.csrf(admin, "/settings/shows/kpu")
    with open(image(tmp_path / "small.png", (600, 600)), "rb") as artwork:
        answer = admin.post("/settings/shows/kpu", content_type="multipart/form-data", data={
            "csrf_token": token, "title": "", "language": "id", "podcast_lufs": "-5", "broadcast_lufs": "-23",
            "true_peak_dbtp": "-1", "artwork": (artwork, "small.png")})
    assert answer.status_code == 400
    errors = field_errors(answer)
    for field, text in words.items():
        assert errors[field].startswith(text), (field, errors)
    page = answer.get_data(as_text=True)
    assert "/" + str(tmp_path).strip("/") not in page and "Errno" not in page and "Traceback" not in page
    assert workspace.show("kpu").title == "Sosialisasi KPU"  # nothing saved


def test_the_banner_until_the_public_address_is_set(web):
    admin, producer = web.client("admin"), web.client("producer")
    banner = re.compile(r'class="warning banner"')
    assert banner.search(admin.get("/users").get_data(as_text=True))
    assert "/settings/site" in admin.get("/users").get_data(as_text=True)
    assert banner.search(producer.get("/episodes").get_data(as_text=True))
    token = web.csrf(admin, "/settings/site")
    refused = admin.post("/settings/site/address", data={"csrf_token": token, "base_url": "podcast.go.id"})
    assert refused.status_code == 400 and "base_url" in field_errors(refused)
    assert admin.post("/settings/site/address", data={"csrf_token": token,
                                                      "base_url": "https://podcast.example.go.id/"}).status_code == 302
    assert web.workspace.settings.base_url == "https://podcast.example.go.id"
    assert not banner.search(admin.get("/users").get_data(as_text=True))
    assert not banner.search(producer.get("/episodes").get_data(as_text=True))


def test_an_admin_adds_a_user_with_a_password_and_resets_it(web):
    admin = web.client("admin")
    token = web.csrf(admin, "/users")
    short = admin.post("/users", data={"csrf_token": token, "name": "siti", "role": "producer", "password": "pendek"})
    assert short.status_code == 400 and "paling sedikit 10 karakter" in short.get_data(as_text=True)
    taken = admin.post("/users", data={"csrf_token": token, "name": "prod", "role": "producer", "password": "x" * 12})
    assert taken.status_code == 400 and "sudah dipakai" in taken.get_data(as_text=True)
    added = admin.post("/users", data={"csrf_token": token, "name": "siti", "role": "admin",
                                       "password": "siti-rahasia-1"})
    assert added.status_code == 200 and "Pengguna siti ditambahkan." in added.get_data(as_text=True)
    siti = web.login("siti", "siti-rahasia-1")
    assert siti.get("/settings/site").status_code == 200  # an admin
    reset = admin.post("/users/siti/password", data={"csrf_token": token})
    password = re.search(r'<code class="secret">([^<]+)</code>', reset.get_data(as_text=True)).group(1)
    assert siti.get("/settings/site").status_code == 302  # her session has ended
    web.login("siti", password)


def test_changing_ones_own_password_in_the_app(web):
    producer = web.client("producer")
    elsewhere = web.login("prod")  # the same producer on another device
    token = web.csrf(producer, "/account/password")
    form = {"csrf_token": token, "current": PASSWORDS["prod"], "new": "baru-rahasia-99", "again": "baru-rahasia-98"}
    assert field_errors(producer.post("/account/password", data=form)) == {
        "again": "Kedua kata sandi baru tidak sama: ketik ulang."}
    wrong = producer.post("/account/password", data={**form, "current": "bukan-ini-123", "again": form["new"]})
    assert field_errors(wrong) == {"current": "Kata sandi sekarang salah."}
    assert producer.post("/account/password", data={**form, "again": form["new"]}).status_code == 302
    assert producer.get("/episodes").status_code == 200  # this session stays
    assert elsewhere.get("/episodes").status_code == 302  # the other one has ended
    web.login("prod", "baru-rahasia-99")


# -- the command line's warning -----------------------------------------------------------------------


def test_publish_run_and_doctor_warn_in_one_line_while_base_url_is_local(workspace, tmp_path):
    runner = CliRunner()
    model = ["--workspace", str(workspace.root)]
    (workspace.root / "studio.toml").write_text(f'[studio]\nmodel = "{tmp_path / "no-model"}"\n')  # doctor: quick
    published = runner.invoke(cli, [*model, "publish", "--no-push"])
    assert published.exit_code == 0, published.output
    warning = [line for line in published.stderr.splitlines() if line.startswith("warning: base_url")]
    assert len(warning) == 1 and "127.0.0.1" in warning[0] and "warning" not in published.stdout
    doctor = runner.invoke(cli, [*model, "doctor"])
    assert [line for line in doctor.stderr.splitlines() if line.startswith("warning: base_url")] == warning
    assert "FAIL base_url" not in doctor.output  # a warning, not a failed check
    ran = runner.invoke(cli, [*model, "run"])  # cron's job publishes too
    assert ran.exit_code == 0 and [line for line in ran.stderr.splitlines() if "warning: base_url" in line] == warning
    site_mod.set_public_address(workspace, "https://podcast.example.go.id")
    for args in (["publish", "--no-push"], ["doctor"], ["run"]):
        assert "warning: base_url" not in runner.invoke(cli, [*model, *args]).stderr
    # an address given to publish is the one that counts
    site_mod.set_public_address(workspace, "http://localhost:8000")
    assert "warning" not in runner.invoke(cli, [*model, "publish", "--no-push", "--base-url",
                                                "https://cdn.example.go.id"]).stderr



def test_studio_show_edit_checks_by_the_same_rules(workspace, tmp_path):
    runner = CliRunner()
    base = ["--workspace", str(workspace.root), "show", "edit", "kpu"]
    small = runner.invoke(cli, [*base, "--title", "", "--artwork", str(image(tmp_path / "s.png", (600, 600)))])
    assert small.exit_code == 2 and small.stdout == ""
    line, = small.stderr.strip().splitlines()
    assert "--title must not be empty" in line and "1400 to 3000 px square, not 600 px" in line
    done = runner.invoke(cli, [*base, "--title", "KPU Kota Makassar", "--timezone", "Asia/Makassar",
                               "--glossary-term", "KPU", "--glossary-term", "Coklit", "--approval"])
    assert done.exit_code == 0, done.output
    show = workspace.show("kpu")
    assert (show.title, show.timezone, show.glossary, show.require_approval, show.author) == (
        "KPU Kota Makassar", "Asia/Makassar", ("KPU", "Coklit"), True, "Diskominfo")
    assert runner.invoke(cli, ["--workspace", str(workspace.root), "show", "edit", "nope", "--title", "x"]).exit_code == 2


def test_an_image_over_the_request_limit_is_said_on_its_form(workspace, tmp_path):
    web = make_web(workspace, MAX_CONTENT_LENGTH=20_000)
    admin = web.client("admin")
    token = web.csrf(admin, "/settings/shows/kpu")
    big = tmp_path / "big.png"
    big.write_bytes(b"\\x89PNG" + bytes(40_000))
    with open(big, "rb") as artwork:
        answer = admin.post("/settings/shows/kpu", content_type="multipart/form-data", follow_redirects=True,
                            data={"csrf_token": token, "title": "KPU", "artwork": (artwork, "big.png")})
    assert answer.status_code == 200 and answer.request.path == "/settings/shows/kpu"
    assert "Berkas gambar terlalu besar untuk dikirim" in answer.get_data(as_text=True)
    assert workspace.show("kpu").title == "Sosialisasi KPU"


def test_a_zone_set_in_the_toml_is_kept_and_an_unknown_one_refused(web):
    edit_show(web.workspace, "kpu", timezone="Asia/Pontianak")  # WIB too, set by hand or `studio show edit`
    admin = web.client("admin")
    page = admin.get("/settings/shows/kpu").get_data(as_text=True)
    assert '<option value="Asia/Pontianak" selected>' in page
    token = web.csrf(admin, "/settings/shows/kpu")
    form = {"csrf_token": token, "title": "KPU", "language": "id", "podcast_lufs": "-16", "broadcast_lufs": "-23",
            "true_peak_dbtp": "-1", "timezone": "Asia/Pontianak"}
    assert admin.post("/settings/shows/kpu", data=form).status_code == 302
    assert web.workspace.show("kpu").timezone == "Asia/Pontianak"
    refused = admin.post("/settings/shows/kpu", data={**form, "timezone": "Mars/Olympus"})
    assert field_errors(refused) == {"timezone": "Pilih WIB, WITA, WIT atau zona waktu komputer ini."}
