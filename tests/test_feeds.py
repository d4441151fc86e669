"""Feeds: parsed by feedparser and podcastparser, Apple's and Podcasting 2.0's tags, escaping, stability."""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import lxml.etree
import podcastparser
import pytest
from conftest import SHARED, add_fake_episode, need_shared
from PIL import Image

from studio.errors import BadInput
from studio.publish import feeds
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace

BASE = "https://podcast.example.go.id/pub"
NS = {"itunes": feeds.ITUNES_NS, "podcast": feeds.PODCAST_NS, "atom": "http://www.w3.org/2005/Atom"}
TRICKY_TITLE = 'DPT & DPTb: <pemilih> "pindahan" \'baru\' 🗳️ — Pemilu Serentak, Pilkada & Bawaslu'
TRICKY_TEXT = 'Apa itu DPTb? Pemilih pindahan & "kuota" <TPS> a<b & c>d 😀\nBaris kedua: Komisi Pemilihan Umum.'


def build(ws: Workspace, show: str = "kpu", base: str = BASE) -> bytes:
    return feeds.build_feed(ws, ws.show(show), base)


def parse_both(data: bytes, url: str = f"{BASE}/feeds/kpu.xml"):
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed, podcastparser.parse(url, io.BytesIO(data))


def artwork(path: Path, size: int = 1400) -> Path:
    Image.new("RGB", (size, size), (200, 30, 30)).save(path, "JPEG")
    return path


@pytest.fixture
def rich(workspace: Workspace, tmp_path: Path) -> Workspace:
    """Three episodes: transcripts, chapters and highlights on one; one never processed."""
    add_show(workspace, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id",
             description="Podcast sosialisasi pemilu.", artwork=artwork(tmp_path / "art.jpg"), replace=True)
    add_fake_episode(workspace, "kpu", "2024-01-05-pertama", title="Pertama", duration=3725.4)
    add_fake_episode(workspace, "kpu", "2024-03-01-ketiga", title="Ketiga", highlights=[
        {"start": 12.5, "end": 40, "title": "Apa itu DPT & DPTb?"},
        {"start": "00:01:00", "end": "00:01:30.5", "title": ""},
        {"start": 5, "end": 2, "title": "ignored: ends before it starts"},
    ], files={
        "transcript.vtt": b"WEBVTT\n\n00:00.000 --> 00:01.000\nHalo\n",
        "transcript.srt": b"1\n00:00:00,000 --> 00:00:01,000\nHalo\n",
        "transcript.json": json.dumps({"version": "1.0.0", "segments": []}).encode(),
        "transcript.txt": b"Halo\n",
        "chapters.json": json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}).encode(),
        "clips/dpt-vertical.mp4": b"\0\0\0\x18ftypmp42",
    })
    add_fake_episode(workspace, "kpu", "2024-02-10-kedua", title="Kedua")
    unprocessed = add_fake_episode(workspace, "kpu", "2024-04-01-belum", title="Belum diproses")
    (workspace.episode_dir(unprocessed.id) / ".studio" / "state.json").unlink()
    return workspace


def test_real_episodes_parse_cleanly_with_exact_enclosures(processed_workspace: Workspace):
    ws = processed_workspace
    data = build(ws)
    parsed, podcast = parse_both(data)
    assert [e.title for e in parsed.entries] == ["TPS <baru> \"KPPS\" 🗳️", "DPT & pemilih pindahan"]  # newest first
    assert [e["title"] for e in podcast["episodes"]] == [e.title for e in parsed.entries]
    by_title = {e.title: e for e in ws.episodes("kpu")}
    for entry in podcast["episodes"]:
        episode = by_title[entry["title"]]
        mp3 = ws.episode_dir(episode.id) / "podcast.mp3"
        (enclosure,) = entry["enclosures"]
        assert enclosure == {"url": f"{BASE}/media/kpu/{episode.slug}.mp3", "file_size": mp3.stat().st_size,
                             "mime_type": "audio/mpeg"}
        assert entry["total_time"] == round(episode.duration)
        assert entry["guid"] == episode.sha256


def test_apple_required_tags(rich: Workspace):
    root = lxml.etree.fromstring(build(rich))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for path in ("title", "link", "description", "language", "itunes:author", "itunes:owner/itunes:name",
                 "itunes:owner/itunes:email", "itunes:explicit"):
        assert (channel.findtext(path, namespaces=NS) or "").strip(), path
    assert channel.find("itunes:image", NS).get("href") == f"{BASE}/artwork/kpu.jpg"
    assert channel.find("itunes:category", NS).get("text") == "Government"
    assert channel.findtext("itunes:explicit", namespaces=NS) in ("yes", "no", "true", "false")
    self_link = channel.find("atom:link[@rel='self']", NS)
    assert self_link.get("href") == f"{BASE}/feeds/kpu.xml" and self_link.get("type") == "application/rss+xml"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Ketiga", "Kedua", "Pertama"]  # unprocessed one left out
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True) and all(d.tzinfo for d in dates)
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and re.fullmatch(r"[0-9a-f]{64}", guid.text)
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "audio/mpeg" and int(enclosure.get("length")) > 0
        assert enclosure.get("url").startswith(f"{BASE}/media/kpu/")
        assert re.fullmatch(r"\d+:\d\d:\d\d", item.findtext("itunes:duration", namespaces=NS))
        assert item.findtext("description")
    assert items[2].findtext("itunes:duration", namespaces=NS) == "1:02:05"


def test_podcasting20_tags(rich: Workspace):
    channel = lxml.etree.fromstring(build(rich)).find("channel")
    feed_url = f"{BASE}/feeds/kpu.xml"
    expected = uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "podcast.example.go.id/pub/feeds/kpu.xml")
    assert channel.findtext("podcast:guid", namespaces=NS) == str(expected) == feeds.podcast_guid(feed_url)
    locked = channel.find("podcast:locked", NS)
    assert locked.text in ("yes", "no") and locked.get("owner") == "podcast@example.go.id"

    item = channel.findall("item")[0]
    transcripts = {t.get("type"): t for t in item.findall("podcast:transcript", NS)}
    assert set(transcripts) == {"text/vtt", "application/x-subrip", "application/json"}
    for kind, mime in (("vtt", "text/vtt"), ("srt", "application/x-subrip"), ("json", "application/json")):
        tag = transcripts[mime]
        assert tag.get("url") == f"{BASE}/transcripts/kpu/2024-03-01-ketiga.{kind}"
        assert tag.get("language") == "id"
    assert transcripts["text/vtt"].get("rel") == "captions" and transcripts["application/json"].get("rel") is None
    chapters = item.find("podcast:chapters", NS)
    assert chapters.get("url") == f"{BASE}/chapters/kpu/2024-03-01-ketiga.json"
    assert chapters.get("type") == "application/json+chapters"
    bites = [(b.get("startTime"), b.get("duration"), b.text) for b in item.findall("podcast:soundbite", NS)]
    assert bites == [("12.5", "27.5", "Apa itu DPT & DPTb?"), ("60", "30.5", None)]
    for other in channel.findall("item")[1:]:  # nothing claimed that does not exist
        assert other.find("podcast:transcript", NS) is None and other.find("podcast:chapters", NS) is None


def test_spec_example_guid():
    # The example in the Podcasting 2.0 spec's podcast:guid section.
    assert feeds.podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_escaping_of_titles_and_descriptions(workspace: Workspace):
    add_show(workspace, "kpu", title=TRICKY_TITLE, author="Diskominfo & Humas \"Kota\"", email="p@example.go.id",
             description="Sosialisasi pemilu & pilkada 🇮🇩", replace=True)
    add_fake_episode(workspace, "kpu", "2024-05-01-x", title=TRICKY_TITLE, description=TRICKY_TEXT)
    add_fake_episode(workspace, "kpu", "2024-05-02-ctl", title="Kontrol\x0b\x00 karakter\u2028baris",
                     description="a\x1fb")
    data = build(workspace)
    assert "&lt;pemilih&gt;" in data.decode() and "🗳️" in data.decode()  # real characters, not char refs
    parsed, podcast = parse_both(data)
    assert parsed.feed.title == TRICKY_TITLE and podcast["title"] == TRICKY_TITLE
    assert parsed.feed.author == "Diskominfo & Humas \"Kota\""
    entry = parsed.entries[1]
    assert entry.title == TRICKY_TITLE
    # <description> is HTML for apps: once tags are removed and entities decoded, the text is intact.
    text = html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"</?p>", "", entry.summary)))
    assert text == TRICKY_TEXT
    episode = podcast["episodes"][1]
    assert episode["title"] == TRICKY_TITLE
    assert episode["description"] == TRICKY_TEXT
    assert parsed.entries[0].title == "Kontrol karakter\u2028baris"


def test_guid_survives_reprocessing_retitling_and_base_url(workspace: Workspace):
    episode = add_fake_episode(workspace, "kpu", "2024-06-01-stabil", title="Judul lama")
    before = feedparser.parse(build(workspace)).entries[0]
    episode.title = "Judul baru & lebih jelas"
    workspace.save_episode(episode)
    (workspace.episode_dir(episode.id) / "podcast.mp3").write_bytes(b"re-rendered" * 999)
    after = feedparser.parse(build(workspace, base="http://127.0.0.1:9999")).entries[0]
    assert after.title == "Judul baru & lebih jelas"
    assert after.id == before.id == episode.sha256
    assert after.enclosures[0].length == str(len(b"re-rendered" * 999))


def test_same_workspace_same_bytes(rich: Workspace):
    assert build(rich) == build(rich)


def test_empty_show_is_still_a_valid_feed(workspace: Workspace):
    parsed, podcast = parse_both(build(workspace))
    assert parsed.entries == [] and podcast["title"] == "Sosialisasi KPU"


def test_bad_base_url_is_bad_input(workspace: Workspace):
    for bad in ("podcast.example.go.id", "ftp://x/y", "https://", "http://a b/"):
        with pytest.raises(BadInput):
            build(workspace, base=bad)


def test_opml_lists_every_show(rich: Workspace):
    add_show(rich, "radio-abdi", title="Radio Abdi & Persada <FM>", link="https://abdi.example.id/")
    data = feeds.build_opml(rich.shows().values(), BASE + "/")
    outlines = lxml.etree.fromstring(data).findall("body/outline")
    assert {(o.get("text"), o.get("xmlUrl"), o.get("type")) for o in outlines} == {
        ("Sosialisasi KPU", f"{BASE}/feeds/kpu.xml", "rss"),
        ("Radio Abdi & Persada <FM>", f"{BASE}/feeds/radio-abdi.xml", "rss"),
    }
    parse_both(build(rich, "radio-abdi"), f"{BASE}/feeds/radio-abdi.xml")


# Tags Apple dropped from its spec; real-world feeds still carry them, ours need not.
DEPRECATED = {"itunes:subtitle", "itunes:keywords", "itunes:summary"}


def _tags(element) -> set[str]:
    return {lxml.etree.QName(c).localname if lxml.etree.QName(c).namespace != feeds.ITUNES_NS
            else f"itunes:{lxml.etree.QName(c).localname}" for c in element if isinstance(c.tag, str)}


def test_structure_matches_real_world_feeds(rich: Workspace):
    need_shared(SHARED / "corpus" / "feeds")  # real-world feeds to compare with
    corpus = sorted((SHARED / "corpus" / "feeds").glob("*.xml"))
    ours = lxml.etree.fromstring(build(rich)).find("channel")
    our_channel = _tags(ours) - {"item"}
    our_items = set.intersection(*(_tags(i) for i in ours.findall("item")))
    mine, podcast = parse_both(build(rich))
    for path in corpus:
        channel = lxml.etree.parse(str(path)).getroot().find("channel")
        shared_channel = _tags(channel) - {"item", "pubDate", "image", "copyright", "itunes:category",
                                           "itunes:author"} - DEPRECATED
        shared_items = set.intersection(*(_tags(i) for i in channel.findall("item"))) - DEPRECATED - {
            "itunes:image", "itunes:author", "category", "link"}
        assert shared_channel <= our_channel, (path.name, shared_channel - our_channel)
        assert shared_items <= our_items, (path.name, shared_items - our_items)
        # What the two parsers find in a real feed, they find in ours too.
        theirs = feedparser.parse(path.read_bytes())
        wanted = {"id", "published_parsed", "title", "summary", "itunes_duration", "itunes_explicit"}
        assert wanted <= set(theirs.entries[0]) and all(wanted <= set(e) for e in mine.entries), path.name
        real = podcastparser.parse(f"file://{path}", path.open("rb"))
        for key in ("title", "link", "description", "language", "explicit"):
            assert key in real and podcast.get(key) not in (None, ""), key
        for key in ("title", "guid", "published", "total_time", "enclosures", "description"):
            assert real["episodes"][0].get(key) and all(e.get(key) for e in podcast["episodes"]), key


def test_the_shows_description_and_link_are_made_safe(workspace: Workspace):
    """feeds/<show>.toml is text anyone with the folder can edit: its description reaches apps as escaped HTML and
    its link only when it is an http(s) address."""
    script = "<script>alert('x')</script> Sosialisasi <b>pemilu</b>"
    add_show(workspace, "kpu", title="KPU", email="p@example.go.id", description=script,
             link="javascript:alert(document.cookie)", replace=True)
    add_fake_episode(workspace, "kpu", "2024-05-01-x", title="X")
    data = build(workspace)
    assert b"javascript:" not in data
    channel = lxml.etree.fromstring(data).find("channel")
    assert channel.findtext("link") == f"{BASE}/"
    description = channel.findtext("description")
    assert "<script" not in description and "<b>" not in description  # as HTML, the text shows; nothing runs
    assert html.unescape(re.sub(r"</?p>", "", description)) == script
    assert channel.findtext("itunes:summary", namespaces=NS) == script  # plain text
    opml = feeds.build_opml([workspace.show("kpu")], BASE)
    assert b"javascript:" not in opml and b"htmlUrl" not in opml
    for link in ("java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/x",
                 "https://ok.example.go.id/a b", "vbscript:x"):
        add_show(workspace, "kpu", title="KPU", link=link, replace=True)
        assert lxml.etree.fromstring(build(workspace)).find("channel").findtext("link") == f"{BASE}/", link
    add_show(workspace, "kpu", title="KPU", link="https://kpu.example.go.id/podcast?x=1", replace=True)
    assert (lxml.etree.fromstring(build(workspace)).find("channel").findtext("link")
            == "https://kpu.example.go.id/podcast?x=1")
