"""The listener site's identity (issue 28, item 10): the office's name and logo (Settings.office_name,
office_logo) in every page's header instead of "Podcast", the logo published as a site asset; the embed
player keeps its caption line in view in a 180 px iframe on a phone, and has a main heading (axe, moderate)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from conftest import stop
from PIL import Image
from test_site import EPISODE, Server, make_site_workspace
from test_site import audio_mp3 as audio_mp3  # noqa: F401 - the fixture, shared

import studio.publish as publish
from studio.publish.layout import OFFICE_LOGO_KEY
from studio.workspace.config import load_settings, save_settings, with_changes

OFFICE = "Diskominfo Kota Banjarmasin"
LONG_TITLE = "Daftar pemilih tetap, pemilih pindahan dan formulir A5 untuk pemilih pemula di Kota Banjarmasin"
LONG_LINE = ("Selamat datang di podcast sosialisasi pemilu dari Komisi Pemilihan Umum Kota Banjarmasin bersama "
             "Dinas Komunikasi dan Informatika.")
EMBED = "/embed/kpu/2024-03-01-daftar-pemilih.html"


def logo(path: Path) -> Path:
    picture = Image.new("RGBA", (1200, 400), (0, 0, 0, 0))
    picture.paste((11, 79, 148, 255), (0, 0, 400, 400))
    picture.paste((255, 194, 14, 255), (450, 100, 1200, 300))
    picture.save(path)
    return path


def set_office(ws, name: str, logo_file: str) -> None:
    save_settings(ws.settings_path, with_changes(load_settings(ws.settings_path), office_name=name,
                                                 office_logo=logo_file))


@pytest.fixture(scope="module")
def office_site(tmp_path_factory, audio_mp3) -> Path:
    ws = make_site_workspace(tmp_path_factory.mktemp("office") / "ws", audio_mp3)
    logo(ws.root / "logo-kominfo.png")
    set_office(ws, OFFICE, "logo-kominfo.png")
    episode = ws.episode("kpu/2024-03-01-daftar-pemilih")
    episode.title = LONG_TITLE
    ws.save_episode(episode)
    vtt = ws.episode_dir(episode.id) / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("Selamat datang di podcast sosialisasi pemilu.", LONG_LINE))
    json_file = ws.episode_dir(episode.id) / "transcript.json"
    json_file.write_text(json_file.read_text().replace("Selamat datang di podcast sosialisasi pemilu.", LONG_LINE))
    publish.publish(ws, base_url="https://podcast.example.go.id")
    return ws.root / "public"


def header(page: str) -> str:
    return page.split('<header class="top"')[1].split("</header>")[0]


def test_the_header_names_the_office_and_shows_its_logo(office_site: Path):
    for key in ("index.html", "kpu/index.html", EPISODE.lstrip("/"), "search/index.html",
                "kpu/2024-03-01-daftar-pemilih/clip-01/index.html"):
        page = (office_site / key).read_text()
        top = header(page)
        assert f"<span>{OFFICE}</span>" in top and ">Podcast<" not in top, key
        src = top.split('<img src="')[1].split('"')[0]
        assert src.endswith(OFFICE_LOGO_KEY) and (office_site / key).parent.joinpath(src).resolve().is_file(), key
    with Image.open(office_site / OFFICE_LOGO_KEY) as published:
        assert published.format == "PNG" and published.size == (288, 96)  # made small, its shape kept
    assert f"<title>{OFFICE}</title>" in (office_site / "index.html").read_text()


def test_without_settings_the_header_says_podcast_and_a_change_reaches_every_page(tmp_path, audio_mp3):
    ws = make_site_workspace(tmp_path / "ws", audio_mp3)
    publish.publish(ws, base_url="https://podcast.example.go.id")
    public = ws.root / "public"
    assert "<span>Podcast</span>" in header((public / EPISODE.lstrip("/")).read_text())
    assert not (public / OFFICE_LOGO_KEY).exists()
    set_office(ws, "KPU Kota Banjarmasin", "")  # a name, no logo: the next publish renders the pages again
    publish.publish(ws, base_url="https://podcast.example.go.id")
    top = header((public / EPISODE.lstrip("/")).read_text())
    assert "<span>KPU Kota Banjarmasin</span>" in top and "<img" not in top
    set_office(ws, "KPU Kota Banjarmasin", "tidak-ada.png")  # a logo that is not there: left out, no failure
    publish.publish(ws, base_url="https://podcast.example.go.id")
    assert not (public / OFFICE_LOGO_KEY).exists()


@pytest.fixture(scope="module")
def office_server(office_site: Path):
    running = Server(office_site)
    yield running
    stop(running.process)


def moderate_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]
            if v.get("impact") in ("moderate", "serious", "critical")]


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 360, 412])
def test_the_embed_keeps_its_caption_line_in_a_180_px_frame(browser, office_server, width):
    context = browser.new_context(viewport={"width": width, "height": 180})
    page = context.new_page()
    try:
        page.goto(office_server.url + EMBED)
        caption = page.locator("#caption")
        assert LONG_LINE[:40] in caption.inner_text()
        box = caption.bounding_box()
        assert box["height"] > 30 and box["y"] + box["height"] <= 180, f"the caption ends at {box} in 180 px"
        assert page.evaluate("document.documentElement.scrollHeight") <= 180
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        heading = page.locator("h1")
        assert heading.count() == 1 and LONG_TITLE[:20] in heading.inner_text()
        assert moderate_violations(page) == []
    finally:
        context.close()


@pytest.mark.browser
def test_the_header_at_360_px(browser, office_server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        page.goto(office_server.url + "/index.html")
        home = page.locator("header.top a.home")
        assert home.inner_text() == OFFICE and home.locator("img").evaluate("i => i.naturalWidth") == 288
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        folder = Path(__file__).resolve().parents[1] / "docs" / "site" if os.environ.get("STUDIO_SCREENSHOTS") == "1" \
            else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        page.locator("header.top").screenshot(path=str(folder / "header-360.png"))
        assert io.BytesIO((folder / "header-360.png").read_bytes()).getbuffer().nbytes > 1000
    finally:
        context.close()
