"""Ingest: check a recording, keep it byte for byte, and create its episode.

The whole episode folder is assembled under a hidden temporary name and
renamed into place at the end, so a rejected or interrupted ingest leaves
nothing behind. The loudness analysis made while checking the recording is
kept (analysis.json), so `process` does not decode it again for that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import audio
from .errors import BadInput, ProcessingError, ResourceError
from .fsutil import copy_with_sha256, make_temp_dir, sha256_file, write_json
from .media import FFmpeg, check_complete, probe
from .progress import Reporter
from .state import ANALYSIS_FILE
from .workspace import Episode, Workspace

MIN_DURATION_S = 1.0
SILENT_BELOW_LUFS = -69.0  # the BS.1770 absolute gate is -70 LUFS: nothing above it means silence


@dataclass
class IngestRequest:
    file: Path
    show: str
    title: str = ""
    description: str = ""
    recorded_on: str = ""
    source: str = ""
    air_from: str = ""
    air_until: str = ""
    replace: bool = False


@dataclass
class IngestResult:
    episode: Episode
    created: bool  # False when the same bytes were already an episode


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug[:48].rstrip("-") or "episode"


def parse_date(value: str, option: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadInput(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_time(value: str, option: str) -> str:
    """An ISO date or date-time; a missing zone means local time (written with its offset)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option}: {value!r} is not an ISO date or date-time (e.g. 2026-12-01T06:00+08:00)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


def check_air_window(air_from: str, air_until: str) -> None:
    if air_from and air_until and dt.datetime.fromisoformat(air_until) <= dt.datetime.fromisoformat(air_from):
        raise BadInput(f"--air-until ({air_until}) must be after --air-from ({air_from})")


def check_recording(ffmpeg: FFmpeg, path: Path, reporter: Reporter | None = None) -> audio.Analysis:
    """Reject anything that is not a usable recording; return its loudness analysis."""
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise BadInput(f"{path.name}: file is empty")
    info = probe(path)
    check_complete(path, info)
    reporter = reporter or Reporter(quiet=True)
    try:
        with reporter.bar(f"checking {path.name}", info.duration) as progress:
            analysis = audio.analyze(ffmpeg, path, progress)
    except ResourceError:
        raise
    except (ProcessingError, BadInput) as exc:
        raise BadInput(f"{path.name}: corrupt or unreadable audio ({exc})") from None
    declared = info.duration
    if declared > 0 and analysis.duration < declared - max(0.5, 0.02 * declared):
        raise BadInput(f"{path.name}: truncated or corrupt: {declared:.1f} s declared but only "
                       f"{analysis.duration:.1f} s decodes")
    if analysis.duration < MIN_DURATION_S:
        raise BadInput(f"{path.name}: recording is {analysis.duration:.2f} s long; at least {MIN_DURATION_S:g} s needed")
    if analysis.loudness.integrated <= SILENT_BELOW_LUFS:
        raise BadInput(f"{path.name}: recording is silent")
    return analysis


def ingest(workspace: Workspace, ffmpeg: FFmpeg, request: IngestRequest, reporter: Reporter | None = None) -> IngestResult:
    show = workspace.show(request.show)
    recorded_on = parse_date(request.recorded_on, "--recorded-on") if request.recorded_on else dt.date.today().isoformat()
    air_from = parse_time(request.air_from, "--air-from") if request.air_from else ""
    air_until = parse_time(request.air_until, "--air-until") if request.air_until else ""
    check_air_window(air_from, air_until)
    source = Path(request.file)
    sha256 = sha256_file(source) if source.is_file() else ""
    if sha256 and (existing := workspace.find_by_sha256(sha256)):
        return IngestResult(existing, created=False)
    analysis = check_recording(ffmpeg, source, reporter)

    title = request.title.strip() or re.sub(r"[-_]+", " ", source.stem).strip() or "Episode"
    slug = f"{recorded_on}-{slugify(request.title or source.stem)}"
    final_dir = workspace.episode_dir(f"{show.slug}/{slug}")
    if final_dir.exists() and not request.replace:
        raise BadInput(f"episode {show.slug}/{slug} already exists (use --replace to overwrite it, or another --title)")

    suffix = source.suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", source.suffix) else ""
    episode = Episode(
        show=show.slug,
        slug=slug,
        title=title,
        original=f"original{suffix}",
        sha256=sha256,
        size=source.stat().st_size,
        duration=round(analysis.duration, 3),
        ingested_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        description=request.description,
        recorded_on=recorded_on,
        source=request.source,
        source_name=source.name,
        air_from=air_from,
        air_until=air_until,
    )
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = make_temp_dir(final_dir)
    try:
        if copy_with_sha256(source, staging / episode.original) != sha256:
            raise ProcessingError(f"{source.name} changed while it was being ingested; try again")
        write_json(staging / ANALYSIS_FILE, {"sha256": sha256, **analysis.to_dict()})
        workspace.save_episode_to(staging, episode)
        _move_into_place(staging, final_dir)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    return IngestResult(episode, created=True)


def _move_into_place(staging: Path, final_dir: Path) -> None:
    if not final_dir.exists():
        staging.rename(final_dir)
        return
    trash = final_dir.with_name(f".{final_dir.name}.replaced.tmp")
    shutil.rmtree(trash, ignore_errors=True)
    final_dir.rename(trash)
    staging.rename(final_dir)
    shutil.rmtree(trash, ignore_errors=True)
