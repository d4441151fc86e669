"""Shared test fixtures: small workspaces, a real S3 API server, helpers for subprocess servers."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.fsutil import write_bytes, write_json
from studio.workspace.episode import Episode
from studio.workspace.shows import add_show
from studio.workspace.tree import Workspace, init_workspace

SHARED = Path(__file__).resolve().parents[2] / "shared"
MODEL_CACHE = Path(__file__).resolve().parents[1] / ".studio-cache" / "models"


def screenshot_dir(fallback: Path) -> Path:
    """Where browser tests save their screenshots: docs/web/ when STUDIO_SCREENSHOTS=1 (to refresh the
    README's pictures), else `fallback` (a test's tmp_path): a plain test run changes no tracked file."""
    if os.environ.get("STUDIO_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[1] / "docs" / "web"
    return fallback


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def need_program(path: str, how_to_get: str) -> None:
    """Skip a test whose server or browser program is absent (fail under CI=true, where .ci/run installs it)."""
    if Path(path).exists() or shutil.which(path):
        return
    message = f"{path} not found: {how_to_get}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: .ci/run installs it)", pytrace=False)
    pytest.skip(message)


def need_shared(path: Path) -> None:
    """Skip a test whose shared test data (`path`, under ../shared) is absent or empty.

    In CI (CI=true) the test fails instead: there the data must be present, and a
    skipped test would hide that it is not.
    """
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        return
    message = f"shared test data absent: {path}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: the test data must be there)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def model_cache():
    """Every test (and the studio processes tests start) keeps Whisper models in the repository's
    ignored .studio-cache/, never in the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_CACHE_DIR", str(MODEL_CACHE))
        yield MODEL_CACHE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    """Wait until something listens on `port` (a safety deadline for a loaded machine, not a claim about speed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def realtime_ffmpeg(folder: Path) -> Path:
    """A wrapper of the real ffmpeg that reads its input no faster than it plays (-re): rendering a 60 s
    recording takes a minute on any machine, so a test can stop it midway without racing it."""
    from studio.media.ffmpeg import find_ffmpeg

    wrapper = folder / "ffmpeg-realtime"
    wrapper.write_text(f'#!/bin/sh\nexec "{find_ffmpeg().path}" -re "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never Playwright's own browser download)."""
    need_program(CHROMIUM, "install Debian's chromium (apt-get install chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page per test (desktop width; tests resize for 360 px)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    yield context.new_page()
    context.close()


def axe_serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


# -- workspaces ---------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace with one show, `kpu` (no artwork)."""
    ws = init_workspace(tmp_path / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU", author="Diskominfo", email="podcast@example.go.id",
             description="Podcast sosialisasi pemilu.")
    return ws


def add_fake_episode(workspace: Workspace, show: str, slug: str, *, title: str = "", description: str = "",
                     recorded_on: str = "", audio: bytes | None = None, duration: float = 61.0,
                     highlights: list[dict] | None = None, files: dict[str, bytes] | None = None) -> Episode:
    """An episode that looks processed without any audio work: episode.toml, a podcast.mp3 of
    `audio` bytes (fake by default) and the state entries `process` would write (`highlights`
    become its rendered clips).
    `files` are extra files in the episode folder (transcript.vtt, chapters.json, clips/x.mp4...)."""
    audio = audio if audio is not None else hashlib.sha256(slug.encode()).digest() * 40
    recorded_on = recorded_on or slug[:10]
    episode = Episode(
        show=show, slug=slug, title=title or slug, original="original.wav",
        sha256=hashlib.sha256(f"{show}/{slug}".encode()).hexdigest(), size=1000, duration=duration,
        ingested_at=f"{recorded_on}T09:30:00+07:00", description=description, recorded_on=recorded_on,
        highlights=highlights or [],
    )
    folder = workspace.episode_dir(episode.id)
    workspace.save_episode(episode)
    write_bytes(folder / "podcast.mp3", audio)
    for name, data in (files or {}).items():
        write_bytes(folder / name, data)
    write_json(folder / ".studio" / "state.json", {"podcast": {
        "key": "fake", "file": "podcast.mp3", "target_lufs": -16.0, "gain_db": 0.0, "limited": False,
        "loudness": {"integrated": -16.0, "loudness_range": 3.0, "true_peak": -1.5, "max_momentary": -12.0,
                     "max_short_term": -14.0}}, "clips": highlights or []})
    return episode


def episode_context(workspace: Workspace, episode_id: str):
    """An episode's context as a stage gets it (pipeline.context), read from its folder: for tests that run
    one stage on an episode made by add_fake_episode (which has no original to lock and check)."""
    from studio.pipeline import EpisodeContext
    from studio.progress import Reporter
    from studio.workspace.state import load_state

    episode = workspace.episode(episode_id)
    return EpisodeContext(workspace, episode, workspace.show(episode.show), load_state(workspace.episode_dir(episode_id)),
                          ffmpeg=None, reporter=Reporter(quiet=True))


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def processed_workspace(tmp_path_factory, ffmpeg_exe) -> Workspace:
    """A workspace with one show and two episodes really ingested and processed (short tones;
    renditions only, no transcription). Shared by the whole session: copy it before changing anything."""
    from studio.media.ffmpeg import find_ffmpeg
    from studio.pipeline.ingest import IngestRequest, ingest
    from studio.pipeline.session import ProcessOptions, process_episode
    from studio.progress import Reporter

    root = tmp_path_factory.mktemp("processed")
    ws = init_workspace(root / "ws")
    add_show(ws, "kpu", title="Sosialisasi KPU & Bawaslu", author="Diskominfo", email="podcast@example.go.id",
             description="Podcast sosialisasi pemilu untuk pemilih pemula.")
    ffmpeg = find_ffmpeg()
    quiet = Reporter(quiet=True)
    for i, (freq, day, title) in enumerate([(330, "2024-01-10", "DPT & pemilih pindahan"),
                                           (550, "2024-02-01", "TPS <baru> \"KPPS\" 🗳️")]):
        source = root / f"tone{i}.wav"
        subprocess.run([ffmpeg_exe, "-loglevel", "error", "-f", "lavfi", "-i", f"sine=frequency={freq}:duration=3",
                        "-f", "lavfi", "-i", "anoisesrc=d=3:a=0.02", "-filter_complex", "amix=inputs=2",
                        "-ar", "44100", str(source)], check=True)
        result = ingest(ws, ffmpeg, IngestRequest(file=source, show="kpu", title=title, recorded_on=day,
                                                  description=f"Episode {i + 1}: {title}"), quiet)
        process_episode(ws, ffmpeg, result.episode.id, quiet, ProcessOptions(transcribe=False))  # audio only: fast
    return ws


# -- S3 -----------------------------------------------------------------------

@dataclass
class MotoServer:
    endpoint: str
    log: Path
    process: subprocess.Popen

    def requests(self, bucket: str) -> list[tuple[str, str]]:
        """(method, path) of each request for `bucket` the server logged, in order."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if '"' not in line:
                continue
            request = line.split('"')[1].split(" ")
            if len(request) >= 2 and request[1].startswith(f"/{bucket}"):
                found.append((request[0], request[1]))
        return found


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> MotoServer:
    """moto's standalone S3 server as a separate process on 127.0.0.1 (never an in-process mock)."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "requests.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, process)
        yield MotoServer(endpoint=f"http://127.0.0.1:{port}", log=log, process=process)
    finally:
        stop(process)


@dataclass
class S3Bucket:
    endpoint: str
    name: str
    client: object
    server: MotoServer


@pytest.fixture
def s3_bucket(moto_server: MotoServer, monkeypatch, tmp_path) -> S3Bucket:
    """A fresh bucket on the moto server, and AWS settings that can reach nothing else."""
    import boto3

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.session.Session().client("s3", endpoint_url=moto_server.endpoint)
    name = f"test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(endpoint=moto_server.endpoint, name=name, client=client, server=moto_server)
