"""The access log of a real `studio serve` (issue 26): one line per media file or page, what was sent, no raw
address on disk; `access_log = false`; --trust-proxy; the radio delivery log's bytes actually sent."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import re
import socket
import time
from pathlib import Path

import pytest
from conftest import stop
from test_serve import Server

from studio.publish.serve import Access
from studio.radio.stations import add_station
from studio.stats.accesslog import AccessLogWriter
from studio.stats.identity import Anonymizer
from studio.workspace.config import save_settings, with_changes
from studio.workspace.layout import ACCESS_LOG_DIR, RADIO_DELIVERIES_FILE, STATS_SALTS_DIR
from studio.workspace.tree import Workspace

LISTENER = "127.0.0.42"  # the listener's address: any 127/8 address reaches the server on 127.0.0.1
PODCAST_APP = "AntennaPod/3.4.0 (Linux;Android 14) ExoPlayerLib/2.18.7"
AUDIO = bytes(range(256)) * 800  # 204,800 bytes
PAGE = b"<!doctype html><title>Sosialisasi</title><p>halo</p>"
FIELDS = {"time", "client", "country", "ua", "method", "path", "status", "range", "sent"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BIG = 24 * 1024**2  # far more than the server buffers ahead of a client (OUTBUF_HIGH_WATERMARK, socket buffers)


@pytest.fixture
def public(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    for name, data in {"media/kpu/ep.mp3": AUDIO, "index.html": PAGE, "kpu/ep/index.html": PAGE,
                       "static/style.css": b"body{}", "feeds/kpu.xml": b"<rss/>"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def connection(server: Server, source: str = LISTENER) -> http.client.HTTPConnection:
    """A keep-alive connection from `source`: its requests are answered one after another, so once an answer
    has come, the access log line of every request before it on this connection is written."""
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=30, source_address=(source, 0))


def ask(conn: http.client.HTTPConnection, method: str, path: str, **headers: str) -> tuple[int, dict, bytes]:
    conn.request(method, path, headers={"User-Agent": PODCAST_APP, **headers})
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def barrier(conn: http.client.HTTPConnection) -> None:
    """A request that is not logged (a feed), answered only after the requests before it were logged."""
    assert ask(conn, "GET", "/feeds/kpu.xml")[0] == 200


def logged(ws: Path) -> list[dict]:
    lines = []
    for day in sorted((ws / ACCESS_LOG_DIR).glob("*.jsonl")):
        for line in day.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            assert entry["time"].startswith(day.stem), (day.name, entry["time"])  # the day's file, UTC
            lines.append(entry)
    return lines


def wait_for_line(ws: Path, path: str, timeout: float = 120.0) -> dict:
    """The log line of `path`, once the server has closed that answer (a connection the client broke off ends
    when the server next writes to it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in logged(ws) if line["path"] == path]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no access log line for {path} in {timeout} s")


def files_holding(root: Path, *needles: str) -> list[str]:
    """Every file under `root` whose bytes contain one of `needles`."""
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
            and any(n.encode() in p.read_bytes() for n in needles)]


def key_of(ws: Path, address: str, line: dict) -> str:
    when = dt.datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return Anonymizer(ws / STATS_SALTS_DIR).client(address, when)


def abort_download(server: Server, path: str, keep: int, **headers: str) -> int:
    """GET `path` from LISTENER with a small receive buffer, read `keep` bytes or more, then close: what was
    received."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    sock.bind((LISTENER, 0))
    sock.settimeout(30)
    sock.connect(("127.0.0.1", server.port))
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: {PODCAST_APP}\r\n{extra}\r\n".encode())
    received = 0
    while received < keep:
        chunk = sock.recv(65536)
        assert chunk, "the server closed first"
        received += len(chunk)
    sock.close()
    return received


def test_each_media_file_and_page_is_logged_with_what_was_sent(workspace: Workspace, public: Path):
    ws = workspace.root
    server = Server(public, ws)
    try:
        conn = connection(server)
        status, headers, body = ask(conn, "GET", "/media/kpu/ep.mp3", **{"X-Forwarded-For": "203.0.113.9"})
        assert (status, body) == (200, AUDIO)
        assert ask(conn, "GET", "/media/kpu/ep.mp3", Range="bytes=0-1")[0] == 206
        assert ask(conn, "GET", "/media/kpu/ep.mp3", Range="bytes=1000-50999")[0] == 206
        assert ask(conn, "HEAD", "/media/kpu/ep.mp3")[0] == 200
        assert ask(conn, "GET", "/media/kpu/ep.mp3", **{"If-None-Match": headers["etag"]})[0] == 304
        assert ask(conn, "GET", "/")[0] == 200
        assert ask(conn, "GET", "/kpu/ep/")[0] == 200
        assert ask(conn, "GET", "/static/style.css")[0] == 200  # not media, not a page: not logged
        assert ask(conn, "GET", "/media/kpu/gone.mp3")[0] == 404
        barrier(conn)
        conn.close()
    finally:
        stop(server.process)

    lines = logged(ws)
    assert [(x["method"], x["path"], x["status"], x["range"], x["sent"]) for x in lines] == [
        ("GET", "/media/kpu/ep.mp3", 200, None, len(AUDIO)),
        ("GET", "/media/kpu/ep.mp3", 206, "bytes=0-1", 2),
        ("GET", "/media/kpu/ep.mp3", 206, "bytes=1000-50999", 50000),
        ("HEAD", "/media/kpu/ep.mp3", 200, None, 0),
        ("GET", "/media/kpu/ep.mp3", 304, None, 0),
        ("GET", "/", 200, None, len(PAGE)),
        ("GET", "/kpu/ep/", 200, None, len(PAGE)),
        ("GET", "/media/kpu/gone.mp3", 404, None, lines[-1]["sent"]),  # the 404 page's bytes
    ]
    assert lines[-1]["sent"] > 0
    anonymizer = Anonymizer(ws / STATS_SALTS_DIR)
    for line in lines:
        assert FIELDS <= set(line) <= FIELDS | {"dc"}, line
        assert TIME.match(line["time"]), line["time"]
        assert line["ua"] == PODCAST_APP
        # X-Forwarded-For is not believed without --trust-proxy: the key is the connection's address's
        assert line["client"] == key_of(ws, LISTENER, line) and line["client"] != LISTENER
        assert line["country"] == anonymizer.country(LISTENER)
    assert files_holding(ws, LISTENER, "203.0.113.9") == []  # no raw address anywhere in the workspace


def test_behind_a_trusted_proxy_the_address_it_added_is_the_client(workspace: Workspace, public: Path):
    ws = workspace.root
    server = Server(public, ws, "--trust-proxy")
    try:
        conn = connection(server)
        forwarded = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}  # the proxy added the last one
        assert ask(conn, "GET", "/media/kpu/ep.mp3", **forwarded)[0] == 200
        assert ask(conn, "GET", "/media/kpu/ep.mp3")[0] == 200  # no header: the connection's address
        barrier(conn)
        conn.close()
    finally:
        stop(server.process)
    first, second = logged(ws)
    assert first["client"] == key_of(ws, "198.51.100.7", first)
    assert second["client"] == key_of(ws, LISTENER, second)
    assert files_holding(ws, LISTENER, "203.0.113.9", "198.51.100.7") == []


def test_a_download_broken_off_logs_what_went_out(workspace: Workspace, public: Path):
    ws = workspace.root
    with open(public / "media" / "kpu" / "big.mp3", "wb") as f:
        f.truncate(BIG)
    server = Server(public, ws)
    try:
        received = abort_download(server, "/media/kpu/big.mp3", 256 * 1024)
        line = wait_for_line(ws, "/media/kpu/big.mp3")
    finally:
        stop(server.process)
    assert line["status"] == 200 and line["ua"] == PODCAST_APP
    assert received - 1024 <= line["sent"] < BIG // 2, (received, line["sent"])  # headers came first


def test_access_log_off_writes_nothing(workspace: Workspace, public: Path):
    ws = workspace.root
    save_settings(workspace.settings_path, with_changes(workspace.settings, access_log=False))
    assert "access_log = false" in (ws / "studio.toml").read_text()
    server = Server(public, ws)
    try:
        conn = connection(server)
        assert ask(conn, "GET", "/media/kpu/ep.mp3")[0] == 200
        assert ask(conn, "GET", "/")[0] == 200
        barrier(conn)
        conn.close()
    finally:
        stop(server.process)
    assert not (ws / ACCESS_LOG_DIR).exists()
    assert files_holding(ws, LISTENER) == []


def test_radio_delivery_log_records_the_bytes_actually_sent(workspace: Workspace, public: Path, tmp_path: Path):
    ws = workspace.root
    token = add_station(workspace, "abdi-persada")
    radio = tmp_path / "radio"
    (radio / "kpu").mkdir(parents=True)
    with open(radio / "kpu" / "big.wav", "wb") as f:
        f.truncate(BIG)
    server = Server(public, ws, "--radio-dir", str(radio))
    log = ws / RADIO_DELIVERIES_FILE
    try:
        received = abort_download(server, "/radio/kpu/big.wav", 256 * 1024, Authorization=f"Bearer {token}")
        deadline = time.monotonic() + 120
        while not log.exists() and time.monotonic() < deadline:  # written when the server closes the answer
            time.sleep(0.05)
        (line,) = [json.loads(x) for x in log.read_text().splitlines()]
    finally:
        stop(server.process)
    assert (line["station"], line["file"], line["status"]) == ("abdi-persada", "kpu/big.wav", 200)
    assert received - 1024 <= line["bytes"] < BIG // 2, (received, line["bytes"])
    assert not (ws / ACCESS_LOG_DIR).exists()  # the radio API is the delivery log's, not the access log's


class _Keys(Anonymizer):
    """The workspace's Anonymizer, with 192.0.2.0/24 taken for a data centre, refusing what is no address."""

    def client(self, address: str, when: dt.datetime) -> str:
        ipaddress.ip_address(address)  # ValueError, as the Anonymizer says
        return super().client(address, when)

    def is_datacentre(self, address: str) -> bool:
        return address.startswith("192.0.2.")


def access(address: str, when: dt.datetime) -> Access:
    return Access(time=when, address=address, user_agent=PODCAST_APP, method="GET", path="/media/kpu/ep.mp3",
                  status=200, range=None, sent=10)


def test_the_writer_marks_data_centres_and_skips_what_it_cannot_key(workspace: Workspace):
    folder = workspace.root / ACCESS_LOG_DIR
    writer = AccessLogWriter(folder, _Keys(workspace.root / STATS_SALTS_DIR))
    when = dt.datetime(2026, 11, 3, 23, 59, 59, 999_999, tzinfo=dt.timezone.utc)
    writer(access("192.0.2.10", when))
    writer(access("2001:db8::1", when))
    writer(access("not-an-address", when))  # e.g. a Unix socket: nothing to key, nothing written
    lines = [json.loads(x) for x in (folder / "2026-11-03.jsonl").read_text().splitlines()]
    assert [x.get("dc") for x in lines] == [True, None]
    assert [x["time"] for x in lines] == ["2026-11-03T23:59:59.999Z"] * 2
    assert files_holding(workspace.root, "192.0.2.10", "2001:db8") == []
