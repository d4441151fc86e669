"""Issue 26's "done when", end to end: `studio serve`, an episode played in a podcast app (its user agent), and
the download on the Statistik page and in the monthly PDF. The counting is stats-core's: until it is merged,
report() is the interface stub that counts nothing, and this test skips."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import add_fake_episode, stop
from test_access_log import PODCAST_APP, ask, barrier, connection
from test_serve import Server

from studio.publish.layout import media_key
from studio.stats import report as report_mod
from studio.workspace.layout import ACCESS_LOG_DIR

pytest_plugins = ["webutil"]
pytestmark = pytest.mark.skipif("INTERFACE STUB" in (report_mod.__doc__ or ""),
                                reason="report() is the interface stub until the counting (stats-core) is merged")
WIB = dt.timezone(dt.timedelta(hours=7))  # a counting day is a calendar day in WIB (docs/statistics.md)


def test_a_download_in_a_podcast_app_shows_on_the_statistik_page_and_in_the_pdf(web, tmp_path):
    audio = bytes(range(256)) * 8_000  # 2 MB: more than a minute of 128 kbit/s audio
    episode = add_fake_episode(web.workspace, "kpu", "2026-11-02-dpt", title="DPT dan pemilih pindahan", audio=audio)
    public = tmp_path / "public"
    key = public / media_key(episode)
    key.parent.mkdir(parents=True)
    key.write_bytes(audio)
    (public / "feeds").mkdir()
    (public / "feeds" / "kpu.xml").write_bytes(b"<rss/>")
    server = Server(public, web.workspace.root)
    try:
        conn = connection(server)
        status, _, body = ask(conn, "GET", f"/{media_key(episode)}")
        assert (status, len(body)) == (200, len(audio))
        barrier(conn)
    finally:
        stop(server.process)
    (day,) = sorted((web.workspace.root / ACCESS_LOG_DIR).glob("*.jsonl"))
    (line,) = [json.loads(x) for x in day.read_text().splitlines()]
    assert line["ua"] == PODCAST_APP
    month = dt.datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.timezone.utc).astimezone(WIB).strftime("%Y-%m")

    client = web.client("producer")
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/statistik?month={month}").get_data(as_text=True)))
    assert re.search(r"Total unduhan · \w+ \d{4} 1 ", words), words[:400]
    assert "DPT dan pemilih pindahan Sosialisasi KPU 1" in words and "AntennaPod 1" in words
    pdf = client.get(f"/statistik.pdf?month={month}").data
    title = re.search(rb"/Title \((.*?)\)\s*/", pdf, re.S).group(1)
    assert title[2:].decode("utf-16-be").endswith(" - 1 unduhan")
