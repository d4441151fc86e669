"""Ingest: check a recording, keep it byte for byte, and create its episode.

The whole episode folder is assembled under a hidden temporary name and
renamed into place at the end, so a rejected or interrupted ingest leaves
nothing behind. The loudness analysis made while checking the recording is
kept (analysis.json), so `process` does not decode it again for that; so is, when
the show's sound processing is on, what the treatment's own pass learns (one more
decode, at 16 kHz: .studio/sound-analysis.json).

Replacing an episode (--replace) holds its lock, so no `process` is writing
into it meanwhile, and keeps what a producer made for the old recording (an
edited transcript.vtt, highlights) in .studio/replaced/<time>/ of the new one, and who uploaded the
first recording (workspace.approval: they still may not approve it). The speakers' names and merges
(speakers.json) go on with the new recording: its speakers stage finds them by their voices.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, ProcessingError, ResourceError
from ..fsutil import copy_with_sha256, make_temp_dir, no_space_is_resource_error, sha256_file, write_json
from ..media import loudness as audio
from ..media import processing
from ..media.ffmpeg import FFmpeg, check_complete, probe
from ..progress import Reporter
from ..workspace.approval import keep_uploader
from ..workspace.episode import (
    Episode,
    check_air_window,
    clean_field,
    clean_paragraphs,
    episode_slug,
    parse_date,
    parse_time,
)
from ..workspace.layout import (
    ANALYSIS_FILE,
    EPISODE_FILE,
    REPLACED_DIR,
    SOUND_ANALYSIS_FILE,
    SPEAKERS_FILE,
    TRANSCRIPT_FILES,
)
from ..workspace.state import edit_lock, episode_lock
from ..workspace.transcript import transcript_edited
from ..workspace.tree import Workspace

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
    wait: float | None = None  # seconds to wait for a replaced episode's lock; None: as long as it takes


@dataclass
class IngestResult:
    episode: Episode
    created: bool  # False when the same bytes were already an episode
    backup: Path | None = None  # where a replaced recording's producer edits were kept


class RecordingTooLong(BadInput):
    """Longer than studio.toml's max_duration_hours."""


def _too_long(path: Path, max_hours: float, duration: float | None = None) -> RecordingTooLong:
    length = f"is {duration / 3600:.1f} h long" if duration else f"runs past {max_hours:g} h"
    return RecordingTooLong(f"{path.name}: recording {length}; at most {max_hours:g} h is accepted "
                            f"(max_duration_hours in studio.toml)")


def _sha256_of_input(path: Path) -> str:
    """The input's sha256 ("" when it is no file: check_recording says why); BadInput when it cannot be read."""
    if not path.is_file():
        return ""
    try:
        return sha256_file(path)
    except PermissionError:
        raise BadInput(f"{path}: cannot read it (permission denied)") from None


def check_recording(ffmpeg: FFmpeg, path: Path, reporter: Reporter | None = None,
                    max_hours: float = 6.0) -> audio.Analysis:
    """Reject anything that is not a usable recording; return its loudness analysis.

    A recording longer than `max_hours` is refused from its header when that
    declares a duration, else as soon as decoding passes the maximum.
    """
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise BadInput(f"{path.name}: file is empty")
    info = probe(path)
    max_seconds = max_hours * 3600
    if info.duration > max_seconds:
        raise _too_long(path, max_hours, info.duration)
    check_complete(path, info)
    reporter = reporter or Reporter(quiet=True)
    try:
        with reporter.bar(f"checking {path.name}", info.duration) as progress:
            def watch(seconds: float) -> None:
                if seconds > max_seconds:
                    raise _too_long(path, max_hours)  # stops the decode: the runner kills ffmpeg
                progress(seconds)

            analysis = audio.analyze(ffmpeg, path, watch)
    except (ResourceError, RecordingTooLong):
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
    reporter = reporter or Reporter(quiet=True)
    show = workspace.show(request.show)
    max_hours = workspace.settings.max_duration_hours
    if max_hours <= 0:
        raise BadInput(f"{workspace.settings_path}: max_duration_hours must be above 0")
    recorded_on = parse_date(request.recorded_on, "--recorded-on") if request.recorded_on else dt.date.today().isoformat()
    zone = show.zone  # an air window without an offset is the show's clock; a date alone as its end, that day's end
    air_from = parse_time(request.air_from, "--air-from", zone) if request.air_from else ""
    air_until = parse_time(request.air_until, "--air-until", zone, end_of_day=True) if request.air_until else ""
    check_air_window(air_from, air_until)
    source = Path(request.file)
    sha256 = _sha256_of_input(source)
    if sha256 and (existing := workspace.index.find_by_sha256(sha256)):
        return IngestResult(existing, created=False)
    analysis = check_recording(ffmpeg, source, reporter, max_hours)

    title = clean_field(request.title) or clean_field(re.sub(r"[-_]+", " ", source.stem)) or "Episode"
    slug = episode_slug(recorded_on, request.title, source.name)
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
        description=clean_paragraphs(request.description),
        recorded_on=recorded_on,
        source=clean_field(request.source),
        source_name=clean_field(source.name),
        air_from=air_from,
        air_until=air_until,
    )
    with no_space_is_resource_error(final_dir.parent):
        final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = make_temp_dir(final_dir)
    backup = None
    try:
        if copy_with_sha256(source, staging / episode.original) != sha256:
            raise ProcessingError(f"{source.name} changed while it was being ingested; try again")
        write_json(staging / ANALYSIS_FILE, {"sha256": sha256, **analysis.to_dict()})
        if show.processing.any:  # what the sound treatment needs, learnt now so that `process` has less to do
            with reporter.bar(f"analysing the sound of {source.name}", analysis.duration) as progress:
                sound = processing.analyze_sound(ffmpeg, source, progress)
            write_json(staging / SOUND_ANALYSIS_FILE, {"sha256": sha256, **sound.to_dict()})
        workspace.save_episode_to(staging, episode)
        if final_dir.exists():
            # the edit lock too: a transcript save in flight lands before the swap, and is kept in the backup
            with episode_lock(final_dir, request.wait, reporter.info), edit_lock(final_dir):
                with no_space_is_resource_error(final_dir.parent):
                    backup = _keep_producer_edits(final_dir, staging)
                    keep_uploader(final_dir, staging)  # four eyes: the uploader cannot approve the replacement
                    if (final_dir / SPEAKERS_FILE).is_file():  # the names follow the voices (pipeline.speakers)
                        shutil.copy2(final_dir / SPEAKERS_FILE, staging / SPEAKERS_FILE)
                _replace_folder(staging, final_dir)
        else:
            staging.rename(final_dir)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    workspace.index.refresh_episode(episode.id)
    return IngestResult(episode, created=True, backup=final_dir / backup.relative_to(staging) if backup else None)


def _keep_producer_edits(old_dir: Path, staging: Path) -> Path | None:
    """Copy the old recording's edited transcript.vtt and episode.toml (with highlights) into the new
    folder's .studio/replaced/<time>/, with the backups of earlier replacements; the new folder's path
    of this backup, or None when there was nothing of the producer's to keep."""
    old_backups = old_dir / REPLACED_DIR
    if old_backups.is_dir():
        shutil.copytree(old_backups, staging / REPLACED_DIR)
    vtt = old_dir / TRANSCRIPT_FILES["vtt"]
    keep = [vtt] if vtt.is_file() and transcript_edited(old_dir) else []
    if _has_highlights(old_dir):
        keep.append(old_dir / EPISODE_FILE)
    if not keep:
        return None
    stamp = dt.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
    backup = staging / REPLACED_DIR / stamp
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = staging / REPLACED_DIR / f"{stamp}-{suffix}"
    backup.mkdir(parents=True)
    for path in keep:
        shutil.copy2(path, backup / path.name)
    return backup


def _has_highlights(folder: Path) -> bool:
    """Whether the folder's episode.toml lists highlights (or cannot be read, so might)."""
    try:
        with open(folder / EPISODE_FILE, "rb") as f:
            return bool(tomllib.load(f).get("highlights"))
    except FileNotFoundError:
        return False
    except (OSError, tomllib.TOMLDecodeError):
        return True


def _replace_folder(staging: Path, final_dir: Path) -> None:
    trash = final_dir.with_name(f".{final_dir.name}.replaced.tmp")
    shutil.rmtree(trash, ignore_errors=True)
    final_dir.rename(trash)
    staging.rename(final_dir)
    shutil.rmtree(trash, ignore_errors=True)
