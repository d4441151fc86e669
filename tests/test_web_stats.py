"""The Statistik page (issue 26), its CSV and the monthly PDF, over StatsReport values built here (the counting is
studio.stats' own and tested there): figures shown in both languages, exports that parse, who may see what."""

from __future__ import annotations

import csv
import io
import re

import pytest
from statsdata import DAYS, TOTAL, november

from studio.errors import ResourceError
from studio.stats import report as report_mod
from studio.stats.chart import bar_chart, nice_top
from studio.stats.csvout import csv_bytes
from studio.stats.pdf import PAGE, MonthlyLabels, monthly_page, monthly_pdf
from studio.stats.report import Count, StatsReport
from studio.web import create_app
from studio.workspace.config import save_settings, with_changes
from studio.workspace.shows import add_show
from studio.workspace.users import add_user

pytest_plugins = ["webutil"]


@pytest.fixture
def asked(web, monkeypatch) -> list[tuple]:
    """Shows kpu and bawaslu; report() answers November's figures and records what it was asked."""
    add_show(web.workspace, "bawaslu", title="Bawaslu Menjawab", author="Bawaslu", email="humas@example.go.id")
    calls: list[tuple] = []

    def report(workspace, show=None, month=None):
        calls.append((workspace.root, show, month))
        return november(show)

    monkeypatch.setattr(report_mod, "report", report)
    return calls


def text(html: str) -> str:
    """The page's words, tags and runs of spaces left out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_every_figure_of_the_month(web, asked):
    answer = web.client("producer").get("/statistik?month=2026-11")
    assert answer.status_code == 200
    assert asked == [(web.workspace.root, None, "2026-11")]
    html = answer.get_data(as_text=True)
    words = text(html)
    assert "Total unduhan · November 2026 1.565" in words
    # the chart: a bar per day, each with its figure, and the same figures in a table
    assert html.count('<rect class="bar"') == 30
    assert "<title>12 Nov: 284</title>" in html and 'role="img"' in html
    assert "Kamis, 12 November 2026 284" in words
    # per show (from the episodes), per month, per episode
    assert "Sosialisasi KPU 1.456" in words and "Bawaslu Menjawab 109" in words
    assert "Oktober 2026 1.405" in words and 'href="/statistik?month=2026-10"' in html
    assert "DPT dan pemilih pindahan Sosialisasi KPU 912" in words
    # apps, platforms, countries in Indonesian, clips, radio
    assert "AntennaPod 312" in words and "Android 1.100" in words
    assert "Indonesia 1.458" in words and "Belanda 31" in words and "Malaysia 70" in words
    assert "Cara pindah memilih 01-square 230" in words
    assert "abdi-persada 6 812 MB" in words
    assert "Dihitung sampai 29 November 2026" in words
    assert "IAB v2.2" in words and "tidak disertifikasi" in words
    assert 'href="/statistik.csv?month=2026-11"' in html and 'href="/statistik.pdf?month=2026-11"' in html
    assert "Belum ada unduhan" not in words


def test_the_page_in_english(web, asked):
    app = create_app(web.workspace, {"TESTING": True, "lang": "en"})
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "prod", "password": "produser-rahasia-1", "csrf_token": token})
    words = text(client.get("/statistik?month=2026-11&show=kpu").get_data(as_text=True))
    assert "Total downloads · November 2026 · Sosialisasi KPU 1,565" in words
    assert "Netherlands 31" in words and "Downloads per day" in words and "Thursday, November 12, 2026 284" in words
    assert "not IAB certified" in words and "Counted through November 29, 2026" in words
    assert asked[-1][1:] == ("kpu", "2026-11")


def test_nothing_counted_yet_says_what_to_do(web, monkeypatch):
    monkeypatch.setattr(report_mod, "report", lambda ws, show=None, month=None: StatsReport(show=show, month=month))
    words = text(web.client("producer").get("/statistik?month=2026-12").get_data(as_text=True))
    assert "Belum ada unduhan tercatat untuk Desember 2026" in words and "feed" in words
    assert "Belum ada hari yang selesai dihitung" in words
    assert "Total unduhan · Desember 2026 0" in words


def test_the_csv_parses_and_holds_every_table(web, asked):
    answer = web.client("producer").get("/statistik.csv?month=2026-11&show=kpu")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="statistik-kpu-2026-11.csv"' in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    tables = {}
    for row in rows:
        tables.setdefault(row["tabel"], []).append(row)
    assert [(r["nama"], r["acara"], r["jumlah"]) for r in tables["total"]] == [("2026-11", "kpu", str(TOTAL))]
    assert [(r["nama"], int(r["jumlah"])) for r in tables["hari"]] == [(c.name, c.count) for c in DAYS]
    assert sum(int(r["jumlah"]) for r in tables["hari"]) == TOTAL
    assert [r["nama"] for r in tables["bulan"]] == ["2026-09", "2026-10", "2026-11"]
    assert tables["episode"][0] == {"tabel": "episode", "nama": "kpu/2026-11-02-dpt", "acara": "kpu",
                                    "episode": "kpu/2026-11-02-dpt", "judul": "DPT dan pemilih pindahan",
                                    "jumlah": "912", "byte": ""}
    assert [(r["nama"], r["judul"]) for r in tables["negara"]][:3] == [("ID", "Indonesia"), ("MY", "Malaysia"),
                                                                         ("NL", "Belanda")]
    assert [r["nama"] for r in tables["aplikasi"]] == ["Spotify", "Apple Podcasts", "AntennaPod", "Chrome"]
    assert [r["nama"] for r in tables["platform"]] == ["Android", "iOS"]
    assert tables["klip"][0]["judul"] == "Cara pindah memilih" and tables["klip"][0]["jumlah"] == "230"
    assert (tables["radio"][0]["nama"], tables["radio"][0]["byte"]) == ("abdi-persada", "812000000")


def test_an_empty_report_is_a_csv_with_its_total():
    rows = list(csv.reader(io.StringIO(csv_bytes(StatsReport(show=None, month=None)).decode("utf-8-sig"))))
    assert rows == [["tabel", "nama", "acara", "episode", "judul", "jumlah", "byte"],
                    ["total", "semua", "", "", "", "0", ""]]


def pdf_title(data: bytes) -> str:
    raw = re.search(rb"/Title \((.*?)\)\s*/", data, re.S).group(1)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def test_the_monthly_pdf_is_one_page_with_the_month_and_total(web, asked):
    answer = web.client("producer").get("/statistik.pdf?month=2026-11&show=kpu")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert 'filename="laporan-bulanan-kpu-2026-11.pdf"' in answer.headers["Content-Disposition"]
    data = answer.data
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") == 1  # one page
    assert re.search(rb"/MediaBox \[\s*0 0 595\.\d+ 841\.\d+\s*\]", data), "an A4 page"
    assert pdf_title(data) == "Laporan bulanan - Sosialisasi KPU - November 2026 - 1.565 unduhan"


def test_the_monthly_page_draws_every_part():
    image, drawn = monthly_page(november("kpu"), MonthlyLabels(office="Sosialisasi KPU"))
    assert image.size == PAGE
    assert drawn[:4] == ["Laporan bulanan", "Sosialisasi KPU · November 2026", "Total unduhan", "1.565"]
    for expected in ("Unduhan per hari", "DPT dan pemilih pindahan", "912", "AntennaPod", "Belanda",
                     "Cara pindah memilih", "abdi-persada", "6 berkas", "Dihitung sampai 29 November 2026."):
        assert expected in drawn, expected
    assert any("IAB v2.2" in line for line in drawn)
    # the bars: the tallest day (the 12th) is drawn in the chart's colour up to near the top of its area
    assert image.getpixel((image.width // 2, image.height // 2)) is not None
    empty, drawn = monthly_page(StatsReport(show=None, month="2026-12"))
    assert drawn[:4] == ["Laporan bulanan", "Semua acara · Desember 2026", "Total unduhan", "0"]
    assert drawn.count("Belum ada.") == 5
    assert monthly_pdf(StatsReport(show=None, month=None)).startswith(b"%PDF-")


def test_who_may_see_the_statistics(web, asked):
    for path in ("/statistik", "/statistik.csv", "/statistik.pdf"):
        answer = web.anonymous().get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
        assert web.client("scheduler").get(path).status_code == 403, path
        assert web.client("producer").get(path).status_code == 200, path
        assert web.client("admin").get(path).status_code == 200, path
    nav = web.client("admin").get("/users").get_data(as_text=True)
    assert 'href="/statistik"' in nav
    assert 'href="/statistik"' in web.client("producer").get("/episodes").get_data(as_text=True)
    assert 'href="/statistik"' not in web.client("scheduler").get("/radio").get_data(as_text=True)


def test_a_producer_limited_to_a_show_sees_only_its_figures(web, asked):
    add_user(web.workspace, "ani", "producer", "rahasia-ani-123", shows=["kpu"])
    ani = web.login("ani", "rahasia-ani-123")
    html = ani.get("/statistik?month=2026-11").get_data(as_text=True)
    assert asked[-1][1:] == ("kpu", "2026-11")  # their show, never every show
    assert 'value="bawaslu"' not in html and "Semua acara" not in html and "Unduhan per acara" not in html
    for path in ("/statistik?show=bawaslu", "/statistik.csv?show=bawaslu", "/statistik.pdf?show=bawaslu",
                 "/statistik?show=nope"):
        assert ani.get(path).status_code == 404, path
    assert all(show == "kpu" for _, show, _ in asked)
    assert ani.get("/statistik.csv?month=2026-11").data.decode("utf-8-sig").splitlines()[1].startswith(
        "total,2026-11,kpu,")


def test_a_month_that_is_not_one(web, asked):
    answer = web.client("producer").get("/statistik?month=2026-13")
    assert answer.status_code == 400
    assert "Bulan tidak dikenal" in answer.get_data(as_text=True)
    assert web.client("producer").get("/statistik.csv?month=x").status_code == 404


def test_figures_that_cannot_be_read_say_what_to_do(web, monkeypatch):
    def broken(workspace, show=None, month=None):
        raise ResourceError("disk full: /secret/path/.studio/stats/counts.sqlite3")

    monkeypatch.setattr(report_mod, "report", broken)
    answer = web.client("producer").get("/statistik?month=2026-11")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "tidak dapat dibaca" in html and "/secret" not in html
    export = web.client("producer").get("/statistik.csv?month=2026-11")
    assert export.status_code == 503 and "/secret" not in export.get_data(as_text=True)


def test_the_page_says_when_the_access_log_is_off(web, asked):
    save_settings(web.workspace.settings_path, with_changes(web.workspace.settings, access_log=False))
    assert "access_log = false" in web.client("producer").get("/statistik").get_data(as_text=True)


def test_the_bar_layout():
    assert [nice_top(n) for n in (0, 1, 7, 99, 286, 1234)] == [(4, 1), (1, 1), (8, 2), (100, 50), (300, 100),
                                                               (1500, 500)]
    chart = bar_chart([Count("a", 3), Count("b", 0), Count("c", 10)], 300, 100)
    assert [(b.x, b.y, b.width, b.height) for b in chart.bars] == [(10, 70, 80, 30), (110, 100, 80, 0),
                                                                   (210, 0, 80, 100)]
    assert [(t.value, t.y) for t in chart.ticks] == [(0, 100), (5, 50), (10, 0)]
    assert bar_chart(DAYS, 420, 150).label_every(22) == 2


def test_long_lists_show_their_top_and_the_csv_has_all(web, monkeypatch):
    from dataclasses import replace

    from studio.stats.report import EpisodeDownloads

    many = replace(november(), by_episode=tuple(EpisodeDownloads("kpu", f"kpu/ep-{i}", f"Episode {i}", 5000 - i)
                                                for i in range(2000)),
                   apps=tuple(Count(f"App {i}", 300 - i) for i in range(30)))
    monkeypatch.setattr(report_mod, "report", lambda ws, show=None, month=None: many)
    client = web.client("producer")
    words = text(client.get("/statistik?month=2026-11").get_data(as_text=True))
    assert "Episode 49 " in words and "Episode 50 " not in words
    assert "50 teratas dari 2.000; semuanya ada di CSV." in words
    assert "App 19 " in words and "App 20 " not in words and "20 teratas dari 30" in words
    rows = list(csv.DictReader(io.StringIO(client.get("/statistik.csv?month=2026-11").data.decode("utf-8-sig"))))
    assert sum(r["tabel"] == "episode" for r in rows) == 2000 and sum(r["tabel"] == "aplikasi" for r in rows) == 30
