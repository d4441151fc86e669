"""Publishing to a folder and to a real S3 API server (moto's standalone server, a separate process)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import threading
from pathlib import Path

import feedparser
import podcastparser
import pytest
from PIL import Image

from conftest import S3Bucket, add_fake_episode, free_port
from studio import feeds, publish
from studio.errors import BadInput, ProcessingError
from studio.shows import add_show
from studio.workspace import Workspace

BASE = "https://cdn.example.go.id/podcast"
MB = 1024 * 1024


def copy_workspace(source: Workspace, tmp_path: Path) -> Workspace:
    shutil.copytree(source.root, tmp_path / "copy", symlinks=True)
    return Workspace(tmp_path / "copy")


@pytest.fixture
def full(workspace: Workspace, tmp_path: Path) -> Workspace:
    """Two shows; artwork, transcripts, chapters and a clip on one episode."""
    art = tmp_path / "art.png"
    Image.new("RGB", (1400, 1400), (0, 90, 160)).save(art, "PNG")
    add_show(workspace, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id",
             artwork=art, replace=True)
    add_show(workspace, "radio", title="Radio Abdi Persada")
    add_fake_episode(workspace, "kpu", "2024-01-05-dpt", title="DPT", files={
        "transcript.vtt": b"WEBVTT\n", "transcript.srt": b"1\n", "transcript.json": b"{}", "transcript.txt": b"x",
        "chapters.json": b'{"version": "1.2.0", "chapters": []}', "clips/dpt-square.mp4": b"\0\0\0\x18ftypmp42"})
    add_fake_episode(workspace, "kpu", "2024-02-05-tps", title="TPS")
    add_fake_episode(workspace, "radio", "2024-03-01-pilkada", title="Pilkada")
    return workspace


KINDS = {
    "feeds/kpu.xml": ("application/rss+xml", "feed"),
    "feeds/radio.xml": ("application/rss+xml", "feed"),
    "feeds/index.opml": ("text/x-opml", "feed"),
    "artwork/kpu.png": ("image/png", "media"),
    "media/kpu/2024-01-05-dpt.mp3": ("audio/mpeg", "media"),
    "media/kpu/2024-02-05-tps.mp3": ("audio/mpeg", "media"),
    "media/radio/2024-03-01-pilkada.mp3": ("audio/mpeg", "media"),
    "transcripts/kpu/2024-01-05-dpt.vtt": ("text/vtt", "text"),
    "transcripts/kpu/2024-01-05-dpt.srt": ("application/x-subrip", "text"),
    "transcripts/kpu/2024-01-05-dpt.json": ("application/json", "text"),
    "transcripts/kpu/2024-01-05-dpt.txt": ("text/plain", "text"),
    "chapters/kpu/2024-01-05-dpt.json": ("application/json", "text"),
    "clips/kpu/2024-01-05-dpt/dpt-square.mp4": ("video/mp4", "media"),
    "radio/manifest.json": ("application/json", "feed"),  # empty here: these episodes have no broadcast file
}


def max_age(cache_control: str) -> int:
    return next(int(p.split("=")[1]) for p in cache_control.split(",") if p.strip().startswith("max-age="))


# -- folder -------------------------------------------------------------------

def test_folder_publish_of_real_episodes(processed_workspace: Workspace, tmp_path: Path):
    ws = copy_workspace(processed_workspace, tmp_path)
    report = publish.publish(ws, base_url=BASE)
    public = ws.root / "public"
    # 2 podcast MP3s, 2 broadcast WAVs, the feed, the radio manifest, the OPML
    assert report.uploaded == 7 and report.skipped == 0 and report.episodes == 2
    assert report.bytes == sum(p.stat().st_size for p in public.rglob("*") if p.is_file() and p.name[0] != ".")
    data = (public / "feeds" / "kpu.xml").read_bytes()
    assert feedparser.parse(data).bozo == 0
    for episode in podcastparser.parse(f"{BASE}/feeds/kpu.xml", io.BytesIO(data))["episodes"]:
        (enclosure,) = episode["enclosures"]
        published = public / enclosure["url"].removeprefix(BASE + "/")
        assert published.stat().st_size == enclosure["file_size"]
    assert not [p for p in public.rglob(".*tmp*")]
    manifest = json.loads((public / "radio" / "manifest.json").read_text())
    assert len(manifest["files"]) == 2
    for entry in manifest["files"]:
        assert hashlib.sha256((public / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert report.uploaded_keys.index("radio/manifest.json") > max(
        report.uploaded_keys.index(entry["path"]) for entry in manifest["files"])

    again = publish.publish(ws, base_url=BASE)
    assert again.uploaded == 0 and again.skipped == 7 and again.message.startswith("nothing to upload")


def test_folder_publish_redoes_only_what_changed(full: Workspace):
    first = publish.publish(full, base_url=BASE)
    assert set(first.uploaded_keys) == set(KINDS)
    vtt = full.episode_dir("kpu/2024-01-05-dpt") / "transcript.vtt"
    vtt.write_bytes(b"WEBVTT\n\n00:00.000 --> 00:01.000\nDikoreksi\n")
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["transcripts/kpu/2024-01-05-dpt.vtt"]
    (full.root / "public" / "media" / "kpu" / "2024-02-05-tps.mp3").unlink()  # someone deleted it
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["media/kpu/2024-02-05-tps.mp3"]
    add_fake_episode(full, "kpu", "2024-04-01-baru", title="Baru")
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["media/kpu/2024-04-01-baru.mp3", "feeds/kpu.xml"]


def test_folder_publish_failure_keeps_the_old_feed(full: Workspace):
    publish.publish(full, base_url=BASE)
    feed = full.root / "public" / "feeds" / "kpu.xml"
    old = feed.read_bytes()
    episode = add_fake_episode(full, "kpu", "2024-04-01-baru", title="Baru")
    # A folder where the new episode's media file must go makes that copy fail.
    (full.root / "public" / "media" / "kpu" / "2024-04-01-baru.mp3").mkdir()
    with pytest.raises(ProcessingError, match="2024-04-01-baru.mp3.*feeds were left as they were") as caught:
        publish.publish(full, base_url=BASE)
    assert caught.value.exit_code == 1
    assert feed.read_bytes() == old
    (full.root / "public" / "media" / "kpu" / "2024-04-01-baru.mp3").rmdir()
    done = publish.publish(full, base_url=BASE)
    assert done.uploaded_keys == ["media/kpu/2024-04-01-baru.mp3", "feeds/kpu.xml"]
    assert episode.sha256 in feed.read_text()


def test_bad_targets_are_bad_input(workspace: Workspace):
    for target, kwargs in [("ftp://host/x", {}), ("s3://", {}), (".", {}), ("episodes/public", {}),
                           ("public", {"endpoint_url": "http://127.0.0.1:1"})]:
        with pytest.raises(BadInput):
            publish.publish(workspace, target, base_url=BASE, **kwargs)
    with pytest.raises(BadInput, match="base URL"):
        publish.publish(workspace, base_url="example.go.id")


# -- S3 -----------------------------------------------------------------------

def s3_publish(ws: Workspace, bucket: S3Bucket, endpoint: str | None = None, **kwargs) -> publish.PublishReport:
    return publish.publish(ws, f"s3://{bucket.name}/pub/", base_url=BASE, endpoint_url=endpoint or bucket.endpoint,
                           **kwargs)


def test_s3_objects_types_cache_and_order(full: Workspace, s3_bucket: S3Bucket):
    report = s3_publish(full, s3_bucket)
    assert report.uploaded == len(KINDS) and report.target == f"s3://{s3_bucket.name}/pub/"
    client = s3_bucket.client
    listed = {o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket.name)["Contents"]}
    assert listed == {f"pub/{k}" for k in KINDS} | {"pub/.studio-publish.json"}
    for key, (mime, kind) in KINDS.items():
        head = client.head_object(Bucket=s3_bucket.name, Key=f"pub/{key}")
        assert head["ContentType"] == mime, key
        age = max_age(head["CacheControl"])
        assert age <= 300 if kind == "feed" else age >= (86400 if kind == "media" else 600), (key, age)
        body = client.get_object(Bucket=s3_bucket.name, Key=f"pub/{key}")["Body"].read()
        assert head["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
    feed = client.get_object(Bucket=s3_bucket.name, Key="pub/feeds/kpu.xml")["Body"].read()
    assert feedparser.parse(feed).bozo == 0 and b"artwork/kpu.png" in feed

    # Order on the server: every content object before any feed, the OPML after the feeds, the manifest last.
    puts = [path.split("/pub/", 1)[1].split("?")[0] for method, path in s3_bucket.server.requests(s3_bucket.name)
            if method == "PUT" and "/pub/" in path]
    assert set(puts) == set(KINDS) | {".studio-publish.json"}
    listings = ("feeds/", "radio/manifest.json")  # what names other objects goes after them
    feeds_at = [i for i, k in enumerate(puts) if k.startswith(listings)]
    content_at = [i for i, k in enumerate(puts) if not k.startswith((*listings, "."))]
    assert max(content_at) < min(feeds_at)
    assert puts.index("feeds/index.opml") == max(feeds_at) and puts[-1] == ".studio-publish.json"


def test_s3_second_publish_uploads_nothing_with_one_request(full: Workspace, s3_bucket: S3Bucket):
    s3_publish(full, s3_bucket)
    before = len(s3_bucket.server.requests(s3_bucket.name))
    again = s3_publish(full, s3_bucket)
    assert again.uploaded == 0 and again.skipped == len(KINDS)
    assert "nothing to upload" in again.message
    manifest_get = ("GET", f"/{s3_bucket.name}/pub/.studio-publish.json")
    assert s3_bucket.server.requests(s3_bucket.name)[before:] == [manifest_get]


def test_s3_multipart_with_a_small_threshold(workspace: Workspace, s3_bucket: S3Bucket):
    add_fake_episode(workspace, "kpu", "2024-01-01-besar", audio=b"\x01" * (7 * MB))
    s3_publish(workspace, s3_bucket, multipart_threshold=5 * MB)
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-01-besar.mp3")
    assert head["ETag"].strip('"').endswith("-2") and head["ContentLength"] == 7 * MB
    assert head["ContentType"] == "audio/mpeg"


def test_s3_multipart_over_64_mb_by_default(workspace: Workspace, s3_bucket: S3Bucket):
    assert publish.MULTIPART_THRESHOLD == 64 * MB
    add_fake_episode(workspace, "kpu", "2024-01-01-panjang", audio=b"\x02" * (65 * MB))
    add_fake_episode(workspace, "kpu", "2024-01-02-pendek", audio=b"\x03" * (3 * MB))
    s3_publish(workspace, s3_bucket)
    big = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-01-panjang.mp3")
    small = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-02-pendek.mp3")
    assert "-" in big["ETag"] and big["ContentLength"] == 65 * MB
    assert "-" not in small["ETag"]


class FaultyProxy:
    """A TCP relay to the S3 server that drops any connection whose request names `fail_on`."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.fail_on: bytes | None = None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, inspect: bool) -> None:
        try:
            while data := source.recv(65536):
                if inspect and self.fail_on and self.fail_on in data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.listener.close()


def test_s3_failure_midway_keeps_the_old_feed_and_rerun_completes(full: Workspace, s3_bucket: S3Bucket,
                                                                  monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # the standard chain; keeps the failing run short
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    port = int(s3_bucket.endpoint.rsplit(":", 1)[1])
    proxy = FaultyProxy(port)
    try:
        s3_publish(full, s3_bucket, endpoint=proxy.endpoint)
        def get(key: str) -> bytes:
            return s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=f"pub/{key}")["Body"].read()

        old_feed = get("feeds/kpu.xml")
        first = add_fake_episode(full, "kpu", "2024-05-01-satu", title="Satu")
        add_fake_episode(full, "kpu", "2024-05-02-dua", title="Dua", files={"transcript.vtt": b"WEBVTT\n"})
        proxy.fail_on = f"PUT /{s3_bucket.name}/pub/media/kpu/2024-05-02-dua.mp3".encode()
        with pytest.raises(ProcessingError, match="2024-05-02-dua.mp3") as caught:
            s3_publish(full, s3_bucket, endpoint=proxy.endpoint)
        assert caught.value.exit_code == 1
        assert get("feeds/kpu.xml") == old_feed  # the feed never named the missing object
        assert get(f"media/kpu/{first.slug}.mp3")  # what could go up, went up

        proxy.fail_on = None
        done = s3_publish(full, s3_bucket, endpoint=proxy.endpoint)
        assert done.uploaded_keys == ["media/kpu/2024-05-02-dua.mp3", "feeds/kpu.xml"]
        feed = feedparser.parse(get("feeds/kpu.xml"))
        assert [e.title for e in feed.entries[:2]] == ["Dua", "Satu"]
    finally:
        proxy.close()


def test_s3_unreachable_or_missing_bucket_is_a_processing_error(full: Workspace, s3_bucket: S3Bucket, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(ProcessingError, match="NoSuchBucket"):
        publish.publish(full, "s3://no-such-bucket-here", base_url=BASE, endpoint_url=s3_bucket.endpoint)
    with pytest.raises(ProcessingError, match="s3://"):
        publish.publish(full, f"s3://{s3_bucket.name}", base_url=BASE, endpoint_url=f"http://127.0.0.1:{free_port()}")


def test_manifest_records_what_is_published(full: Workspace, s3_bucket: S3Bucket):
    s3_publish(full, s3_bucket)
    body = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key="pub/.studio-publish.json")["Body"].read()
    objects = json.loads(body)["objects"]
    assert set(objects) == set(KINDS)
    mp3 = full.episode_dir("kpu/2024-02-05-tps") / "podcast.mp3"
    assert objects["media/kpu/2024-02-05-tps.mp3"] == {"sha256": hashlib.sha256(mp3.read_bytes()).hexdigest(),
                                                       "size": mp3.stat().st_size}
    assert feeds.mime_type("x.opml") == "text/x-opml"


def test_unchanged_inputs_take_the_fast_path_and_any_edit_leaves_it(full: Workspace):
    publish.publish(full, base_url=BASE)
    assert (full.cache_dir / publish.PLAN_CACHE_FILE).is_file()
    assert publish.publish(full, base_url=BASE).uploaded == 0
    vtt = full.episode_dir("kpu/2024-01-05-dpt") / "transcript.vtt"
    vtt.write_bytes(b"WEBVTT!")  # same size, new content
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["transcripts/kpu/2024-01-05-dpt.vtt"]
    episode = full.episode("kpu/2024-02-05-tps")
    episode.title = "TPS & KPPS"
    full.save_episode(episode)
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["feeds/kpu.xml"]
    moved = publish.publish(full, base_url="https://other.example.id")
    assert set(moved.uploaded_keys) == {"feeds/kpu.xml", "feeds/radio.xml", "feeds/index.opml"}
    assert b"https://other.example.id/media/" in (full.root / "public" / "feeds" / "kpu.xml").read_bytes()
