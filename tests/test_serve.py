"""`studio serve` as a real subprocess: MIME types, HEAD, ETags, ranges, traversal; and a listener."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import feedparser
import podcastparser
import pytest
from conftest import stop

from studio.publish import run as publish
from studio.workspace.tree import Workspace

AUDIO = bytes(range(256)) * 40  # 10240 bytes


class Server:
    """`studio serve --dir folder` in the workspace `workspace` (default: a new one beside the folder, so its
    access log is not written into this repository)."""

    def __init__(self, folder: Path, workspace: Path | None = None, *options: str):
        if workspace is None:
            workspace = folder.parent / "serve-ws"
            workspace.mkdir(exist_ok=True)
        self.process = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(workspace), "serve",
                                         "--dir", str(folder), "--port", "0", *options],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        cwd=Path(__file__).resolve().parents[1])
        line = self.process.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), line + self.process.stderr.read()
        self.url = line.split()[1].rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def request(self, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """`path` goes on the request line exactly as given (no client-side normalisation)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("site")
    root = tmp_path / "public"
    files = {
        "feeds/kpu.xml": b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>",
        "feeds/index.opml": b"<opml version='2.0'/>",
        "media/kpu/ep.mp3": AUDIO,
        "transcripts/kpu/ep.vtt": b"WEBVTT\n",
        "transcripts/kpu/ep.srt": b"1\n",
        "transcripts/kpu/ep.json": b"{}",
        "clips/kpu/ep/v.mp4": b"\0\0\0\x18ftypmp42",
        ".studio-publish.json": b"{}",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    os.symlink(tmp_path, root / "up")
    os.symlink(root / "media" / "kpu" / "ep.mp3", root / "alias.mp3")
    server = Server(root)
    try:
        yield server
    finally:
        stop(server.process)


def test_mime_types_and_head(site: Server):
    expected = {
        "/feeds/kpu.xml": "application/rss+xml", "/feeds/index.opml": "text/x-opml", "/media/kpu/ep.mp3": "audio/mpeg",
        "/transcripts/kpu/ep.vtt": "text/vtt", "/transcripts/kpu/ep.srt": "application/x-subrip",
        "/transcripts/kpu/ep.json": "application/json", "/clips/kpu/ep/v.mp4": "video/mp4",
    }
    for path, mime in expected.items():
        status, headers, body = site.request("GET", path)
        assert status == 200 and headers["content-type"].split(";")[0] == mime, path
        head_status, head_headers, head_body = site.request("HEAD", path)
        assert head_status == 200 and head_body == b""
        assert head_headers["content-length"] == str(len(body)) and head_headers["etag"] == headers["etag"]
    assert int(site.request("HEAD", "/feeds/kpu.xml")[1]["cache-control"].split("max-age=")[1]) <= 300
    assert site.request("POST", "/feeds/kpu.xml")[0] == 405


def test_etag_and_if_none_match(site: Server):
    _, headers, _ = site.request("GET", "/media/kpu/ep.mp3")
    status, _, body = site.request("GET", "/media/kpu/ep.mp3", {"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""
    assert site.request("GET", "/media/kpu/ep.mp3", {"If-None-Match": '"other"'})[0] == 200


def test_byte_ranges(site: Server):
    status, headers, body = site.request("GET", "/media/kpu/ep.mp3", {"Range": "bytes=100-199"})
    assert status == 206 and body == AUDIO[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(AUDIO)}" and headers["accept-ranges"] == "bytes"
    assert site.request("GET", "/media/kpu/ep.mp3", {"Range": "bytes=-16"})[2] == AUDIO[-16:]
    assert site.request("GET", "/media/kpu/ep.mp3", {"Range": "bytes=10000-"})[2] == AUDIO[10000:]
    status, headers, _ = site.request("GET", "/media/kpu/ep.mp3", {"Range": f"bytes={len(AUDIO)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(AUDIO)}"


def test_a_range_that_is_not_one_valid_byte_range_is_ignored(site: Server):
    # RFC 9110 14.2: a server may ignore Range; a syntax it cannot use gets the whole file, not 416.
    for value in ("bytes=abc", "bytes=0-1,5-9", "bytes=5-3", "items=0-5", "bytes=", "bytes=-"):
        status, headers, body = site.request("GET", "/media/kpu/ep.mp3", {"Range": value})
        assert status == 200 and body == AUDIO and "content-range" not in headers, value
    assert site.request("GET", "/media/kpu/ep.mp3", {"Range": "bytes=0-1"})[:3:2] == (206, AUDIO[:2])
    for value in ("bytes=999999-", f"bytes={len(AUDIO)}-{len(AUDIO) + 5}"):
        assert site.request("GET", "/media/kpu/ep.mp3", {"Range": value})[0] == 416, value


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/media/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/media/kpu/../../../secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "//etc/passwd", "/%2fetc/passwd",
    "/etc/passwd", "http://127.0.0.1/../secret.txt", "/leak.txt", "/up/secret.txt", "/.studio-publish.json",
    "/media", "/media/", "/", "/missing.mp3", "/media/kpu/ep.mp3%00.txt", "/..\\secret.txt",
])
def test_nothing_outside_the_folder(site: Server, path: str):
    status, _, body = site.request("GET", path)
    assert status in (400, 404), (path, status)
    assert b"outside" not in body and b"root:" not in body


def test_symlink_inside_the_folder_is_served(site: Server):
    assert site.request("GET", "/alias.mp3")[2] == AUDIO


def test_missing_folder_is_bad_input(tmp_path: Path):
    run = subprocess.run([sys.executable, "-m", "studio", "serve", "--dir", str(tmp_path / "nope"), "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "no such folder" in run.stderr


def test_listener_subscribes_and_downloads_every_enclosure_in_ranges(processed_workspace: Workspace,
                                                                     tmp_path: Path):
    shutil.copytree(processed_workspace.root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    public = tmp_path / "public"
    public.mkdir()
    server = Server(public)
    try:
        publish.publish(ws, str(public), base_url=server.url)
        feed_url = f"{server.url}/feeds/kpu.xml"
        with urllib.request.urlopen(feed_url, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/rss+xml")
            data = response.read()
        assert feedparser.parse(data).bozo == 0
        podcast = podcastparser.parse(feed_url, io.BytesIO(data))
        assert len(podcast["episodes"]) == 2
        for episode in podcast["episodes"]:
            (enclosure,) = episode["enclosures"]
            received = bytearray()
            chunk = 32 * 1024
            while True:
                wanted = f"bytes={len(received)}-{len(received) + chunk - 1}"
                request = urllib.request.Request(enclosure["url"], headers={"Range": wanted})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        assert response.status == 206
                        total = int(response.headers["Content-Range"].split("/")[1])
                        received += response.read()
                except urllib.error.HTTPError as exc:
                    assert exc.code == 416 and len(received) == total
                    break
                if len(received) >= total:
                    break
            assert len(received) == enclosure["file_size"] == total
            assert enclosure["mime_type"] == "audio/mpeg"
            local = next(e for e in ws.episodes() if e.sha256 == episode["guid"])
            mp3 = ws.episode_dir(local.id) / "podcast.mp3"
            assert hashlib.sha256(received).digest() == hashlib.sha256(mp3.read_bytes()).digest()
    finally:
        stop(server.process)


def test_default_folders_are_the_publish_targets(workspace: Workspace, tmp_path: Path):
    from studio.errors import BadInput
    from studio.publish.serve import published_folder, radio_folder

    assert published_folder(workspace) == workspace.root / "public"
    assert published_folder(workspace, tmp_path / "x") == tmp_path / "x"
    assert radio_folder(workspace) == workspace.root / "radio"
    assert radio_folder(workspace, tmp_path / "r") == tmp_path / "r"
    (workspace.root / "studio.toml").write_text('[studio]\npublish_to = "s3://bucket/pub"\n'
                                                'radio_to = "s3://bucket/radio"\n')
    with pytest.raises(BadInput, match="--dir"):
        published_folder(workspace)
    assert radio_folder(workspace) is None  # /radio/ then answers 404 to stations (after the token check)
