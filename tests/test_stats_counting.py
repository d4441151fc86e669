"""Downloads counted by the IAB rules on synthesized logs whose right answer is known from the guideline."""

from __future__ import annotations

import gzip
import shutil

import pytest
from statsutil import APP, BOT, CHROME, PODCAST_ADDICT, StudioLog, combined, mp3_episode, when

from studio.stats.counting import count, threshold_bytes
from studio.stats.identity import Anonymizer, WindowClosed, network
from studio.stats.report import report
from studio.workspace.layout import STATS_SALTS_DIR

MEDIA = "/media/kpu/2026-11-01-dpt.mp3"
LATER = when("2026-11-20T00:00:00Z")  # every window of early November closed, with its grace
SAME_DAY = when("2026-11-03T12:00:00Z")  # 19:00 WIB on the 3rd: that day still open


@pytest.fixture
def episode(workspace, ffmpeg_exe):
    return mp3_episode(workspace, ffmpeg_exe)


def downloads(workspace, now=LATER, **kw) -> int:
    return report(workspace, now=now, **kw).downloads


def test_threshold_is_the_tag_and_one_minute_of_the_published_mp3(workspace, episode):
    mp3 = workspace.files("kpu/2026-11-01-dpt").podcast
    assert threshold_bytes(mp3) == episode
    assert episode > 960_000  # the ID3 tag is counted on top of 60 s at 128 kbit/s


def test_same_listener_twice_in_a_window_counts_once(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode),
              log.line("2026-11-03T10:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))  # 08:00 and 17:00 WIB
    figures = report(workspace, now=LATER, month="2026-11")
    assert figures.downloads == 1
    assert {c.name: c.count for c in figures.by_day if c.count} == {"2026-11-03": 1}


def test_same_listener_across_windows_counts_twice(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T10:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode),  # 17:00 WIB on the 3rd
              log.line("2026-11-03T18:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))  # 01:00 WIB on the 4th
    figures = report(workspace, now=LATER, month="2026-11")
    assert figures.downloads == 2
    assert {c.name: c.count for c in figures.by_day if c.count} == {"2026-11-03": 1, "2026-11-04": 1}


def test_another_app_at_the_same_address_is_another_listener(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode),
              log.line("2026-11-03T02:00:00Z", "36.68.10.1", PODCAST_ADDICT, MEDIA, sent=episode))
    figures = report(workspace, now=LATER)
    assert figures.downloads == 2
    assert {c.name for c in figures.apps} == {"AppleCoreMedia", "Podcast Addict"}
    assert {c.name for c in figures.platforms} == {"Apple iPhone", "Android Phone"}
    assert figures.countries[0].name == "ID"


def test_range_requests_are_summed_for_the_one_minute_rule(workspace, episode):
    log = StudioLog(workspace)
    third = episode // 3 + 1
    log.write(*(log.line(f"2026-11-03T01:0{i}:00Z", "36.68.10.1", APP, MEDIA, status=206, sent=third,
                         range_=f"bytes={i * third}-{(i + 1) * third - 1}") for i in range(3)),
              # another listener: two ranges one byte short of the threshold
              log.line("2026-11-03T01:00:00Z", "36.68.10.2", APP, MEDIA, status=206, sent=episode // 2),
              log.line("2026-11-03T01:01:00Z", "36.68.10.2", APP, MEDIA, status=206, sent=episode - episode // 2 - 1))
    assert downloads(workspace) == 1


def test_probe_head_and_304_count_nothing(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, status=206, sent=2, range_="bytes=0-1"),
              log.line("2026-11-03T01:00:01Z", "36.68.10.1", APP, MEDIA, status=206, sent=episode - 1,
                       range_="bytes=2-"),  # one byte short: the probe's two must not make up for it
              log.line("2026-11-03T01:00:00Z", "36.68.10.2", APP, MEDIA, method="HEAD", sent=episode),
              log.line("2026-11-03T01:00:00Z", "36.68.10.3", APP, MEDIA, status=304, sent=episode),
              log.line("2026-11-03T01:00:00Z", "36.68.10.4", APP, MEDIA, status=404, sent=episode))
    assert downloads(workspace) == 0


def test_a_bot_a_data_centre_and_no_user_agent_count_nothing(workspace, episode):
    log = StudioLog(workspace)
    line = log.line("2026-11-03T01:00:00Z", "1.12.0.1", APP, MEDIA, sent=episode)  # in the data-centre list
    assert '"dc": true' in line
    log.write(line,
              log.line("2026-11-03T01:00:00Z", "36.68.10.1", BOT, MEDIA, sent=episode),
              log.line("2026-11-03T01:00:00Z", "36.68.10.2", "", MEDIA, sent=episode),
              log.line("2026-11-03T01:00:00Z", "36.68.10.3", CHROME, MEDIA, sent=episode))  # a browser listens
    figures = report(workspace, now=LATER)
    assert figures.downloads == 1
    assert [c.name for c in figures.apps] == ["Chrome"]
    assert any("2 bot" in note and "1 datacentre" in note for note in figures.notes)


def test_ipv6_addresses_of_one_64_are_one_listener(workspace, episode):
    assert network("2001:db8:1:2:aaaa::1") == network("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert network("::ffff:36.68.10.1") == "36.68.10.1"
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "2400:9800:1:2:aaaa::1", APP, MEDIA, sent=episode),
              log.line("2026-11-03T02:00:00Z", "2400:9800:1:2:bbbb::2", APP, MEDIA, sent=episode),
              log.line("2026-11-03T03:00:00Z", "2400:9800:1:3::1", APP, MEDIA, sent=episode))
    assert downloads(workspace) == 2


def test_open_days_are_shown_and_closed_days_are_counted_for_good(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))
    figures = report(workspace, now=SAME_DAY)
    assert figures.downloads == 1 and figures.counted_through < "2026-11-03"
    assert (workspace.root / STATS_SALTS_DIR / "2026-11-03").exists()
    figures = report(workspace, now=LATER)
    assert figures.downloads == 1 and figures.counted_through >= "2026-11-03"
    assert figures.by_month[0].name == "2026-11" and figures.by_episode[0].title == "DPT dan pemilih pindahan"


def test_the_salt_is_destroyed_after_the_window_and_late_lines_count_nothing(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))
    report(workspace, now=LATER)
    salts = workspace.root / STATS_SALTS_DIR
    assert not (salts / "2026-11-03").exists()
    with pytest.raises(WindowClosed):
        Anonymizer(salts).client("36.68.10.1", when("2026-11-03T05:00:00Z"))
    late = workspace.root / "late.log"
    late.write_text(combined("36.68.10.9", "03/Nov/2026:09:00:00 +0700", APP, MEDIA, 200, episode) + "\n")
    tally = count(workspace, [late], now=LATER)
    assert tally.skipped["late"] == 1
    assert downloads(workspace) == 1


def test_a_log_imported_twice_counts_once_and_appended_lines_once(workspace, episode, tmp_path):
    path = tmp_path / "access.log"
    path.write_text(combined("36.68.10.1", "03/Nov/2026:08:00:00 +0700", APP, MEDIA, 200, episode) + "\n")
    count(workspace, [path], now=SAME_DAY)
    count(workspace, [path], now=SAME_DAY)
    assert downloads(workspace, SAME_DAY) == 1
    copy = tmp_path / "access.log.1"
    shutil.copyfile(path, copy)  # rotated: the same bytes under another name
    with open(path, "a") as f:
        f.write(combined("36.68.10.2", "03/Nov/2026:09:00:00 +0700", APP, MEDIA, 200, episode) + "\n")
        f.write(combined("36.68.10.3", "03/Nov/2026:09:00:00 +0700", APP, MEDIA, 200, episode))  # being written
    tally = count(workspace, [copy, path], now=SAME_DAY)
    assert tally.lines == 1
    assert downloads(workspace, SAME_DAY) == 2
    with open(path, "a") as f:
        f.write("\n")
    gz = tmp_path / "access.log.2.gz"
    with gzip.open(gz, "wb") as f:
        f.write(path.read_bytes())
    count(workspace, [path, gz], now=SAME_DAY)
    assert downloads(workspace, SAME_DAY) == 3


def test_the_access_log_is_read_again_only_where_it_grew(workspace, episode):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))
    assert downloads(workspace, SAME_DAY) == 1
    assert downloads(workspace, SAME_DAY) == 1
    path = log.write(log.line("2026-11-03T02:00:00Z", "36.68.10.2", APP, MEDIA, sent=episode))
    assert downloads(workspace, SAME_DAY) == 2
    count(workspace, [path], now=SAME_DAY)  # imported by hand too: still read once
    assert downloads(workspace, SAME_DAY) == 2


def test_clip_page_views_and_radio_deliveries(workspace, episode):
    from studio.radio.deliveries import log_path, record

    log = StudioLog(workspace)
    page = "/kpu/2026-11-01-dpt/clip-01/"
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", CHROME, page),
              log.line("2026-11-03T01:00:00Z", "36.68.10.1", CHROME, page + "index.html"),
              log.line("2026-11-03T01:00:00Z", "36.68.10.2", CHROME, "/kpu/2026-11-01-dpt/clip-02/"),
              log.line("2026-11-03T01:00:00Z", "36.68.10.3", BOT, page),
              log.line("2026-11-03T01:00:00Z", "36.68.10.4", CHROME, page, status=304))
    for station, size in (("rri", 100), ("rri", 100), ("abdi", 50)):
        record(log_path(workspace), station, "kpu/2026-11-01-dpt.wav", size, "10.0.0.1", 200,
               now=when("2026-11-03T01:00:00Z"))
    figures = report(workspace, now=LATER, month="2026-11")
    assert [(v.clip, v.views) for v in figures.clip_views] == [("clip-01", 2), ("clip-02", 1)]
    assert [(r.station, r.files, r.bytes) for r in figures.radio] == [("rri", 1, 200), ("abdi", 1, 50)]
    assert report(workspace, now=LATER, month="2026-10").radio == ()


def test_no_raw_address_is_written_anywhere(workspace, episode, tmp_path):
    addresses = ["36.68.10.77", "2400:9800:1:2:aaaa::77", "1.12.0.77"]
    log = StudioLog(workspace)
    log.write(*(log.line("2026-11-03T01:00:00Z", a, APP, MEDIA, sent=episode) for a in addresses))
    imported = tmp_path / "import.log"
    imported.write_text("".join(combined(a.replace("77", "78"), "03/Nov/2026:08:00:00 +0700", APP, MEDIA, 200,
                                         episode) + "\n" for a in addresses))
    count(workspace, [imported], now=SAME_DAY)
    report(workspace, now=SAME_DAY)
    written = [p for p in workspace.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in written)
    for path in written:
        data = path.read_bytes()
        for address in addresses + [a.replace("77", "78") for a in addresses]:
            assert address.encode() not in data, f"{address} in {path}"
        assert b"2400:9800:1:2" not in data


def test_a_report_during_a_long_import_answers_with_what_is_counted(workspace, episode):
    from studio.fsutil import file_lock
    from studio.stats.counting import LOCK_FILE
    from studio.workspace.layout import STATS_DIR

    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, MEDIA, sent=episode))
    assert downloads(workspace, SAME_DAY) == 1
    log.write(log.line("2026-11-03T02:00:00Z", "36.68.10.2", APP, MEDIA, sent=episode))
    with file_lock(workspace.root / STATS_DIR / LOCK_FILE):  # an import holds it
        figures = report(workspace, now=SAME_DAY)
    assert figures.downloads == 1 and any("under way" in note for note in figures.notes)
    assert downloads(workspace, SAME_DAY) == 2
