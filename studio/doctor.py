"""`studio doctor`: is everything Studio needs here and working?"""

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


def run_checks(workspace: Workspace) -> list[Check]:
    return [check_ffmpeg(), check_model(workspace), check_fonts(), check_workspace(workspace)]
