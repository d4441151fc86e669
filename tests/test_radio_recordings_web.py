"""The radio page's "Rekaman siaran" section (issue 25): the shows' recordings coming up (title as it will be, local
start in the recording's zone, duration, the stream's host and never its credentials), the recent ones from the
recordings log with their state (recording, done with its gaps, failed with a one-line reason, missed) and a link to
the episode; both languages; and the section in a real browser (360 and 1280 px, axe-core) with its screenshots
docs/web/radio-recordings-{360,1280}.png."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from conftest import add_fake_episode, axe_serious_violations, screenshot_dir
from webutil import Served, Web, make_web, sign_in

from studio.media.ffmpeg import find_ffmpeg
from studio.radio import record as rec
from studio.radio.record import listing
from studio.radio.record import log as rec_log
from studio.web import create_app
from studio.web.strings import translate
from studio.workspace.config import Recording
from studio.workspace.tree import Workspace

MAKASSAR = ZoneInfo("Asia/Makassar")
SECRET_URL = "http://pengguna-x9:rahasia-sekali@radio.example.go.id:8000/live.mp3?token=kunci-rahasia"
EVERY_DAY = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")


def _take(day: int, *, title: str = "", url: str = SECRET_URL) -> rec.Take:
    start = dt.datetime(2026, 11, day, 9, 0, tzinfo=MAKASSAR)
    return rec.Take(show="kpu", url=url, seconds=1800, start=start, title=title or f"Siaran Pemilu {day} November",
                    key=f"kpu@2026-11-{day:02d}T01:00:00Z")


def _now_take() -> rec.Take:
    """An airing that began five minutes ago (on this machine's clock): being recorded now."""
    start = (dt.datetime.now(MAKASSAR) - dt.timedelta(minutes=5)).replace(microsecond=0)
    return rec.Take(show="kpu", url=SECRET_URL, seconds=1800, start=start, title="Siaran Pemilu hari ini",
                    key=f"kpu@{start.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}")


@pytest.fixture
def logged(workspace):
    """The kpu show recording every day at 09:00 WITA from a stream with credentials, and four airings in the
    log, each through the log's own functions: done with two gaps (its episode exists), failed (the stream never
    came up), missed, and one being recorded now."""
    workspace.save_show(replace(workspace.show("kpu"), recordings=(Recording(
        url=SECRET_URL, start="09:00", timezone="Asia/Makassar", duration="30m", weekdays=EVERY_DAY,
        title="Siaran Pemilu {date}"),)))
    ws = Workspace(workspace.root)
    episode = add_fake_episode(ws, "kpu", "2026-11-01-siaran-pemilu", title="Siaran Pemilu 1 November")
    done = _take(1)
    rec_log.write(ws, done.entry("started"))
    rec_log.write(ws, done.entry("done", episode=episode.id, gaps=[{"at": 300.0, "length": 12.5},
                                                                   {"at": 900.0, "length": 3.0}]))
    failed = _take(2)
    rec_log.write(ws, failed.entry("started"))
    rec_log.write(ws, failed.entry("failed", error="the stream http://radio.example.go.id:8000/live.mp3 did not "
                                   "come up within 60 s", reason="no_stream"))
    assert rec_log.claim(ws, _take(3).entry("missed"))
    assert rec_log.claim(ws, _now_take().entry("started"))
    return make_web(ws)


def _section(html: str) -> str:
    start = html.index('<section aria-labelledby="recordings">')
    return html[start:html.index("</section>", start)]


def test_the_section_lists_recent_recordings_with_their_state_and_what_comes(logged):
    html = logged.client("scheduler").get("/radio").get_data(as_text=True)
    section = _section(html)
    assert "<h2" in section and "Rekaman siaran" in section
    # the recent ones, newest first, each with its state
    states = [section.index(f">{word}<") for word in ("sedang merekam", "terlewat", "gagal", "selesai")]
    assert states == sorted(states)
    assert "2 jeda, 15.5 detik diisi hening" in section
    assert translate("id", "radio.rec.reason.no_stream") in section and "did not come up" not in section
    assert translate("id", "radio.rec.missed_why") in section
    assert re.search(r'<a href="/episodes/kpu/2026-11-01-siaran-pemilu/?">Siaran Pemilu 1 November</a>', section)
    assert "Selasa, 3 November 2026 pukul 09.00 WITA" in section and "30:00" in section and ">terhenti<" not in section
    # the ones coming up: the title as it will be, the local start in its zone, the duration, the host only
    upcoming = section[section.index("Akan direkam"):section.index("Rekaman terakhir")]
    assert upcoming.count("<tr>") == 1 + 7  # its heading and a week of days
    assert " WITA" in upcoming and "pukul 09.00 WITA" in upcoming and "Sosialisasi KPU" in upcoming
    first = rec.starts_between(list(logged.workspace.shows().values()), dt.datetime.now().astimezone(),
                               dt.datetime.now().astimezone() + dt.timedelta(days=7))[0]
    assert f"Siaran Pemilu {first.start.day} " in upcoming and "radio.example.go.id:8000" in upcoming


def test_a_recording_left_started_long_after_its_end_shows_as_stopped(logged):
    ws = logged.workspace
    assert rec_log.claim(ws, _take(4).entry("started"))  # a month ago: its recorder died without a word
    section = _section(logged.client("scheduler").get("/radio").get_data(as_text=True))
    assert section.count(">sedang merekam<") == 1 and section.count(">terhenti<") == 1
    assert translate("id", "radio.rec.stopped_why") in section
    now = dt.datetime(2026, 11, 4, 9, 40, tzinfo=MAKASSAR)
    (entry,) = [e for e in rec_log.read(ws) if e.key == "kpu@2026-11-04T01:00:00Z"]
    assert not listing.stopped(entry, now) and listing.stopped(entry, now + dt.timedelta(minutes=30))


def test_a_stream_address_never_shows_its_credentials(logged):
    html = logged.client("scheduler").get("/radio").get_data(as_text=True)
    assert "radio.example.go.id:8000" in html
    for secret in ("pengguna-x9", "rahasia-sekali", "kunci-rahasia", "live.mp3", "token="):
        assert secret not in html, secret
    assert str(logged.workspace.root) not in html


def test_the_section_in_english(logged):
    web = Web(logged.workspace, create_app(logged.workspace, {"TESTING": True, "STUDIO_INDEX_MAX_AGE": 0, "lang": "en"}))
    section = _section(web.client("scheduler").get("/radio").get_data(as_text=True))
    assert "Off-air recordings" in section and "Coming up (next 7 days)" in section
    for word in (">recording<", ">done<", ">failed<", ">missed<", "2 gap(s), 15.5 s filled with silence",
                 translate("en", "radio.rec.reason.no_stream")):
        assert word in section, word
    assert "Rekaman" not in section and "sedang merekam" not in section


def test_a_recording_that_never_came_up_is_logged_with_its_reason_and_the_page_says_it(workspace):
    take = rec.Take(show="kpu", url="http://127.0.0.1:9/live.mp3", seconds=30,
                    start=dt.datetime.now().astimezone(), title="Siaran")
    with pytest.raises(Exception, match="did not come up"):
        rec.record(workspace, find_ffmpeg(), take, connect_timeout=1)
    (entry,) = [e for e in rec_log.latest(workspace).values()]
    assert (entry.state, entry.reason, entry.title) == ("failed", "no_stream", "Siaran")
    section = _section(make_web(workspace).client("scheduler").get("/radio").get_data(as_text=True))
    assert translate("id", "radio.rec.reason.no_stream") in section and "127.0.0.1:9" in section
    assert translate("id", "radio.rec.upcoming_none") in section  # the show names no [[recordings]]


def test_an_older_line_without_a_reason_or_title_still_shows(workspace):
    rec_log.write(workspace, rec_log.Entry(key="kpu@2026-12-01T01:00:00Z", show="kpu", state="failed",
                                           start="2026-12-01T09:00:00+08:00", duration=60, url="http://h/x",
                                           error="boom"))
    assert listing.failure_reason(rec_log.read(workspace)[0]) == "other"
    section = _section(make_web(workspace).client("scheduler").get("/radio").get_data(as_text=True))
    assert translate("id", "radio.rec.reason.other") in section and "boom" not in section


def test_a_scheduler_limited_to_other_shows_sees_none_of_this_show_s_recordings(logged):
    from studio.workspace.shows import add_show
    from studio.workspace.users import add_user

    add_show(logged.workspace, "lain", title="Acara Lain", author="Diskominfo", email="podcast@example.go.id",
             description="Acara lain.")
    add_user(logged.workspace, "sched-lain", "scheduler", "kata-sandi-panjang-sekali", shows=("lain",))
    section = _section(logged.login("sched-lain", "kata-sandi-panjang-sekali").get("/radio").get_data(as_text=True))
    assert translate("id", "radio.rec.recent_none") in section and translate("id", "radio.rec.upcoming_none") in section


def test_every_recording_string_is_in_both_languages():
    from studio.web.strings.radio import RADIO_RECORDING_STRINGS

    for state in rec_log.STATES:
        assert f"radio.rec.state.{state}" in RADIO_RECORDING_STRINGS
    for reason in rec_log.REASONS:
        assert f"radio.rec.reason.{reason}" in RADIO_RECORDING_STRINGS
    for key, (indonesian, english) in RADIO_RECORDING_STRINGS.items():
        assert indonesian and english and translate("en", key) == english and translate("id", key) == indonesian


def test_the_stream_host_never_carries_credentials():
    assert listing.stream_host(SECRET_URL) == "radio.example.go.id:8000"
    assert listing.stream_host("https://u:p@[::1]/hls/live.m3u8") == "[::1]"
    assert listing.stream_host("not a url") == ""


@pytest.mark.browser
def test_the_recordings_section_in_a_browser(logged, browser, tmp_path):
    server = Served(create_app(logged.workspace, {"STUDIO_INDEX_MAX_AGE": 0}))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        tab = context.new_page()
        sign_in(tab, server.url, "sched")
        tab.goto(f"{server.url}/radio")
        section = tab.locator("section[aria-labelledby=recordings]")
        text = section.inner_text()
        assert "Rekaman siaran" in text and "sedang merekam" in text and "terlewat" in text and "WITA" in text
        assert axe_serious_violations(tab) == []
        shots = screenshot_dir(tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        for width in (1280, 360):
            tab.set_viewport_size({"width": width, "height": 900})
            section.screenshot(path=str(shots / f"radio-recordings-{width}.png"))
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {width}"
        hidden = tab.evaluate("[...document.querySelectorAll('section[aria-labelledby=recordings] .scroll')]"
                              ".filter(s => s.scrollWidth > s.clientWidth).length")
        assert hidden == 0, "a table of the section hides columns at 360 px"  # its rows stack instead
        section.get_by_role("link", name="Siaran Pemilu 1 November").click()
        tab.wait_for_url(re.compile(r".*/episodes/kpu/2026-11-01-siaran-pemilu/?$"))
    finally:
        context.close()
        server.close()


def test_a_logged_start_is_named_by_indonesias_zone_from_its_offset():
    from studio.radio.record.listing import local_time

    assert local_time("2026-12-07T09:00:00+07:00") == "2026-12-07 09:00 WIB"
    assert local_time("2026-12-07T09:00:00+08:00") == "2026-12-07 09:00 WITA"
    assert local_time("2026-12-07T09:00:00+09:00") == "2026-12-07 09:00 WIT"
    assert local_time("2026-12-07T09:00:00+05:30") == "2026-12-07 09:00 UTC+05:30"
