"""Radio delivery end to end: `studio publish`, a real `studio serve` process, `studio radio pull`."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import stop

from studio.workspace.tree import Workspace

STUDIO = [sys.executable, "-m", "studio"]


def studio(ws: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([*STUDIO, "--workspace", str(ws), *args], capture_output=True, text=True, timeout=120)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def served(processed_workspace: Workspace, tmp_path_factory):
    """A published copy of the processed workspace (radio files in its radio/, the default radio_to), served
    by `studio serve` (its default radio folder), with one station."""
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


def request(url: str, path: str, token: str | None = None, method: str = "GET",
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers={**({"Authorization": f"Bearer {token}"} if token else {}),
                                            **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get(url: str, path: str, token: str | None = None) -> tuple[int, dict, bytes]:
    return request(url, path, token)


def radio_manifest(ws: Path) -> dict:
    return json.loads((ws / "radio" / "manifest.json").read_text())


def test_published_tree_has_no_radio_files(served):
    ws, root, url, token = served
    public = sorted(str(p.relative_to(root / "public")) for p in (root / "public").rglob("*") if p.is_file())
    assert public and not [k for k in public if k.endswith(".wav") or k.endswith("manifest.json")], public
    assert not (root / "public" / "radio").exists()
    manifest = radio_manifest(ws)
    assert len(manifest["files"]) == 2 and all((ws / "radio" / e["path"]).is_file() for e in manifest["files"])


def test_radio_api_needs_a_station_token(served):
    ws, root, url, token = served
    manifest = radio_manifest(ws)
    wav = "/radio/" + manifest["files"][0]["path"]
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
    manifest = radio_manifest(root / "ws")
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


def test_pull_from_the_radio_folder(served, tmp_path):
    ws, _, _, _ = served
    for source in (ws / "radio", ws):  # the radio target itself, or the workspace holding it
        dest = tmp_path / source.name
        dest.mkdir()
        report = json.loads(studio(ws, "radio", "pull", "--from", str(source), "--dest", str(dest), "--json").stdout)
        assert len(report["delivered"]) == 2 and report["outcome"] == "ok"
        assert sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in dest.iterdir() if p.name[0] != ".") == \
            sorted(f["sha256"] for f in radio_manifest(ws)["files"])


def test_plain_file_routes_never_serve_radio_files(served):
    ws, root, url, token = served
    (root / "public" / "alias").symlink_to(ws / "radio", target_is_directory=True)
    old = root / "public" / "radio"  # what an older Studio left in the public tree
    old.mkdir()
    (old / "old.wav").write_bytes(b"RIFF")
    try:
        assert get(url, "/alias/manifest.json")[0] == 404
        assert get(url, "/radio/old.wav")[0] == 401 and get(url, "/radio/old.wav", token)[0] == 404
    finally:
        (root / "public" / "alias").unlink()
        shutil.rmtree(old)


def log_lines(ws: Path) -> list[dict]:
    log = ws / "logs" / "radio-deliveries.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_every_delivery_is_logged(served):
    ws, _, url, token = served
    entry = radio_manifest(ws)["files"][0]
    wav = "/radio/" + entry["path"]
    before = len(log_lines(ws))
    with ThreadPoolExecutor(max_workers=8) as pool:  # concurrent requests: each its own line, whole
        statuses = list(pool.map(lambda _: get(url, wav, token)[0], range(24)))
    assert statuses == [200] * 24
    status, _, body = request(url, wav, token, headers={"Range": "bytes=100-199"})
    assert status == 206 and len(body) == 100
    assert request(url, wav, token, "HEAD")[0] == 200  # nothing sent: not a delivery
    assert get(url, "/radio/manifest.json", token)[0] == 200  # not a broadcast file
    assert get(url, wav)[0] == 401 and get(url, wav, "wrong")[0] == 401
    logged = log_lines(ws)[before:]
    assert len(logged) == 25
    for line in logged:
        assert (line["station"], line["file"], line["client"]) == ("abdi-persada", entry["path"], "127.0.0.1")
        assert line["time"].endswith("+00:00")
    assert [(line["status"], line["bytes"]) for line in logged] == [(200, entry["bytes"])] * 24 + [(206, 100)]

    listed = json.loads(studio(ws, "radio", "log", "--station", "abdi-persada", "--json").stdout)
    assert listed[-25:] == logged
    assert json.loads(studio(ws, "radio", "log", "--station", "other", "--json").stdout) == []
    text = studio(ws, "radio", "log").stdout.splitlines()
    assert f"  abdi-persada  {entry['path']}  100 bytes (range)" in text[-1]
    assert re.match(r"^\w+, \d+ \w+ \d{4} pukul \d\d\.\d\d ", text[-1])  # the time as people say it


def test_unusable_range_on_the_radio_api_sends_the_whole_file(served):
    ws, _, url, token = served
    entry = radio_manifest(ws)["files"][0]
    wav = "/radio/" + entry["path"]
    for value in ("bytes=abc", "bytes=0-1,5-9"):
        status, _, body = request(url, wav, token, headers={"Range": value})
        assert status == 200 and len(body) == entry["bytes"], value
    assert request(url, wav, token, headers={"Range": f"bytes={entry['bytes'] + 10}-"})[0] == 416
