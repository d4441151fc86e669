"""The episode basics podcast hosts have (issue 28 item 6): scheduled publishing, unpublish (with --prune),
per-episode artwork, season/number/type, links in the show notes, and approval again after an edit."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import feedparser
import lxml.etree
import podcastparser
import pytest
from conftest import S3Bucket, add_fake_episode
from PIL import Image

import studio.publish as publish
from studio.errors import BadInput
from studio.publish.notes import notes_html
from studio.review import basics, edits
from studio.workspace import approval, users
from studio.workspace.config import save_settings
from studio.workspace.layout import SITE_DIR
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace

BASE = "https://podcast.example.go.id"
WITA = dt.timezone(dt.timedelta(hours=8))
NOTES = ("Cek nama Anda di https://cekdptonline.kpu.go.id. Jadwal lengkap: [situs KPU](https://kpu.go.id/jadwal?a=1&b=2)"
         "\n\nJangan klik [ini](javascript:alert(1)) <script>alert(1)</script> <TPS>")


def artwork(path: Path, size: int = 1400, colour=(200, 40, 40)) -> Path:
    Image.new("RGB", (size, size), colour).save(path, "JPEG")
    return path


def feed_of(ws: Workspace) -> bytes:
    return (ws.root / "public" / "feeds" / "kpu.xml").read_bytes()


def without_site(ws: Workspace) -> Workspace:
    save_settings(ws.settings_path, replace(ws.settings, site=False))
    return ws


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    add_show(workspace, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id",
             description="Podcast sosialisasi pemilu.", timezone="Asia/Makassar", replace=True)
    add_fake_episode(workspace, "kpu", "2026-12-01-dpt", title="DPT dan pemilih pindahan", description=NOTES)
    add_fake_episode(workspace, "kpu", "2026-12-02-tps", title="TPS dan KPPS")
    return workspace


# -- the feed: season, number, type, artwork, links -----------------------------------------------

def test_feed_carries_season_number_type_artwork_and_linked_notes(ws: Workspace, tmp_path: Path):
    basics.update_basics(ws, "kpu/2026-12-01-dpt", basics.Basics(season="2", number="5", episode_type="trailer"))
    basics.set_artwork(ws, "kpu/2026-12-01-dpt", artwork(tmp_path / "cover.jpg"))
    publish.publish(without_site(ws), base_url=BASE)
    data = feed_of(ws)

    entry = next(e for e in feedparser.parse(data).entries if e.title.startswith("DPT"))
    assert (entry.itunes_season, entry.itunes_episode, entry.itunes_episodetype) == ("2", "5", "trailer")
    assert entry.image.href == f"{BASE}/artwork/kpu/2026-12-01-dpt.jpg"
    assert (ws.root / "public/artwork/kpu/2026-12-01-dpt.jpg").read_bytes() == (tmp_path / "cover.jpg").read_bytes()
    html = entry.content[0].value  # content:encoded
    assert '<a href="https://cekdptonline.kpu.go.id" rel="noopener">' in html  # the full stop is not the link's
    assert '<a href="https://kpu.go.id/jadwal?a=1&#38;b=2" rel="noopener">situs KPU</a>' in html
    assert "javascript:" not in html.replace("[ini](javascript:", "") and "<script" not in html
    assert "&#60;TPS&#62;" in html  # text stays text (numeric references: podcastparser reads them right)
    assert "<![CDATA[" in data.decode()  # content:encoded as feedgen writes it

    podcast = podcastparser.parse(f"{BASE}/feeds/kpu.xml", io.BytesIO(data))
    item = next(e for e in podcast["episodes"] if e["title"].startswith("DPT"))
    assert (item["season"], item["number"], item["type"]) == (2, 5, "trailer")
    assert item["episode_art_url"] == f"{BASE}/artwork/kpu/2026-12-01-dpt.jpg"
    assert 'href="https://cekdptonline.kpu.go.id"' in item["description_html"]
    other = next(e for e in podcast["episodes"] if e["title"].startswith("TPS"))
    assert other["type"] == "full" and "season" not in other and other.get("episode_art_url") is None


def test_show_notes_are_sanitized():
    html = notes_html('Lihat https://kpu.go.id/a_(b). <img src=x onerror=alert(1)> [x](data:text/html,1)\n'
                      "- satu\n- **dua**")
    assert '<a href="https://kpu.go.id/a_(b)" rel="noopener">' in html
    assert "<img" not in html and "data:" not in html.split("[x]")[0]
    assert "<p>" in html and "<ul>" not in html  # a list needs every line of its paragraph to be an item
    assert notes_html("- satu\n- **dua**") == "<ul><li>satu</li><li><strong>dua</strong></li></ul>"
    tags = {node.tag for node in lxml.etree.fromstring(f"<div>{notes_html(NOTES)}</div>".encode()).iter()}
    assert tags <= {"div", "a", "p", "br", "strong", "em", "ul", "ol", "li"}


def test_a_season_or_type_a_feed_cannot_carry_is_refused(ws: Workspace):
    for bad in (basics.Basics(season="nol"), basics.Basics(number="0"), basics.Basics(episode_type="cuplikan"),
                basics.Basics(publish_at="besok pagi")):
        with pytest.raises(BadInput):
            basics.update_basics(ws, "kpu/2026-12-01-dpt", bad)
    toml = ws.episode_dir("kpu/2026-12-01-dpt") / "episode.toml"
    toml.write_text(toml.read_text() + 'episode_type = "teaser"\n')
    assert "episode_type" in ws.index.read("kpu/2026-12-01-dpt").broken  # said where episode.toml is read


def test_artwork_follows_the_shows_size_rule(ws: Workspace, tmp_path: Path):
    with pytest.raises(BadInput, match="1400"):
        basics.set_artwork(ws, "kpu/2026-12-01-dpt", artwork(tmp_path / "small.jpg", 800))
    assert ws.episode("kpu/2026-12-01-dpt").artwork == ""
    saved = basics.set_artwork(ws, "kpu/2026-12-01-dpt", artwork(tmp_path / "ok.jpg"))
    assert saved.artwork == "artwork.jpg" and (ws.episode_dir(saved.id) / "artwork.jpg").is_file()
    assert basics.remove_artwork(ws, saved.id).artwork == ""
    assert not (ws.episode_dir(saved.id) / "artwork.jpg").exists()


def test_an_image_of_absurd_dimensions_is_refused_as_bad_input(ws: Workspace, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400_000)  # Pillow's bomb check, met by a small image
    with pytest.raises(BadInput, match="1400 to 3000"):
        basics.set_artwork(ws, "kpu/2026-12-01-dpt", artwork(tmp_path / "bomb.jpg"))
    assert ws.episode("kpu/2026-12-01-dpt").artwork == ""


# -- scheduled publishing ---------------------------------------------------------------------------

def test_a_scheduled_episode_stays_out_until_its_time_then_the_tick_publishes_it(ws: Workspace):
    saved = basics.update_basics(ws, "kpu/2026-12-01-dpt", basics.Basics(publish_at="2026-12-21T06:00"))
    assert saved.publish_at == "2026-12-21T06:00+08:00"  # the show's zone (WITA)
    before = dt.datetime(2026, 12, 21, 5, 59, tzinfo=WITA)
    report = publish.publish(ws, base_url=BASE, now=before)
    assert report.episodes == 1
    titles = [e.title for e in feedparser.parse(feed_of(ws)).entries]
    assert titles == ["TPS dan KPPS"]
    assert not (ws.root / "public/kpu/2026-12-01-dpt/index.html").exists()
    assert not (ws.root / "public/media/kpu/2026-12-01-dpt.mp3").exists()
    assert publish.publish_due(ws, before) is None  # nothing is due yet: the tick does nothing

    after = dt.datetime(2026, 12, 21, 6, 0, tzinfo=WITA)
    ticked = publish.publish_due(ws, after)  # no file changed: the clock alone makes it due
    assert ticked is not None and ticked.episodes == 2
    entries = feedparser.parse(feed_of(ws)).entries
    assert [e.title for e in entries] == ["DPT dan pemilih pindahan", "TPS dan KPPS"]
    assert entries[0].published_parsed[:5] == (2026, 12, 20, 22, 0)  # pubDate: its publish time (UTC)
    assert (ws.root / "public/kpu/2026-12-01-dpt/index.html").is_file()
    assert publish.publish_due(ws, after + dt.timedelta(minutes=1)) is None  # published: the next tick rests


def test_cron_publish_follows_studio_now(ws: Workspace):
    """`studio episode set --publish-at`, then `studio publish` from cron with the clock in STUDIO_NOW."""
    def studio(*args: str, now: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "STUDIO_NOW": now}
        return subprocess.run([sys.executable, "-m", "studio", "--workspace", str(ws.root), *args],
                              capture_output=True, text=True, env=env)

    done = studio("episode", "set", "kpu/2026-12-01-dpt", "--publish-at", "2026-12-21T06:00", "--season", "1",
                  now="2026-12-01T00:00+08:00")
    assert done.returncode == 0, done.stderr
    assert "Senin" not in done.stderr + done.stdout and "Monday, 21 December 2026 at 06:00 WITA" in done.stderr
    early = studio("publish", "--base-url", BASE, now="2026-12-21T05:00+08:00")
    assert early.returncode == 0, early.stderr
    assert "kpu/2026-12-01-dpt: not published yet: scheduled for Monday, 21 December 2026 at 06:00 WITA" in early.stderr
    assert [e.title for e in feedparser.parse(feed_of(ws)).entries] == ["TPS dan KPPS"]
    status = json.loads(studio("status", "--json", now="2026-12-21T05:00+08:00").stdout)
    assert {s["id"]: s["publish_at"] for s in status}["kpu/2026-12-01-dpt"] == "2026-12-21T06:00+08:00"
    late = studio("publish", "--base-url", BASE, now="2026-12-21T06:05+08:00")
    assert late.returncode == 0, late.stderr
    assert len(feedparser.parse(feed_of(ws)).entries) == 2
    bad = studio("episode", "set", "kpu/2026-12-01-dpt", "--season", "dua", now="2026-12-21T06:05+08:00")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


# -- unpublish ----------------------------------------------------------------------------------------

def _page_count(site: Path) -> int:
    entry = json.loads((site / "pagefind" / "kpu" / "pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def test_unpublish_leaves_the_feed_the_site_and_search_and_prune_empties_the_bucket(ws: Workspace,
                                                                                     s3_bucket: S3Bucket):
    def s3_publish(**kwargs) -> publish.PublishReport:
        return publish.publish(ws, f"s3://{s3_bucket.name}/pub/", base_url=BASE, endpoint_url=s3_bucket.endpoint,
                               **kwargs)

    def keys() -> set[str]:
        listed = s3_bucket.client.list_objects_v2(Bucket=s3_bucket.name, Prefix="pub/").get("Contents", [])
        return {o["Key"].removeprefix("pub/") for o in listed}

    s3_publish()
    site = ws.cache_dir / SITE_DIR
    assert "kpu/2026-12-01-dpt/index.html" in keys() and _page_count(site) == 2

    basics.unpublish(ws, "kpu/2026-12-01-dpt")
    report = s3_publish()  # without --prune: out of the feed, site and search; its files are kept
    feed = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key="pub/feeds/kpu.xml")["Body"].read()
    assert [e.title for e in feedparser.parse(feed).entries] == ["TPS dan KPPS"]
    assert not (site / "kpu/2026-12-01-dpt/index.html").exists() and _page_count(site) == 1
    assert "media/kpu/2026-12-01-dpt.mp3" in report.stale and "media/kpu/2026-12-01-dpt.mp3" in keys()
    home = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key="pub/kpu/index.html")["Body"].read().decode()
    assert "DPT dan pemilih pindahan" not in home

    pruned = s3_publish(prune=True)
    assert "media/kpu/2026-12-01-dpt.mp3" in pruned.pruned
    assert not {k for k in keys() if "2026-12-01-dpt" in k}  # page, embed, media: all gone from the bucket
    assert "media/kpu/2026-12-02-tps.mp3" in keys()

    basics.restore(ws, "kpu/2026-12-01-dpt")  # reversible
    s3_publish()
    assert "media/kpu/2026-12-01-dpt.mp3" in keys() and _page_count(site) == 2


def test_the_tick_takes_down_an_unpublished_episode(ws: Workspace):
    publish.publish(without_site(ws), base_url=BASE)
    assert publish.publish_due(ws) is None
    basics.unpublish(ws, "kpu/2026-12-02-tps")
    assert publish.publish_due(ws) is not None
    assert [e.title for e in feedparser.parse(feed_of(ws)).entries] == ["DPT dan pemilih pindahan"]


# -- approval again after an edit ----------------------------------------------------------------------

def test_an_edit_after_approval_needs_approval_again(ws: Workspace, tmp_path: Path):
    show = ws.show("kpu")
    ws.save_show(replace(show, require_approval=True))
    users.add_user(ws, "ani", "producer", "kata-sandi-panjang-1")
    users.add_user(ws, "budi", "producer", "kata-sandi-panjang-2")
    episode = ws.episode("kpu/2026-12-01-dpt")
    approval.record_uploader(ws, episode, "ani")
    approval.approve(ws, episode, "budi")
    assert ws.index.read(episode.id).approved_by == "budi"

    basics.update_basics(ws, episode.id, basics.Basics(season="3"))  # what goes out changed: approval lapses
    row = ws.index.read(episode.id)
    assert row.approved_by == "" and row.withdrawn_by == "budi" and row.withdrawn == ["details"]
    publish.publish(without_site(ws), base_url=BASE)
    assert [e.title for e in feedparser.parse(feed_of(ws)).entries] == []  # neither is approved now

    approval.approve(ws, ws.episode(episode.id), "budi")
    basics.set_artwork(ws, episode.id, artwork(tmp_path / "new.jpg"))
    assert ws.index.read(episode.id).withdrawn == ["details"]
    approval.approve(ws, ws.episode(episode.id), "budi")
    edits.update_metadata(ws, episode.id, edits.Metadata(title="DPT baru", description=NOTES))
    assert ws.index.read(episode.id).withdrawn == ["title"]

    approval.approve(ws, ws.episode(episode.id), "budi")
    basics.update_basics(ws, episode.id, basics.Basics(publish_at="2026-12-30T06:00"))  # when, not what
    assert ws.index.read(episode.id).approved_by == "budi"


def test_an_approval_from_before_the_basics_still_covers_an_episode_without_them(ws: Workspace):
    folder = ws.episode_dir("kpu/2026-12-01-dpt")
    users.add_user(ws, "budi", "producer", "kata-sandi-panjang-2")
    approved = approval.approve(ws, ws.episode("kpu/2026-12-01-dpt"), "budi")
    record = json.loads((folder / ".studio/approval.json").read_text())
    del record["digest"]["details"]  # as an older Studio recorded it
    (folder / ".studio/approval.json").write_text(json.dumps(record))
    assert approved.approved_by == ws.index.read("kpu/2026-12-01-dpt").approved_by == "budi"


# -- the listener site ---------------------------------------------------------------------------------

def test_the_site_shows_the_notes_links_the_numbers_and_the_episode_artwork(ws: Workspace, tmp_path: Path):
    basics.update_basics(ws, "kpu/2026-12-01-dpt", basics.Basics(season="2", number="5", episode_type="bonus"))
    basics.set_artwork(ws, "kpu/2026-12-01-dpt", artwork(tmp_path / "cover.jpg"))
    publish.publish(ws, base_url=BASE)
    page = (ws.root / "public/kpu/2026-12-01-dpt/index.html").read_text()
    tree = lxml.etree.HTML(page)
    notes = tree.xpath("//div[@class='description']")[0]
    links = notes.xpath(".//a")
    assert [(a.get("href"), a.get("rel")) for a in links] == [
        ("https://cekdptonline.kpu.go.id", "noopener"), ("https://kpu.go.id/jadwal?a=1&b=2", "noopener")]
    assert not notes.xpath(".//script") and "<TPS>" in "".join(notes.itertext())
    assert {el.tag for el in notes.iter()} <= {"div", "a", "p", "br", "strong", "em", "ul", "ol", "li"}
    meta = "".join(tree.xpath("//p[@class='meta']")[0].itertext())
    assert "Musim 2" in meta and "Episode 5" in meta and "Bonus" in meta
    thumb = tree.xpath("//img[@class='art']")[0].get("src")
    assert thumb.endswith("static/art/kpu/2026-12-01-dpt.jpg")
    assert (ws.root / "public/kpu/2026-12-01-dpt" / thumb).resolve().is_file()
    assert tree.xpath("//meta[@property='og:image']")[0].get("content") == f"{BASE}/artwork/kpu/2026-12-01-dpt.jpg"
    other = lxml.etree.HTML((ws.root / "public/kpu/2026-12-02-tps/index.html").read_text())
    assert not other.xpath("//span[@class='season']")


# -- the worker's tick ---------------------------------------------------------------------------------

def test_the_workers_beat_runs_the_publish_tick(ws: Workspace, monkeypatch):
    from studio.jobs.celery import release
    from studio.jobs.celery.app import make_app

    without_site(ws)
    basics.update_basics(ws, "kpu/2026-12-01-dpt", basics.Basics(publish_at="2026-12-21T06:00"))
    app = make_app("redis://127.0.0.1:1/0", 600)  # never reached: the task is called in this process
    release.register(app, ws)
    assert release.beat_schedule()["studio-publish-due"]["task"] == release.TICK
    publish.publish(ws, base_url=BASE, now=dt.datetime(2026, 12, 21, 5, tzinfo=WITA))
    monkeypatch.setenv("STUDIO_NOW", "2026-12-21T05:00+08:00")
    app.tasks[release.TICK]()
    assert [e.title for e in feedparser.parse(feed_of(ws)).entries] == ["TPS dan KPPS"]
    monkeypatch.setenv("STUDIO_NOW", "2026-12-21T06:01+08:00")
    app.tasks[release.TICK]()
    assert len(feedparser.parse(feed_of(ws)).entries) == 2
