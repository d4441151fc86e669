"""Slow clients against the real servers over real sockets: `studio serve` and `studio web` stay on the air.

The probe of issue 29: a hundred and more connections from one address, each sending one header line and then
nothing, took Waitress's hundred connection slots, and nobody else was answered. Now an address's connections
waiting for a request are bounded (its next one closes the longest-waiting), and a connection whose headers are
not complete in `http_header_timeout` seconds is closed."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, stop, wait_for_port

from studio.workspace.config import save_settings, with_changes
from studio.workspace.tree import Workspace

REPO = Path(__file__).resolve().parents[1]
SLOW = 120  # more than Waitress's default connection limit of 100
ANSWER_WITHIN = 5.0  # the issue asks for a second; a margin for a loaded two-core machine


def slow_connections(port: int, count: int = SLOW) -> list[socket.socket]:
    """`count` connections from 127.0.0.1 that each send one header line and then nothing."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /feeds/kpu.xml HTTP/1.1\r\n")
        held.append(sock)
    return held


def ask(port: int, path: str, headers: dict | None = None, source: str = "127.0.0.1") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start(workspace: Workspace, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "studio", "--workspace", str(workspace.root), *args,
                               "--port", str(port)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, server)
    return server, port


@pytest.fixture
def public(workspace: Workspace) -> Path:
    root = workspace.root / "public"
    (root / "feeds").mkdir(parents=True)
    (root / "feeds" / "kpu.xml").write_bytes(b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>")
    (root / "media" / "kpu").mkdir(parents=True)
    (root / "media" / "kpu" / "ep.mp3").write_bytes(bytes(range(256)) * 40)
    return root


def test_serve_answers_the_feed_and_a_range_beside_a_hundred_slow_connections(workspace, public):
    server, port = start(workspace, "serve", "--dir", str(public))
    held = []
    try:
        held = slow_connections(port)
        status, body = ask(port, "/feeds/kpu.xml")
        assert status == 200 and b"<rss" in body
        status, body = ask(port, "/media/kpu/ep.mp3", {"Range": "bytes=256-511"})
        assert status == 206 and body == bytes(range(256))
        status, _ = ask(port, "/feeds/kpu.xml", source="127.0.0.2")  # another address too
        assert status == 200
    finally:
        for sock in held:
            sock.close()
        stop(server)


def test_web_answers_beside_a_hundred_slow_connections(workspace):
    server, port = start(workspace, "web", "--workers", "0")
    held = []
    try:
        held = slow_connections(port)
        status, body = ask(port, "/login")
        assert status == 200 and b"<form" in body
    finally:
        for sock in held:
            sock.close()
        stop(server)


def test_a_connection_whose_headers_do_not_come_is_closed(workspace, public):
    save_settings(workspace.settings_path, with_changes(workspace.settings, http_header_timeout=1.0))
    server, port = start(workspace, "serve", "--dir", str(public))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /feeds/kpu.xml HTTP/1.1\r\nHost: x\r\n")
            assert sock.recv(1024) == b""  # closed by the server (a timeout here means it never was)
        status, _ = ask(port, "/feeds/kpu.xml")
        assert status == 200
    finally:
        stop(server)
