"""Publishing to a folder and to a real S3 API server (moto's standalone server, a separate process)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import feedparser
import podcastparser
import pytest
from conftest import S3Bucket, add_fake_episode, free_port
from PIL import Image

import studio.publish as publish
from studio.errors import BadInput, ProcessingError
from studio.publish import layout
from studio.publish.targets import MULTIPART_THRESHOLD
from studio.workspace.config import save_settings
from studio.workspace.layout import PUBLISH_JOURNAL_DIR, PUBLISH_PLAN_FILE
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace

BASE = "https://cdn.example.go.id/podcast"
MB = 1024 * 1024


def without_site(workspace: Workspace) -> Workspace:
    """These tests are about the feeds and what they name; the listener site has its own (test_site.py)."""
    settings = workspace.settings
    save_settings(workspace.settings_path, replace(settings, site=False))
    return workspace


def copy_workspace(source: Workspace, tmp_path: Path) -> Workspace:
    shutil.copytree(source.root, tmp_path / "copy", symlinks=True)
    return without_site(Workspace(tmp_path / "copy"))


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
    return without_site(workspace)


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
}
RADIO_KEYS = ["manifest.json"]  # in the radio target; empty here: these episodes have no broadcast file


def max_age(cache_control: str) -> int:
    return next(int(p.split("=")[1]) for p in cache_control.split(",") if p.strip().startswith("max-age="))


# -- folder -------------------------------------------------------------------

def test_folder_publish_of_real_episodes(processed_workspace: Workspace, tmp_path: Path):
    ws = copy_workspace(processed_workspace, tmp_path)
    report = publish.publish(ws, base_url=BASE)
    public, private = ws.root / "public", ws.root / "radio"
    # 2 podcast MP3s, the feed, the OPML in public/; 2 broadcast WAVs and their manifest in radio/
    assert report.uploaded == 7 and report.skipped == 0 and report.episodes == 2
    assert report.radio_target == str(private) and len(report.radio_keys) == 3
    assert report.bytes == sum(p.stat().st_size for folder in (public, private) for p in folder.rglob("*")
                               if p.is_file() and p.name[0] != ".")
    data = (public / "feeds" / "kpu.xml").read_bytes()
    assert feedparser.parse(data).bozo == 0
    for episode in podcastparser.parse(f"{BASE}/feeds/kpu.xml", io.BytesIO(data))["episodes"]:
        (enclosure,) = episode["enclosures"]
        published = public / enclosure["url"].removeprefix(BASE + "/")
        assert published.stat().st_size == enclosure["file_size"]
    assert not [p for p in public.rglob(".*tmp*")]
    manifest = json.loads((private / "manifest.json").read_text())
    assert len(manifest["files"]) == 2
    for entry in manifest["files"]:
        assert hashlib.sha256((private / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert report.radio_keys.index("manifest.json") > max(
        report.radio_keys.index(entry["path"]) for entry in manifest["files"])
    assert_no_radio_files(sorted(str(p.relative_to(public)) for p in public.rglob("*") if p.is_file()))

    again = publish.publish(ws, base_url=BASE)
    assert again.uploaded == 0 and again.skipped == 7 and again.message.startswith("nothing to upload")


def assert_no_radio_files(keys: list[str]) -> None:
    """Broadcast files are private: nothing in a public listing is a WAV or a radio manifest."""
    assert keys and not [k for k in keys if k.endswith(".wav") or k.rsplit("/", 1)[-1] == "manifest.json"
                         or k.startswith("radio/")], keys


def test_a_public_radio_tree_of_an_older_studio_is_removed(processed_workspace: Workspace, tmp_path: Path):
    ws = copy_workspace(processed_workspace, tmp_path)
    old = ws.root / "public" / "radio"
    (old / "kpu").mkdir(parents=True)
    (old / "kpu" / "2024-01-10-old.wav").write_bytes(b"RIFF" + bytes(100))
    (old / "manifest.json").write_text('{"version": 1, "files": []}')
    report = publish.publish(ws, base_url=BASE)
    assert report.legacy_removed == ["radio/kpu/2024-01-10-old.wav", "radio/manifest.json"]
    assert "older Studio" in report.message and not old.exists()
    assert (ws.root / "radio" / "manifest.json").is_file()


def test_radio_target_must_stay_apart_from_the_public_one(workspace: Workspace):
    for public, private in [("public", "public/radio"), ("public/x", "public"), ("public", "public"),
                            ("s3://b/pub", "s3://b/pub/radio"), ("s3://b", "s3://b/radio")]:
        with pytest.raises(BadInput, match="overlaps the public target"):
            endpoint = "http://127.0.0.1:1" if public.startswith("s3://") else None  # never reached
            publish.publish(workspace, public, base_url=BASE, radio_to=private, endpoint_url=endpoint)
    with pytest.raises(BadInput, match="radio target"):
        publish.publish(workspace, base_url=BASE, radio_to="episodes/radio")


def test_folder_publish_redoes_only_what_changed(full: Workspace):
    first = publish.publish(full, base_url=BASE)
    assert set(first.uploaded_keys) == set(KINDS) and first.radio_keys == RADIO_KEYS
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
    assert report.uploaded == len(KINDS) + len(RADIO_KEYS) and report.target == f"s3://{s3_bucket.name}/pub/"
    assert report.radio_keys == RADIO_KEYS and report.radio_target == str(full.root / "radio")
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
    feeds_at = [i for i, k in enumerate(puts) if k.startswith("feeds/")]
    content_at = [i for i, k in enumerate(puts) if not k.startswith(("feeds/", "."))]
    assert max(content_at) < min(feeds_at)
    assert puts.index("feeds/index.opml") == max(feeds_at) and puts[-1] == ".studio-publish.json"


def test_s3_second_publish_uploads_nothing_with_two_requests(full: Workspace, s3_bucket: S3Bucket):
    s3_publish(full, s3_bucket)
    before = len(s3_bucket.server.requests(s3_bucket.name))
    again = s3_publish(full, s3_bucket)
    assert again.uploaded == 0 and again.skipped == len(KINDS) + len(RADIO_KEYS)
    assert "nothing to upload" in again.message
    manifest_get, listing = s3_bucket.server.requests(s3_bucket.name)[before:]  # nothing per object
    assert manifest_get == ("GET", f"/{s3_bucket.name}/pub/.studio-publish.json")
    assert listing[0] == "GET" and "list-type=2" in listing[1] and "prefix=pub/&" in listing[1]


def test_s3_object_deleted_from_the_bucket_is_uploaded_again(full: Workspace, s3_bucket: S3Bucket):
    s3_publish(full, s3_bucket)
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-02-05-tps.mp3")
    assert s3_publish(full, s3_bucket).uploaded_keys == ["media/kpu/2024-02-05-tps.mp3"]
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-02-05-tps.mp3")
    assert head["ContentLength"] == (full.episode_dir("kpu/2024-02-05-tps") / "podcast.mp3").stat().st_size
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="pub/feeds/kpu.xml", Body=b"<rss/>")  # another size
    assert s3_publish(full, s3_bucket).uploaded_keys == ["feeds/kpu.xml"]


def test_s3_object_overwritten_with_the_same_size_is_repaired(full: Workspace, s3_bucket: S3Bucket):
    s3_publish(full, s3_bucket)
    key = "pub/media/kpu/2024-02-05-tps.mp3"
    published = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=key)["Body"].read()
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"\0" * len(published))  # same size
    assert s3_publish(full, s3_bucket).uploaded_keys == ["media/kpu/2024-02-05-tps.mp3"]
    assert s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=key)["Body"].read() == published
    before = len(s3_bucket.server.requests(s3_bucket.name))
    assert s3_publish(full, s3_bucket).uploaded_keys == []  # repaired: nothing more to do
    assert len(s3_bucket.server.requests(s3_bucket.name)) - before == 2  # the manifest and one listing


def test_folder_file_overwritten_with_the_same_size_is_repaired(full: Workspace):
    publish.publish(full, base_url=BASE)
    path = full.root / "public" / "media" / "kpu" / "2024-02-05-tps.mp3"
    published = path.read_bytes()
    path.write_bytes(b"\0" * len(published))
    assert publish.publish(full, base_url=BASE).uploaded_keys == ["media/kpu/2024-02-05-tps.mp3"]
    assert path.read_bytes() == published
    assert publish.publish(full, base_url=BASE).uploaded_keys == []


def test_s3_prune_removes_only_stale_objects_under_the_prefix(full: Workspace, s3_bucket: S3Bucket):
    client, bucket = s3_bucket.client, s3_bucket.name
    s3_publish(full, s3_bucket)
    for key in ("pub/media/kpu/2023-01-01-gone.mp3", "pub/old/page.html", "pub2/keep.txt", "keep.txt"):
        client.put_object(Bucket=bucket, Key=key, Body=b"x")
    kept = s3_publish(full, s3_bucket)
    assert kept.stale == ["media/kpu/2023-01-01-gone.mp3", "old/page.html"] and kept.pruned == []
    assert "--prune" in kept.message
    pruned = s3_publish(full, s3_bucket, prune=True)
    assert pruned.pruned == ["media/kpu/2023-01-01-gone.mp3", "old/page.html"] and pruned.stale == []
    listed = {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {f"pub/{k}" for k in KINDS} | {"pub/.studio-publish.json", "pub2/keep.txt", "keep.txt"}


def test_folder_prune_removes_stale_files_and_empty_folders(full: Workspace):
    publish.publish(full, base_url=BASE)
    stale = full.root / "public" / "media" / "gone" / "2023-01-01-x.mp3"
    stale.parent.mkdir()
    stale.write_bytes(b"x")
    old_wav = full.root / "radio" / "kpu" / "2023-01-01-x.wav"
    old_wav.parent.mkdir(parents=True)
    old_wav.write_bytes(b"x")
    kept = publish.publish(full, base_url=BASE)
    assert kept.stale == ["media/gone/2023-01-01-x.mp3"] and kept.radio_stale == ["kpu/2023-01-01-x.wav"]
    assert stale.exists() and old_wav.exists()
    pruned = publish.publish(full, base_url=BASE, prune=True)
    assert pruned.pruned == ["media/gone/2023-01-01-x.mp3"] and pruned.radio_pruned == ["kpu/2023-01-01-x.wav"]
    assert not stale.parent.exists() and not old_wav.parent.exists()
    assert (full.root / "public" / "media" / "kpu").is_dir() and (full.root / "radio" / "manifest.json").is_file()


def test_s3_radio_files_go_to_the_private_prefix_only(processed_workspace: Workspace, s3_bucket: S3Bucket,
                                                      tmp_path: Path):
    ws = copy_workspace(processed_workspace, tmp_path)
    client, bucket = s3_bucket.client, s3_bucket.name
    report = s3_publish(ws, s3_bucket, radio_to=f"s3://{bucket}/private-radio")
    public = [o["Key"].removeprefix("pub/") for o in client.list_objects_v2(Bucket=bucket, Prefix="pub/")["Contents"]]
    assert_no_radio_files(public)
    private = {o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="private-radio/")["Contents"]}
    manifest = json.loads(client.get_object(Bucket=bucket, Key="private-radio/manifest.json")["Body"].read())
    assert len(manifest["files"]) == 2 and {f"private-radio/{e['path']}" for e in manifest["files"]} < private
    head = client.head_object(Bucket=bucket, Key=f"private-radio/{manifest['files'][0]['path']}")
    assert head["ContentType"] == "audio/wav" and "private" in head["CacheControl"]
    assert report.radio_target == f"s3://{bucket}/private-radio/"
    assert not (ws.root / "radio").exists()


def test_s3_multipart_with_a_small_threshold(workspace: Workspace, s3_bucket: S3Bucket):
    add_fake_episode(workspace, "kpu", "2024-01-01-besar", audio=b"\x01" * (7 * MB))
    s3_publish(workspace, s3_bucket, multipart_threshold=5 * MB)
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-01-besar.mp3")
    assert head["ETag"].strip('"').endswith("-2") and head["ContentLength"] == 7 * MB
    assert head["ContentType"] == "audio/mpeg"


def test_s3_multipart_over_64_mb_by_default(workspace: Workspace, s3_bucket: S3Bucket):
    assert MULTIPART_THRESHOLD == 64 * MB
    add_fake_episode(workspace, "kpu", "2024-01-01-panjang", audio=b"\x02" * (65 * MB))
    add_fake_episode(workspace, "kpu", "2024-01-02-pendek", audio=b"\x03" * (3 * MB))
    s3_publish(workspace, s3_bucket)
    big = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-01-panjang.mp3")
    small = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-01-02-pendek.mp3")
    assert "-" in big["ETag"] and big["ContentLength"] == 65 * MB
    assert "-" not in small["ETag"]


class FaultyProxy:
    """A TCP relay to the S3 server that drops any connection whose request names `fail_on`, and holds
    (forwards nothing more, answers nothing) one whose request names `hang_on` until closed."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.fail_on: bytes | None = None
        self.hang_on: bytes | None = None
        self.closed = threading.Event()
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
                if inspect and self.hang_on and self.hang_on in data:
                    self.closed.wait()
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
        self.closed.set()
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


def test_s3_publish_killed_midway_does_not_upload_again_what_it_finished(full: Workspace, s3_bucket: S3Bucket):
    client, bucket = s3_bucket.client, s3_bucket.name
    hung = "media/kpu/2024-02-05-tps.mp3"
    finished = {f"pub/{k}" for k in KINDS if not k.startswith("feeds/") and k != hung}
    proxy = FaultyProxy(int(s3_bucket.endpoint.rsplit(":", 1)[1]))
    proxy.hang_on = f"PUT /{bucket}/pub/{hung}".encode()  # this upload never ends: the run is killed in it
    killed = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(full.root), "-q", "publish",
                               "--to", f"s3://{bucket}/pub", "--base-url", BASE, "--endpoint-url", proxy.endpoint],
                              cwd=Path(__file__).resolve().parents[1])
    try:
        def listed() -> set[str]:
            return {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}

        def journaled() -> set[str]:  # the uploads the publish has seen finish (its journal, one JSON line each)
            lines = [line for path in (full.cache_dir / PUBLISH_JOURNAL_DIR).glob("*.jsonl")
                     for line in path.read_text(encoding="utf-8").splitlines()]
            return {f"pub/{json.loads(line)['key']}" for line in lines if line.endswith("}")}

        deadline = time.monotonic() + 60  # a safety net, not a claim about speed
        while not (finished <= listed() and finished <= journaled()):  # up on both sides
            assert killed.poll() is None and time.monotonic() < deadline, "the publish never got that far"
            time.sleep(0.1)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    finally:
        proxy.close()
        if killed.poll() is None:
            killed.kill()
    assert not [k for k in listed() if k.startswith("pub/feeds/")]
    done = s3_publish(full, s3_bucket)
    assert done.uploaded_keys == [hung, "feeds/kpu.xml", "feeds/radio.xml", "feeds/index.opml"]
    assert done.skipped == len(finished)
    assert s3_publish(full, s3_bucket).uploaded == 0


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
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="pub/media/kpu/2024-02-05-tps.mp3")
    assert objects["media/kpu/2024-02-05-tps.mp3"] == {"sha256": hashlib.sha256(mp3.read_bytes()).hexdigest(),
                                                       "size": mp3.stat().st_size, "version": head["ETag"]}
    assert layout.mime_type("x.opml") == "text/x-opml"


def test_unchanged_inputs_take_the_fast_path_and_any_edit_leaves_it(full: Workspace):
    publish.publish(full, base_url=BASE)
    assert (full.cache_dir / PUBLISH_PLAN_FILE).is_file()
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
