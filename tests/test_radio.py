"""Radio delivery: the manifest, station tokens and `pull` from a radio folder and over HTTP.

The HTTP tests here run a small Range- and token-aware server that can
misbehave, in a subprocess (`serve`, at the bottom); tests/test_radio_serve.py
runs pulls against the real `studio serve`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import inspect
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio import radio
from studio.data import RADIO_MANIFEST_SCHEMA
from studio.errors import BadInput
from studio.media.ffmpeg import find_ffmpeg
from studio.pipeline import ingest as ingest_mod
from studio.pipeline import session as process
from studio.progress import Reporter
from studio.radio import stations
from studio.radio.pull import _part_path
from studio.workspace import shows, state
from studio.workspace.config import load_settings
from studio.workspace.tree import init_workspace

SCHEMA = RADIO_MANIFEST_SCHEMA
BEFORE = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)  # inside every air window below
AFTER = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)  # after the window of the "berita" episode


# -- fixtures -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Two processed episodes (one with an air window ending in 2099, one open) and one only ingested."""
    root = tmp_path_factory.mktemp("radio")
    ffmpeg = find_ffmpeg()
    ws = init_workspace(root / "ws")
    shows.add_show(ws, "radio-abdi", title="Radio Abdi Persada")
    shows.add_show(ws, "kpu-kalsel", title="KPU Kalsel")
    made = {}
    window = ("2026-01-01T06:00+08:00", "2099-12-31T23:00+08:00")
    for name, show, seconds, (air_from, air_until) in [("berita", "radio-abdi", 5, window),
                                                       ("dpt", "kpu-kalsel", 4, ("", "")),
                                                       ("draft", "kpu-kalsel", 2, ("", ""))]:
        wav = root / f"{name}.wav"
        subprocess.run([ffmpeg.path, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        f"anoisesrc=d={seconds}:c=pink:a=0.2:s={len(name)}", "-ac", "2", str(wav)], check=True)
        request = ingest_mod.IngestRequest(file=wav, show=show, title=name.title(), recorded_on="2026-02-01",
                                           air_from=air_from, air_until=air_until)
        made[name] = ingest_mod.ingest(ws, ffmpeg, request).episode
    for name in ("berita", "dpt"):
        process.process_episode(ws, ffmpeg, made[name].id, Reporter(quiet=True))
    return ws


def publish(ws, radio_dir: Path) -> dict:
    """What `studio publish` does for radio in the radio target: the files first, the manifest last."""
    delivery = radio.radio_delivery(ws)
    for source, rel in delivery.files:
        (radio_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, radio_dir / rel)
    (radio_dir / radio.MANIFEST_NAME).write_bytes(delivery.manifest_bytes())
    return delivery.manifest


@pytest.fixture
def radio_dir(workspace, tmp_path):
    folder = tmp_path / "radio"
    publish(workspace, folder)
    return folder


@pytest.fixture
def dest(tmp_path):
    folder = tmp_path / "dropbox"
    folder.mkdir()
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(radio_dir: Path) -> dict:
    return json.loads((radio_dir / radio.MANIFEST_NAME).read_text())


def name_of(entry: dict) -> str:
    return f"{entry['show']}--{entry['path'].rsplit('/', 1)[-1]}"


def entry_for(radio_dir: Path, episode_part: str) -> dict:
    return next(e for e in manifest_of(radio_dir)["files"] if episode_part in e["episode"])


def visible(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if not p.name.startswith("."))


def hidden(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name.startswith("."))


def set_entry(radio_dir: Path, episode_part: str, **changes) -> None:
    manifest = manifest_of(radio_dir)
    for entry in manifest["files"]:
        if episode_part in entry["episode"]:
            entry.update(changes)
    (radio_dir / radio.MANIFEST_NAME).write_text(json.dumps(manifest))


# -- the package ---------------------------------------------------------------------------

RADIO_MODULES = ("manifest", "pull", "auth", "stations", "deliveries")


def test_radio_modules_import_on_their_own_and_never_upward():
    import ast

    for name in RADIO_MODULES:  # each in a fresh interpreter: an import cycle would fail here
        run = subprocess.run([sys.executable, "-c", f"import studio.radio.{name}"], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        tree = ast.parse((Path(radio.__file__).parent / f"{name}.py").read_text())
        imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
        assert not imported & {"cli", "process", "publish", "serve"}, (name, imported)
    from studio.radio import auth

    assert auth.hash_token is stations.hash_token  # one way to hash a token


# -- the manifest -------------------------------------------------------------------------

@pytest.mark.model
def test_manifest_validates_and_describes_the_files(workspace, radio_dir):
    import jsonschema
    import soundfile as sf

    manifest = manifest_of(radio_dir)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(manifest)
    assert [e["episode"].split("/", 1)[1][11:] for e in manifest["files"]] == ["dpt", "berita"]  # by path
    for entry in manifest["files"]:
        path = radio_dir / entry["path"]
        assert re.fullmatch(rf"{entry['show']}/2026-02-01-[a-z]+\.wav", entry["path"])
        assert entry["bytes"] == path.stat().st_size and entry["sha256"] == sha(path)
        info = sf.info(path)
        assert (entry["sample_rate"], entry["bit_depth"]) == (48000, 24) and info.samplerate == 48000
        assert entry["duration"] == pytest.approx(info.frames / info.samplerate, abs=0.001)
        measured = state.load_state(workspace.episode_dir(entry["episode"]))["broadcast"]["loudness"]
        assert (entry["integrated_loudness"], entry["true_peak"], entry["loudness_range"]) == (
            measured["integrated"], measured["true_peak"], measured["loudness_range"])
        assert abs(entry["integrated_loudness"] - -23) <= 0.5
    berita = entry_for(radio_dir, "berita")
    assert (berita["air_from"], berita["air_until"]) == ("2026-01-01T06:00:00+08:00", "2099-12-31T23:00:00+08:00")
    assert entry_for(radio_dir, "dpt")["air_until"] is None
    assert "draft" not in json.dumps(manifest)  # not processed: nothing to broadcast yet


@pytest.mark.model
def test_manifest_pieces_agree_and_are_stable(workspace):
    files = radio.radio_files(workspace)
    manifest = radio.build_manifest(workspace)
    assert [rel for _, rel in files] == [e["path"] for e in manifest["files"]]
    assert all(src.name == "broadcast.wav" and src.is_file() for src, _ in files)
    assert json.loads(radio.manifest_bytes(workspace)) == manifest
    assert radio.manifest_bytes(workspace) == radio.manifest_bytes(workspace)  # unchanged: same bytes
    other = radio.build_manifest(workspace, base_path="/broadcast")
    assert all(e["path"].startswith("broadcast/") for e in other["files"])


@pytest.mark.model
def test_manifest_hash_cache_notices_a_new_render(workspace, tmp_path):
    entry = radio.build_manifest(workspace)["files"][0]
    wav = workspace.episode_dir(entry["episode"]) / "broadcast.wav"
    original = wav.read_bytes()
    try:
        wav.write_bytes(original[:-2] + b"\x01\x02")  # same size, new content (and a new mtime)
        assert radio.build_manifest(workspace)["files"][0]["sha256"] == hashlib.sha256(wav.read_bytes()).hexdigest()
    finally:
        wav.write_bytes(original)
    assert radio.build_manifest(workspace)["files"][0]["sha256"] == entry["sha256"]


# -- stations ------------------------------------------------------------------------------

def test_stations_store_only_the_hash(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    token = stations.add_station(ws, "rri-banjarmasin")
    assert len(token) >= 40
    text = ws.settings_path.read_text()
    assert token not in text and hashlib.sha256(token.encode()).hexdigest() in text
    other = stations.add_station(ws, "abdi-persada")
    assert other != token
    assert [s.name for s in stations.list_stations(ws)] == ["abdi-persada", "rri-banjarmasin"]
    assert radio.check_bearer(f"Bearer {token}", load_settings(ws.settings_path).stations) == "rri-banjarmasin"
    assert radio.check_bearer(f"bearer  {other} ", ws.settings.stations) == "abdi-persada"
    for bad in (None, "", "Bearer", f"Basic {token}", f"Bearer {token}x", token):
        assert radio.check_bearer(bad, ws.settings.stations) is None
    with pytest.raises(BadInput, match="already exists"):
        stations.add_station(ws, "abdi-persada")
    with pytest.raises(BadInput, match="invalid station"):
        stations.add_station(ws, "Abdi Persada")
    stations.remove_station(ws, "rri-banjarmasin")
    assert radio.check_bearer(f"Bearer {token}", ws.settings.stations) is None
    with pytest.raises(BadInput, match="unknown station"):
        stations.remove_station(ws, "rri-banjarmasin")
    assert ws.settings.base_url == "http://127.0.0.1:8000"  # other settings kept


# -- pull from a folder ------------------------------------------------------------------------

@pytest.mark.model
def test_full_pull_then_nothing_to_do(radio_dir, dest):
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.outcome == "ok" and report.exit_code == 0
    names = sorted(name_of(e) for e in manifest_of(radio_dir)["files"])
    assert sorted(report.delivered) == names == visible(dest)
    for entry in manifest_of(radio_dir)["files"]:
        assert sha(dest / name_of(entry)) == entry["sha256"]
    assert hidden(dest) == [radio.STATE_NAME, radio.LOCK_NAME]  # no temporary files left
    again = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert again.delivered == [] and sorted(again.skipped) == names and again.exit_code == 0
    assert "2 unchanged" in again.summary()


@pytest.mark.model
def test_changed_file_is_delivered_again(radio_dir, dest):
    radio.pull(str(radio_dir), dest, now=BEFORE)
    entry = entry_for(radio_dir, "dpt")
    path = radio_dir / entry["path"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # a re-render: new bytes, new sha256
    path.write_bytes(bytes(data))
    set_entry(radio_dir, "dpt", sha256=hashlib.sha256(data).hexdigest())
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.delivered == [name_of(entry)] and len(report.skipped) == 1
    assert (dest / name_of(entry)).read_bytes() == bytes(data)


@pytest.mark.model
def test_moved_away_by_the_playout_system_is_not_sent_again(radio_dir, dest):
    radio.pull(str(radio_dir), dest, now=BEFORE)
    for name in visible(dest):
        (dest / name).unlink()  # a drop box that deletes what it imported
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.delivered == [] and len(report.skipped) == 2 and visible(dest) == []


@pytest.mark.model
def test_expired_window_never_delivered_and_removed_later(radio_dir, dest, tmp_path):
    berita = name_of(entry_for(radio_dir, "berita"))
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    late = radio.pull(str(radio_dir), fresh, now=AFTER)
    assert late.expired == [berita] and berita not in visible(fresh) and late.exit_code == 0

    radio.pull(str(radio_dir), dest, now=BEFORE)
    assert berita in visible(dest)
    kept = radio.pull(str(radio_dir), dest, now=AFTER, remove_expired=False)
    assert kept.removed == [] and berita in visible(dest)
    removed = radio.pull(str(radio_dir), dest, now=AFTER)
    assert removed.removed == [berita] and berita not in visible(dest)
    assert berita not in json.loads((dest / radio.STATE_NAME).read_text())["files"]
    assert len(visible(dest)) == 1  # the open-window file stays


@pytest.mark.model
def test_not_yet_started_window_is_delivered(radio_dir, dest):
    set_entry(radio_dir, "berita", air_from="2099-01-01T00:00:00+00:00")
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert name_of(entry_for(radio_dir, "berita")) in report.delivered


@pytest.mark.model
def test_corrupted_file_is_caught_and_fetched_again_later(radio_dir, dest):
    entry = entry_for(radio_dir, "berita")
    path = radio_dir / entry["path"]
    good = path.read_bytes()
    path.write_bytes(good[:1000] + bytes([good[1000] ^ 1]) + good[1001:])  # same size, one bit off
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.outcome == "failed" and report.exit_code == 1
    assert [f.name for f in report.failed] == [name_of(entry)] and "sha256" in report.failed[0].reason
    assert name_of(entry) not in visible(dest)
    assert hidden(dest) == [radio.STATE_NAME, radio.LOCK_NAME]  # the bad download is gone too
    assert len(report.delivered) == 1  # the other file still went through
    path.write_bytes(good)
    again = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert again.delivered == [name_of(entry)] and again.exit_code == 0
    assert sha(dest / name_of(entry)) == entry["sha256"]


@pytest.mark.model
def test_a_public_tree_of_an_older_studio_still_delivers(radio_dir, dest, tmp_path):
    old = tmp_path / "old-public"  # manifest version 1: radio/manifest.json, paths from the tree's root
    manifest = manifest_of(radio_dir)
    for entry in manifest["files"]:
        (old / "radio" / entry["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(radio_dir / entry["path"], old / "radio" / entry["path"])
        entry["path"] = f"radio/{entry['path']}"
    (old / "radio" / "manifest.json").write_text(json.dumps({**manifest, "version": 1}))
    report = radio.pull(str(old), dest, now=BEFORE)
    assert report.exit_code == 0 and len(report.delivered) == 2
    for entry in manifest["files"]:
        assert sha(dest / name_of(entry)) == entry["sha256"]


@pytest.mark.model
def test_interrupted_copy_resumes(radio_dir, dest):
    entry = entry_for(radio_dir, "berita")
    data = (radio_dir / entry["path"]).read_bytes()
    part = _part_path(dest, name_of(entry), entry["sha256"])
    part.write_bytes(data[: len(data) // 2])  # what a killed run leaves behind
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.resumed == [name_of(entry)] and name_of(entry) in report.delivered
    assert (dest / name_of(entry)).read_bytes() == data and not part.exists()


@pytest.mark.model
def test_bad_partial_file_is_thrown_away_and_fetched_whole(radio_dir, dest):
    entry = entry_for(radio_dir, "berita")
    data = (radio_dir / entry["path"]).read_bytes()
    part = _part_path(dest, name_of(entry), entry["sha256"])
    part.write_bytes(b"\xff" * (len(data) // 3))  # junk under the right name
    stale = dest / f".{name_of(entry)}.0123456789abcdef.part"  # a part of an older version
    stale.write_bytes(b"old")
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.exit_code == 0 and (dest / name_of(entry)).read_bytes() == data
    assert hidden(dest) == [radio.STATE_NAME, radio.LOCK_NAME]


@pytest.mark.model
def test_second_pull_sees_the_lock(radio_dir, dest):
    with open(dest / radio.LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert report.locked and report.outcome == "locked" and report.exit_code == 0
    assert "another pull is running" in report.summary() and visible(dest) == []
    assert radio.pull(str(radio_dir), dest, now=BEFORE).outcome == "ok"  # lock released with the holder


@pytest.mark.model
def test_hostile_manifest_entries_are_refused(radio_dir, dest, tmp_path):
    manifest = manifest_of(radio_dir)
    evil = dict(manifest["files"][0], path="radio/../../../etc/x.wav")
    dotted = dict(manifest["files"][0], path="radio/.hidden.wav")
    manifest["files"] += [evil, dotted]
    (radio_dir / radio.MANIFEST_NAME).write_text(json.dumps(manifest))
    report = radio.pull(str(radio_dir), dest, now=BEFORE)
    assert len(report.delivered) == 2 and len(report.failed) == 2 and report.exit_code == 1
    assert all("bad path" in f.reason for f in report.failed)


@pytest.mark.model
def test_bad_arguments(radio_dir, tmp_path):
    with pytest.raises(BadInput, match="--dest"):
        radio.pull(str(radio_dir), tmp_path / "missing")
    with pytest.raises(BadInput, match="--from"):
        radio.pull(str(tmp_path / "nowhere"), tmp_path)
    with pytest.raises(BadInput, match="--from"):
        radio.pull("ftp://example.org/x", tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    report = radio.pull(str(empty), tmp_path)
    assert report.exit_code == 1 and "manifest.json" in report.failed[0].reason


def test_token_from_the_environment():
    assert radio.resolve_token("t1", {"STUDIO_RADIO_TOKEN": "t2"}) == "t1"
    assert radio.resolve_token(None, {"STUDIO_RADIO_TOKEN": "t2"}) == "t2"
    assert radio.resolve_token(None, {}) is None


# -- pull over HTTP -----------------------------------------------------------------------------

TOKEN = "test-token-for-abdi-persada"


@contextlib.contextmanager
def server(root: Path, log: Path, *options: str):
    # `serve` runs on its own (python -c), so the server does not pay for importing pytest.
    source = ("import json, re, sys, threading, time\nfrom pathlib import Path\nfrom studio import radio\n"
              f"{inspect.getsource(serve)}\nserve(sys.argv[1:])\n")
    proc = subprocess.Popen([sys.executable, "-c", source, str(root), hashlib.sha256(TOKEN.encode()).hexdigest(),
                             str(log), *options], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def requests_seen(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.model
def test_http_full_pull_and_skip(radio_dir, dest, tmp_path):
    with server(radio_dir, tmp_path / "log") as url:
        report = radio.pull(url, dest, station="abdi-persada", token=TOKEN, now=BEFORE)
        assert report.exit_code == 0 and len(report.delivered) == 2 and report.warnings == []
        for entry in manifest_of(radio_dir)["files"]:
            assert sha(dest / name_of(entry)) == entry["sha256"]
        again = radio.pull(url + "/", dest, token=TOKEN, now=BEFORE)
        assert again.delivered == [] and len(again.skipped) == 2
    seen = requests_seen(tmp_path / "log")
    assert all(r["auth"] for r in seen) and seen[0]["station"] == "abdi-persada"


@pytest.mark.model
def test_http_wrong_or_missing_token(radio_dir, dest, tmp_path):
    with server(radio_dir, tmp_path / "log") as url:
        wrong = radio.pull(url, dest, token="not-the-token", now=BEFORE)
        assert wrong.exit_code == 1 and "401" in wrong.failed[0].reason and "refused" in wrong.failed[0].reason
        missing = radio.pull(url, dest, token=None, now=BEFORE)
        assert missing.exit_code == 1 and "no token given" in missing.failed[0].reason
    assert visible(dest) == [] and hidden(dest) == [radio.LOCK_NAME]


@pytest.mark.model
def test_http_cut_off_mid_file_resumes_with_range(radio_dir, dest, tmp_path):
    log = tmp_path / "log"
    with server(radio_dir, log, "--drop-after", "300000") as url:  # each file's first response dies at 300 kB
        report = radio.pull(url, dest, token=TOKEN, now=BEFORE)
    assert report.exit_code == 0 and sorted(report.resumed) == sorted(report.delivered) and len(report.delivered) == 2
    for entry in manifest_of(radio_dir)["files"]:
        assert sha(dest / name_of(entry)) == entry["sha256"]
    ranged = [r for r in requests_seen(log) if r["range"]]
    assert len(ranged) == 2 and all(r["range"] == "bytes=300000-" and r["status"] == 206 for r in ranged)


@pytest.mark.model
def test_http_server_ignoring_range_restarts_cleanly(radio_dir, dest, tmp_path):
    entry = entry_for(radio_dir, "berita")
    part = _part_path(dest, name_of(entry), entry["sha256"])
    part.write_bytes((radio_dir / entry["path"]).read_bytes()[:5000])
    with server(radio_dir, tmp_path / "log", "--no-range") as url:
        report = radio.pull(url, dest, token=TOKEN, now=BEFORE)
    assert report.exit_code == 0 and report.resumed == []
    assert sha(dest / name_of(entry)) == entry["sha256"]


@pytest.mark.model
def test_http_pull_killed_mid_file_then_resumed(radio_dir, dest, tmp_path):
    log = tmp_path / "log"
    with server(radio_dir, log, "--hold-after", "1100000") as url:  # the first file stops after a 1 MB read
        # ... and the pull is killed there
        code = ("import sys; from pathlib import Path; from studio.radio import pull; "
                "sys.exit(pull(sys.argv[1], Path(sys.argv[2]), token=sys.argv[3]).exit_code)")
        killed = subprocess.Popen([sys.executable, "-c", code, url, str(dest), TOKEN])
        deadline = time.monotonic() + 60  # a safety net, not a claim about speed
        while time.monotonic() < deadline and not any(p.stat().st_size > 100_000 for p in dest.glob(".*.part")):
            time.sleep(0.01)
        killed.kill()
        killed.wait()
        parts = [p for p in dest.glob(".*.part") if p.stat().st_size > 0]
        assert parts, "the pull never started downloading"
        for entry in manifest_of(radio_dir)["files"]:  # nothing partial under a final name
            final = dest / name_of(entry)
            assert not final.exists() or sha(final) == entry["sha256"]
            assert not (final.exists() and _part_path(dest, name_of(entry), entry["sha256"]).exists())
        report = radio.pull(url, dest, token=TOKEN, now=BEFORE)
    assert report.exit_code == 0 and len(report.resumed) == 1 and len(report.delivered + report.skipped) == 2
    for entry in manifest_of(radio_dir)["files"]:
        assert sha(dest / name_of(entry)) == entry["sha256"]
    assert any(r["range"] and r["status"] == 206 for r in requests_seen(log))


@pytest.mark.model
def test_http_two_pulls_at_once(radio_dir, dest, tmp_path):
    release = tmp_path / "release"
    with server(radio_dir, tmp_path / "log", "--hold-after", "1100000", "--release", str(release)) as url:
        results = {}
        first = threading.Thread(target=lambda: results.update(first=radio.pull(url, dest, token=TOKEN, now=BEFORE)))
        first.start()
        try:
            deadline = time.monotonic() + 60  # a safety net, not a claim about speed
            while time.monotonic() < deadline and not list(dest.glob(".*.part")):
                time.sleep(0.01)
            second = radio.pull(url, dest, token=TOKEN, now=BEFORE)  # while the first is held mid-file
        finally:
            release.touch()
            first.join()
    assert second.locked and second.delivered == []
    assert results["first"].exit_code == 0 and len(results["first"].delivered) == 2


@pytest.mark.model
def test_http_redirect_to_another_host_is_not_followed(radio_dir, dest, tmp_path):
    with server(radio_dir, tmp_path / "log", "--redirect-to", "http://localhost:9/elsewhere") as url:
        report = radio.pull(url, dest, token=TOKEN, now=BEFORE)
    assert report.exit_code == 1 and "302" in report.failed[0].reason


# -- the test server (this file run as a script) ---------------------------------------------------

def serve(argv: list[str]) -> None:
    """A static server of the radio folder under /radio/ with bearer tokens and Range, plus ways to misbehave."""
    import argparse
    import os
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import unquote, urlsplit

    from studio.workspace.config import Station

    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("token_sha256")
    parser.add_argument("log", type=Path)
    parser.add_argument("--drop-after", type=int, default=0, help="cut each file's first response after N bytes")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to sleep after each 64 KiB")
    parser.add_argument("--hold-after", type=int, default=0,
                        help="send the first .wav asked for up to N bytes, then hold it until --release exists")
    parser.add_argument("--release", type=Path, default=None, help="a file whose creation ends the hold")
    parser.add_argument("--no-range", action="store_true", help="answer Range requests with the whole file")
    parser.add_argument("--redirect-to", default="", help="redirect every request there")
    args = parser.parse_args(argv)
    known = [Station("abdi-persada", args.token_sha256)]
    dropped: set[str] = set()
    held: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def note(self, status: int, station: str | None) -> None:
            record = {"path": self.path, "range": self.headers.get("Range"), "status": status,
                      "auth": station is not None, "station": self.headers.get("X-Studio-Station")}
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(record) + "\n")

        def bare(self, status: int, **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            station = radio.check_bearer(self.headers.get("Authorization"), known)
            if args.redirect_to:
                self.note(302, station)
                return self.bare(302, Location=args.redirect_to)
            if station is None:
                self.note(401, None)
                return self.bare(401, WWW_Authenticate='Bearer realm="studio-radio"')
            rel = unquote(urlsplit(self.path).path).lstrip("/")
            path = args.root / rel.removeprefix("radio/")  # the pull API: /radio/ answers from the radio folder
            if not rel.startswith("radio/") or ".." in rel.split("/") or not path.is_file():
                self.note(404, station)
                return self.bare(404)
            size = path.stat().st_size
            start, status = 0, 200
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if match and not args.no_range:
                start, status = int(match.group(1)), 206
                if start >= size:
                    self.note(416, station)
                    return self.bare(416, Content_Range=f"bytes */{size}")
            self.note(status, station)
            self.send_response(status)
            self.send_header("Content-Length", str(size - start))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.end_headers()
            with lock:
                cut = args.drop_after if args.drop_after and rel.endswith(".wav") and rel not in dropped else 0
                dropped.add(rel)
                hold = args.hold_after if args.hold_after and rel.endswith(".wav") and not held else 0
                if hold:
                    held.append(rel)
            sent = 0
            with open(path, "rb") as f:
                f.seek(start)
                while block := f.read(65536):
                    if hold and sent + len(block) >= hold:  # the client now waits mid-file, however fast it is
                        self.wfile.write(block[:hold - sent])
                        self.wfile.flush()
                        block, sent, hold = block[hold - sent:], hold, 0
                        while not (args.release and args.release.exists()):
                            time.sleep(0.05)
                    if cut and sent + len(block) >= cut:
                        self.wfile.write(block[:cut - sent])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(block)
                    sent += len(block)
                    if args.delay:
                        time.sleep(args.delay)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(httpd.server_address[1], flush=True)
    os.environ.pop("STUDIO_RADIO_TOKEN", None)
    httpd.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1:])
