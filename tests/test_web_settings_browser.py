"""Setup without the command line (issue 28, item 2) in a real browser (Debian's Chromium via Playwright), in both
languages: an admin creates and edits a show with artwork (a too-small image refused with the message beside the
field), sets the site's public address and sees the banner go, adds a user who then signs in and changes her own
password. axe-core finds nothing serious; at 360 px nothing scrolls sideways. Screenshots (STUDIO_SCREENSHOTS=1,
Indonesian): docs/web/settings-show-{360,1280}.png, settings-users-{360,1280}.png."""

from __future__ import annotations

import pytest
from conftest import axe_serious_violations
from PIL import Image
from test_web_browser import shoot
from webutil import Served, make_web, sign_in

from studio.web import create_app

pytestmark = [pytest.mark.browser]

WORDS = {
    "id": {"settings": "Pengaturan", "add_show": "Tambah acara", "too_small": "Sampul harus 1400 sampai 3000 piksel; "
           "gambar ini 600 piksel.", "saved": "Acara disimpan.", "added": "Acara ditambahkan.",
           "banner": "Alamat publik situs belum diatur", "set_it": "Atur alamat publik",
           "address_saved": "Alamat publik disimpan.", "bad_address": "Tulis alamat lengkap yang diawali http://",
           "user_added": "Pengguna siti ditambahkan.", "password": "Kata sandi", "changed": "Kata sandi diubah.",
           "mismatch": "Kedua kata sandi baru tidak sama"},
    "en": {"settings": "Settings", "add_show": "Add a show", "too_small": "The artwork must be 1400 to 3000 pixels; "
           "this image is 600 pixels.", "saved": "Show saved.", "added": "Show added.",
           "banner": "The site's public address is not set", "set_it": "Set the public address",
           "address_saved": "Public address saved.", "bad_address": "Write the whole address starting with http://",
           "user_added": "User siti added.", "password": "Password", "changed": "Password changed.",
           "mismatch": "The two new passwords differ"},
}


def _image(path, size):
    Image.new("RGB", size, (11, 92, 173)).save(path, "PNG")
    return str(path)


@pytest.fixture
def live(workspace, request):
    lang = request.param
    make_web(workspace)
    server = Served(create_app(workspace, {"lang": lang, "STUDIO_INDEX_MAX_AGE": 0}))
    yield workspace, server.url, lang
    server.close()


@pytest.mark.parametrize("live", ["id", "en"], indirect=True)
def test_an_admin_creates_and_edits_a_show_and_sets_the_public_address(live, page, tmp_path):
    workspace, base, lang = live
    words = WORDS[lang]
    sign_in(page, base, "admin")
    banner = page.locator("p.banner")
    assert words["banner"] in banner.inner_text()
    page.click(f"header nav >> text={words['settings']}")
    page.click(f"text={words['add_show']}")
    assert axe_serious_violations(page) == []
    page.fill("#slug", "bawaslu")
    page.fill("#title", "Bawaslu Menjawab")
    page.fill("#description", "Tanya jawab pengawasan pemilu.")
    page.fill("#author", "Bawaslu Kota Makassar")
    page.fill("#email", "humas@example.go.id")
    page.fill("#glossary", "Bawaslu\nPanwascam\nGakkumdu")
    page.check("#require_approval")
    page.select_option("#timezone", "Asia/Makassar")
    page.set_input_files("#artwork", _image(tmp_path / "kecil.png", (600, 600)))
    page.click("form.settings-form button[type=submit]")
    error = page.locator("#artwork-error")
    assert error.inner_text() == words["too_small"] + (
        " Pilih gambar yang lebih besar (direktori podcast menolak yang lebih kecil)." if lang == "id"
        else " Choose a larger image (podcast directories refuse smaller ones).")
    assert page.get_attribute("#artwork", "aria-invalid") == "true"
    assert "artwork-error" in page.get_attribute("#artwork", "aria-describedby")
    assert page.input_value("#title") == "Bawaslu Menjawab"  # what was typed stays
    assert "bawaslu" not in workspace.shows()
    page.set_input_files("#artwork", _image(tmp_path / "sampul.png", (1400, 1400)))
    page.click("form.settings-form button[type=submit]")
    page.wait_for_url("**/settings/shows/bawaslu")
    assert words["added"] in page.inner_text("main")
    show = workspace.show("bawaslu")
    assert (show.title, show.artwork, show.timezone, show.require_approval, show.glossary) == (
        "Bawaslu Menjawab", "bawaslu.png", "Asia/Makassar", True, ("Bawaslu", "Panwascam", "Gakkumdu"))
    assert page.evaluate("document.querySelector('img.preview').naturalWidth") == 1400
    page.fill("#description", "Tanya jawab pengawasan pemilu bersama Bawaslu.")
    page.fill("#podcast_lufs", "-14")
    page.click("form.settings-form button[type=submit]")
    page.wait_for_selector(f"text={words['saved']}")
    show = workspace.show("bawaslu")
    assert show.description == "Tanya jawab pengawasan pemilu bersama Bawaslu." and show.loudness.podcast_lufs == -14
    assert show.artwork == "bawaslu.png" and show.require_approval  # kept
    assert axe_serious_violations(page) == []
    if lang == "id":
        shoot(page, "settings-show", tmp_path)
    page.click(f"p.banner >> text={words['set_it']}")
    page.fill("#base_url", "podcast.example.go.id")
    page.click("form[action$='/site/address'] button[type=submit]")
    assert words["bad_address"] in page.inner_text("#base_url-error")
    assert banner.count() == 1
    page.fill("#base_url", "https://podcast.example.go.id/")
    page.click("form[action$='/site/address'] button[type=submit]")
    page.wait_for_selector(f"text={words['address_saved']}")
    assert banner.count() == 0 and workspace.settings.base_url == "https://podcast.example.go.id"
    assert axe_serious_violations(page) == []
    page.click(f"header nav >> text={words['settings']}")
    assert banner.count() == 0


@pytest.mark.parametrize("live", ["id", "en"], indirect=True)
def test_an_admin_adds_a_user_who_signs_in_and_changes_her_password(live, browser, page, tmp_path):
    workspace, base, lang = live
    words = WORDS[lang]
    sign_in(page, base, "admin")
    page.goto(f"{base}/users")
    page.fill("#new-name", "siti")
    page.select_option("#new-role", "producer")
    page.fill("#new-password", "siti-rahasia-1")
    page.click("form[action$='/users'] button[type=submit]")
    page.wait_for_selector(f"text={words['user_added']}")
    assert axe_serious_violations(page) == []
    if lang == "id":
        shoot(page, "settings-users", tmp_path)
    other = browser.new_context(viewport={"width": 360, "height": 800})
    try:
        siti = other.new_page()
        siti.goto(f"{base}/login")
        siti.fill("#name", "siti")
        siti.fill("#password", "siti-rahasia-1")
        siti.click("button[type=submit]")
        siti.wait_for_url("**/episodes")
        siti.click(f"header >> text={words['password']}")
        assert axe_serious_violations(siti) == []
        siti.fill("#current", "siti-rahasia-1")
        siti.fill("#new", "siti-baru-rahasia")
        siti.fill("#again", "siti-baru-rahasiaa")
        siti.click("form.settings-form button[type=submit]")
        assert words["mismatch"] in siti.inner_text("#again-error")
        siti.fill("#current", "siti-rahasia-1")
        siti.fill("#new", "siti-baru-rahasia")
        siti.fill("#again", "siti-baru-rahasia")
        siti.click("form.settings-form button[type=submit]")
        siti.wait_for_selector(f"text={words['changed']}")
        assert siti.evaluate("document.documentElement.scrollWidth") <= 360
        siti.goto(f"{base}/episodes")  # still signed in here
        assert siti.url.endswith("/episodes")
    finally:
        other.close()
    fresh = browser.new_context()
    try:
        again = fresh.new_page()
        again.goto(f"{base}/login")
        again.fill("#name", "siti")
        again.fill("#password", "siti-baru-rahasia")
        again.click("button[type=submit]")
        again.wait_for_url("**/episodes")
    finally:
        fresh.close()
