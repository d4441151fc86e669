"""`studio doctor`: is everything Studio needs here and working? (With broker_url: is Redis there, keeping
queued jobs across a restart?)"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from .errors import StudioError
from .media.ffmpeg import capture_ffmpeg, find_ffmpeg
from .workspace.tree import Workspace

REQUIRED_ENCODERS = ("libmp3lame", "pcm_s24le", "aac", "libx264")
REQUIRED_FILTERS = ("ebur128", "alimiter", "showwaves", "subtitles")
DOCTOR_TIMEOUT_S = 30.0  # a listing takes milliseconds; a hung ffmpeg must not hang the doctor


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_ffmpeg() -> Check:
    try:
        ffmpeg = find_ffmpeg(stall_timeout=DOCTOR_TIMEOUT_S)
    except StudioError as exc:
        return Check("ffmpeg", False, str(exc))
    try:
        listing = "".join(capture_ffmpeg(ffmpeg, [what]).decode("utf-8", "replace") for what in ("-encoders", "-filters"))
    except StudioError as exc:
        return Check("ffmpeg", False, f"{ffmpeg.path}: {exc}")
    missing = [name for name in REQUIRED_ENCODERS + REQUIRED_FILTERS if f" {name} " not in listing]
    detail = f"{ffmpeg.version()} ({ffmpeg.origin}: {ffmpeg.path})"
    if missing:
        return Check("ffmpeg", False, f"{detail} lacks {', '.join(missing)}")
    return Check("ffmpeg", True, detail)


def check_workspace(workspace: Workspace) -> Check:
    if not workspace.root.is_dir():
        return Check("workspace", False, f"{workspace.root} does not exist (create it with `studio init`)")
    try:
        with tempfile.NamedTemporaryFile(dir=workspace.root, prefix=".doctor.", suffix=".tmp"):
            pass
    except OSError as exc:
        return Check("workspace", False, f"{workspace.root} is not writable: {exc.strerror}")
    stat = os.statvfs(workspace.root)
    free_gb = stat.f_bavail * stat.f_frsize / 1e9
    shows, episodes = len(workspace.shows()), len(workspace.index.rows())
    return Check("workspace", free_gb > 1, f"{workspace.root}: {shows} shows, {episodes} episodes, {free_gb:.1f} GB free")


def check_model(workspace: Workspace) -> Check:
    """Load the workspace's Whisper model (joining the bundled one into the cache on first use)."""
    from . import transcribe

    settings = workspace.settings
    name = settings.model or transcribe.DEFAULT_MODEL
    try:
        transcribe.load_model(name, settings.device or "auto", settings.compute_type or None)
    except Exception as exc:  # any failure to load is what doctor reports
        return Check("model", False, str(exc).splitlines()[0])
    where = transcribe.default_cache_dir() / "whisper-base" if name == transcribe.DEFAULT_MODEL else name
    return Check("model", True, f"Whisper {name!r} loads ({where})")


def check_fonts() -> Check:
    from .data import BOLD_FONT

    if not BOLD_FONT.is_file():
        return Check("fonts", False, f"{BOLD_FONT} is missing (reinstall Studio)")
    return Check("fonts", True, f"{BOLD_FONT.name} bundled in {BOLD_FONT.parent}")


def check_broker(broker_url: str) -> Check:
    """The broker answers and runs with append-only persistence: a Redis restarted without it has lost every
    queued job (docs/operator.md, "Under faults: workers and Redis")."""
    import redis

    from .jobs.celery.queue import broker_name

    where = broker_name(broker_url)
    client = redis.Redis.from_url(broker_url, socket_timeout=DOCTOR_TIMEOUT_S, socket_connect_timeout=5,
                                  decode_responses=True)
    try:
        appendonly = client.config_get("appendonly").get("appendonly", "")
        version = client.info("server").get("redis_version", "")
    except redis.ResponseError:  # CONFIG refused (a managed Redis)
        return Check("broker", False, f"Redis at {where} does not say whether it keeps queued jobs across a restart "
                                      "(CONFIG GET refused): make sure it runs with appendonly yes")
    except (redis.ConnectionError, redis.TimeoutError):
        return Check("broker", False, f"Redis at {where} does not answer: start it, or check broker_url in studio.toml")
    finally:
        client.close()
    if appendonly != "yes":
        return Check("broker", False, f"Redis at {where} runs without append-only persistence (appendonly "
                                      f"{appendonly or 'unknown'}): a restart loses every queued job; set "
                                      "appendonly yes in redis.conf")
    return Check("broker", True, f"Redis {version} at {where}, appendonly yes")


def run_checks(workspace: Workspace) -> list[Check]:
    checks = [check_ffmpeg(), check_model(workspace), check_fonts(), check_workspace(workspace)]
    if workspace.settings.broker_url:
        checks.append(check_broker(workspace.settings.broker_url))
    return checks
