"""The log readers on samples in each server's documented format, the shipped lists, the CLI and update-lists."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import threading

import pytest
from click.testing import CliRunner
from statsutil import (
    APP,
    BOT,
    CLOUDFRONT_HEADER,
    PODCAST_ADDICT,
    StudioLog,
    cloudfront,
    combined,
    mp3_episode,
    s3,
    when,
)

from studio.cli import cli
from studio.data import STATS_DIR
from studio.errors import ResourceError
from studio.stats import lists
from studio.stats.counting import count
from studio.stats.readers import CloudFrontReader, CombinedReader, S3Reader, detect
from studio.stats.report import report

MEDIA = "media/kpu/2026-11-01-dpt.mp3"
SAME_DAY = when("2026-11-03T12:00:00Z")


@pytest.fixture
def episode(workspace, ffmpeg_exe):
    return mp3_episode(workspace, ffmpeg_exe)


def test_s3_server_access_log():
    line = s3("36.68.10.1", "03/Nov/2026:01:02:03 +0000", APP, MEDIA, 206, 1_000_000)
    assert detect(line) == "s3"
    hit = S3Reader().parse(line)
    assert (hit.day, hit.address, hit.ua, hit.method, hit.path, hit.status, hit.sent, hit.probe) == (
        "2026-11-03", "36.68.10.1", APP, "GET", "/" + MEDIA, 206, 1_000_000, False)
    head = S3Reader().parse(s3("36.68.10.1", "03/Nov/2026:01:02:03 +0000", APP, MEDIA, 200, 0, "HEAD"))
    assert head.method == "HEAD" and head.sent == 0
    assert S3Reader().parse(s3("36.68.10.1", "03/Nov/2026:01:02:03 +0000", APP, MEDIA, 206, 2)).probe


def test_cloudfront_standard_log():
    lines = CLOUDFRONT_HEADER.splitlines()
    assert detect(lines[0]) == "cloudfront"
    reader = CloudFrontReader()
    for line in lines:
        reader.header(line)
    hit = reader.parse(cloudfront("2400:9800:1:2::9", "2026-11-03", "17:30:00", PODCAST_ADDICT, "/" + MEDIA, 200,
                                  5000))
    # 17:30 UTC is 00:30 WIB on the 4th; the user agent comes percent-encoded
    assert (hit.day, hit.address, hit.ua, hit.path, hit.status, hit.sent) == (
        "2026-11-04", "2400:9800:1:2::9", PODCAST_ADDICT, "/" + MEDIA, 200, 5000)
    probe = reader.parse(cloudfront("36.68.10.1", "2026-11-03", "01:00:00", APP, "/" + MEDIA, 206, 2,
                                     range_=("0", "1")))
    assert probe.probe


def test_combined_log_with_a_base_path_and_escaped_quotes():
    line = combined("36.68.10.1", "03/Nov/2026:23:59:59 +0700", 'Overcast/3.0 (+http://overcast.fm/; \\"x\\")',
                    "/podcast/media/kpu/2026-11-01-dpt.mp3?source=feed", 200, 123)
    assert detect(line) == "combined"
    hit = CombinedReader().parse(line)
    assert hit.day == "2026-11-03" and hit.path == "/podcast/media/kpu/2026-11-01-dpt.mp3"
    assert hit.ua == 'Overcast/3.0 (+http://overcast.fm/; "x")'
    assert CombinedReader().parse("garbage") is None


def test_combined_days_in_any_zone_and_lines_off_the_usual_shape():
    reader = CombinedReader()  # one reader: its day cache is shared by the lines
    days = {stamp: reader.parse(combined("36.68.10.1", stamp, APP, "/" + MEDIA, 200, 9)).day for stamp in (
        "03/Nov/2026:23:59:59 +0700", "04/Nov/2026:00:00:00 +0700", "03/Nov/2026:16:59:59 +0000",
        "03/Nov/2026:17:00:00 +0000", "03/Nov/2026:22:29:59 +0530", "03/Nov/2026:22:30:00 +0530",
        "03/Nov/2026:12:00:00 -0500")}
    assert list(days.values()) == ["2026-11-03", "2026-11-04", "2026-11-03", "2026-11-04", "2026-11-03",
                                   "2026-11-04", "2026-11-04"]
    usual = reader.parse(combined("36.68.10.1", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 206, 2))
    assert usual.probe and usual.method == "GET" and usual.ua == APP and usual.sent == 2
    extra = combined("36.68.10.1", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 206, 2) + ' "10.0.0.1"'
    assert reader.parse(extra) == usual  # a field added after the user agent (nginx's $http_x_forwarded_for)
    no_size = combined("36.68.10.1", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 304, 0).replace(" 304 0 ",
                                                                                                   " 304 - ")
    assert reader.parse(no_size)[5:8] == (304, False, 0)
    empty = reader.parse('36.68.10.1 - - [03/Nov/2026:08:00:00 +0700] "-" 400 0 "-" "-"')
    assert (empty.method, empty.path, empty.status) == ("", "", 400)


def test_each_format_counts_the_same_listeners(workspace, episode, tmp_path):
    s3_log = tmp_path / "s3.log"
    s3_log.write_text("".join(s3(a, "03/Nov/2026:01:00:00 +0000", ua, MEDIA, 200, episode) + "\n"
                              for a, ua in (("36.68.1.1", APP), ("36.68.1.2", BOT))))
    cf_log = tmp_path / "cf.log.gz"
    with gzip.open(cf_log, "wt") as f:
        f.write(CLOUDFRONT_HEADER + cloudfront("36.68.1.3", "2026-11-03", "01:00:00", APP, "/" + MEDIA, 200,
                                               episode) + "\n")
    nginx = tmp_path / "access.log"
    nginx.write_text(combined("36.68.1.4", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 200, episode) + "\n"
                     + combined("36.68.1.5", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 206, 2) + "\n")
    tally = count(workspace, [s3_log, cf_log, nginx], now=SAME_DAY)
    assert tally.files == 3 and tally.lines == 5 and tally.skipped["bot"] == 1
    assert report(workspace, now=SAME_DAY).downloads == 3


def test_every_opawg_example_is_recognized():
    agents = lists.UserAgents(STATS_DIR)
    for name in ("apps", "bots"):
        entries = json.loads((STATS_DIR / f"opawg-{name}.json").read_text())["entries"]
        examples = [(e["name"], x) for e in entries for x in e.get("examples", [])]
        assert len(examples) > 200
        wrong = [x for _name, x in examples if agents.classify(x).bot != (name == "bots")]
        assert len(wrong) <= len(examples) // 50, wrong[:5]  # OPAWG's own order settles a few overlaps


def test_data_centre_ranges():
    centres = lists.DataCentres(STATS_DIR)
    assert "1.12.0.1" in centres and "36.68.10.1" not in centres
    assert "2001:310::5" in centres and "garbage" not in centres


@pytest.fixture
def list_server(tmp_path):
    """The shipped lists over real HTTP, as the lists' repositories serve them."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(STATS_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_update_lists_replaces_them_whole_or_not_at_all(workspace, list_server, monkeypatch):
    target = workspace.root / ".studio" / "stats" / "lists"
    sources = {name: f"{list_server}/{name}" for name in lists.SOURCES}
    lists.update(target, sources)
    assert lists.lists_dir(target) == target
    assert (target / "opawg-bots.json").read_bytes() == (STATS_DIR / "opawg-bots.json").read_bytes()
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(ResourceError, match="could not download opawg-apps.json"):
        lists.update(target, {**sources, "opawg-apps.json": f"{list_server}/missing.json"})
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    # the command: one line, exit 1, the lists in use unchanged
    for name in lists.SOURCES:
        monkeypatch.setitem(lists.SOURCES, name, f"{list_server}/nothing-{name}")
    result = CliRunner().invoke(cli, ["--workspace", str(workspace.root), "stats", "update-lists"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_cli_json_and_text(workspace, episode, tmp_path):
    log = StudioLog(workspace)
    log.write(log.line("2026-11-03T01:00:00Z", "36.68.10.1", APP, "/" + MEDIA, sent=episode))
    imported = tmp_path / "access.log"
    imported.write_text(combined("36.68.10.2", "03/Nov/2026:08:00:00 +0700", APP, "/" + MEDIA, 200, episode) + "\n")
    ws = ["--workspace", str(workspace.root)]
    result = CliRunner().invoke(cli, [*ws, "stats", "import", str(imported)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, [*ws, "stats", "--month", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["downloads"] == 2 and figures["month"] == "2026-11" and len(figures["by_day"]) == 30
    assert figures["by_episode"][0]["episode"] == "kpu/2026-11-01-dpt"
    result = CliRunner().invoke(cli, [*ws, "stats", "--show", "kpu"])
    assert result.exit_code == 0, result.output
    assert "Downloads (kpu, all time): 2" in result.output
    result = CliRunner().invoke(cli, [*ws, "stats", "--month", "November"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
    result = CliRunner().invoke(cli, [*ws, "stats", "import", str(tmp_path / "nope.log")])
    assert result.exit_code == 2
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    result = CliRunner().invoke(cli, [*ws, "stats", "import", str(junk)])
    assert result.exit_code == 2 and "--format" in result.output
