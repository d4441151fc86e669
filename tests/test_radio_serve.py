"""Radio delivery end to end: `studio publish`, a real `studio serve` process, `studio radio pull`."""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import stop
from studio.workspace import Workspace

STUDIO = [sys.executable, "-m", "studio"]


def studio(ws: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([*STUDIO, "--workspace", str(ws), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def served(processed_workspace: Workspace, tmp_path_factory):
    """A published copy of the processed workspace, served by `studio serve`, with one station."""
    root = tmp_path_factory.mktemp("radio-serve")
    shutil.copytree(processed_workspace.root, root / "ws")
    ws = root / "ws"
    studio(ws, "-q", "publish", "--to", str(root / "public"))
    token = studio(ws, "station", "add", "abdi-persada").stdout.strip()
    process = subprocess.Popen([*STUDIO, "--workspace", str(ws), "serve", "--dir", str(root / "public"),
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("serving http://127.0.0.1:"), line + process.stderr.read()
    url = line.split()[1].rstrip("/")
    yield ws, root, url, token
    stop(process)


def get(url: str, path: str, token: str | None = None) -> tuple[int, dict, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_radio_api_needs_a_station_token(served):
    _, root, url, token = served
    manifest = json.loads((root / "public" / "radio" / "manifest.json").read_text())
    wav = "/" + manifest["files"][0]["path"]
    for path in ("/radio/manifest.json", wav, "/radio/", "/radio/../radio/manifest.json"):
        status, headers, body = get(url, path)
        assert status == 401 and body == b"" and headers["www-authenticate"].startswith("Bearer"), path
        assert get(url, path, "wrong-token")[0] == 401, path
    status, headers, body = get(url, "/radio/manifest.json", token)
    assert status == 200 and json.loads(body) == manifest and "private" in headers["cache-control"]
    status, _, body = get(url, wav, token)
    assert status == 200 and hashlib.sha256(body).hexdigest() == manifest["files"][0]["sha256"]


def test_removed_station_is_refused_at_once(served):
    ws, _, url, _ = served
    token = studio(ws, "station", "add", "temporary").stdout.strip()
    assert get(url, "/radio/manifest.json", token)[0] == 200
    studio(ws, "station", "remove", "temporary")
    assert get(url, "/radio/manifest.json", token)[0] == 401
    assert "temporary" not in studio(ws, "station", "list").stdout


def test_pull_from_the_server_into_an_import_folder(served, tmp_path):
    _, root, url, token = served
    dest = tmp_path / "dropbox"
    dest.mkdir()
    first = studio(root, "radio", "pull", "--from", url, "--dest", str(dest), "--token", token, "--json")
    report = json.loads(first.stdout)
    manifest = json.loads((root / "public" / "radio" / "manifest.json").read_text())
    delivered = sorted(p for p in dest.iterdir() if not p.name.startswith("."))
    assert len(delivered) == len(manifest["files"]) == len(report["delivered"])
    assert sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in delivered) == \
        sorted(f["sha256"] for f in manifest["files"])
    again = json.loads(studio(root, "radio", "pull", "--from", url, "--dest", str(dest), "--token", token,
                              "--json").stdout)
    assert again["delivered"] == [] and len(again["skipped"]) == len(manifest["files"])


def test_pull_with_a_wrong_token_fails_with_exit_1(served, tmp_path):
    _, root, url, _ = served
    (tmp_path / "dropbox").mkdir()
    run = studio(root, "radio", "pull", "--from", url, "--dest", str(tmp_path / "dropbox"), "--token", "nope",
                 check=False)
    assert run.returncode == 1 and "401" in run.stderr
    assert [p for p in (tmp_path / "dropbox").iterdir() if not p.name.startswith(".")] == []


def test_plain_file_routes_never_serve_radio_files(served):
    _, root, url, _ = served
    (root / "public" / "alias").symlink_to(root / "public" / "radio", target_is_directory=True)
    try:
        assert get(url, "/alias/manifest.json")[0] == 404
    finally:
        (root / "public" / "alias").unlink()
