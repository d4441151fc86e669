"""The audio stage: loudness analysis and the podcast and broadcast renditions of an episode.

Both renditions come from one decode of the original (see audio.render); each
is keyed by everything its bytes depend on, so a changed loudness target or
title redoes only the rendition it touches.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from ..errors import BadInput, ProcessingError, ResourceError
from ..fsutil import atomic_path, read_json, sha256_file, write_json
from ..media import bwf, cart
from ..media import loudness as audio
from ..media.ffmpeg import FFmpeg, find_ffmpeg
from ..progress import Reporter
from ..workspace.config import Show
from ..workspace.state import (
    ANALYSIS_FILE,
    BROADCAST_FILE,
    PODCAST_FILE,
    EpisodeReport,
    save_state,
    stage_key,
)
from ..workspace.tree import Episode, Workspace

ORIGINATOR = "Studio"
# LAME at 128 kbit/s CBR lowers integrated loudness by about 0.4 LU (measured on tones,
# noise and speech); the podcast branch adds it back before encoding.
MP3_LOSS_DB = 0.4


def cover_for(workspace: Workspace, show: Show) -> Path | None:
    path = workspace.feeds_dir / show.artwork if show.artwork else None
    return path if path and path.is_file() else None


def rendition_keys(workspace: Workspace, episode: Episode, show: Show) -> dict[str, str]:
    """The cache key of each audio rendition: everything its bytes depend on."""
    cover = cover_for(workspace, show)
    common = {"version": audio.RENDER_VERSION, "sha256": episode.sha256, "ceiling": show.loudness.true_peak_dbtp}
    return {
        "podcast": stage_key({**common, "target": show.loudness.podcast_lufs, "tags": podcast_tags(episode, show),
                         "cover": sha256_file(cover) if cover else None}),
        "broadcast": stage_key({**common, "target": show.loudness.broadcast_lufs, "title": episode.title,
                           "show": show.title, "description": episode.description,
                           # without the version, an upgrade of Studio does not re-render every file
                           "cart": {k: v for k, v in asdict(cart.cart_for_episode(episode, show)).items()
                                    if k != "producer_app_version"}}),
    }


def podcast_tags(episode: Episode, show: Show) -> dict[str, str]:
    return {
        "title": episode.title,
        "artist": show.author or show.title,
        "album_artist": show.author or show.title,
        "album": show.title,
        "date": episode.recorded_on[:4],
        "genre": "Podcast",
        "comment": episode.description,
        "language": show.language,
    }


def _metadata_args(tags: dict[str, str]) -> list[str]:
    args = ["-map_metadata", "-1"]
    for name, value in tags.items():
        if value:
            args += ["-metadata", f"{name}={value}"]
    return args


def load_analysis(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, reporter: Reporter,
                  report: EpisodeReport) -> audio.Analysis:
    folder = workspace.episode_dir(episode.id)
    cached = read_json(folder / ANALYSIS_FILE, default={})
    if cached.get("sha256") == episode.sha256 and cached.get("version") == audio.ANALYSIS_VERSION:
        return audio.Analysis.from_dict({k: v for k, v in cached.items() if k != "sha256"})
    with reporter.bar(f"{episode.id}: measuring loudness", episode.duration) as progress:
        analysis = audio.analyze(ffmpeg, folder / episode.original, progress)
    report.decodes += 1
    write_json(folder / ANALYSIS_FILE, {"sha256": episode.sha256, **analysis.to_dict()})
    return analysis


RENDITION_FILES = {"podcast": PODCAST_FILE, "broadcast": BROADCAST_FILE}


def pending_renditions(workspace: Workspace, episode: Episode, show: Show, state: dict) -> list[str]:
    """The renditions whose file is missing or whose key changed."""
    folder = workspace.episode_dir(episode.id)
    keys = rendition_keys(workspace, episode, show)
    return [name for name, file in RENDITION_FILES.items()
            if state.get(name, {}).get("key") != keys[name] or not (folder / file).is_file()]


def make_renditions(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, show: Show, state: dict,
                    reporter: Reporter, report: EpisodeReport, save: bool = True) -> None:
    """Write the podcast and broadcast renditions that are not up to date and record them in `state`
    (saved unless `save` is False)."""
    folder = workspace.episode_dir(episode.id)
    keys = rendition_keys(workspace, episode, show)
    files = RENDITION_FILES
    pending = pending_renditions(workspace, episode, show, state)
    report.skipped += [name for name in files if name not in pending]
    if not pending:
        return
    analysis = load_analysis(workspace, ffmpeg, episode, reporter, report)
    with contextlib.ExitStack() as stack:
        renditions = []
        for name in pending:
            temp = stack.enter_context(atomic_path(folder / files[name]))
            renditions.append(_rendition(workspace, episode, show, analysis, name, temp))
        label = f"{episode.id}: rendering {' + '.join(pending)}"
        with reporter.bar(label, analysis.duration) as progress:
            report.decodes += audio.render(ffmpeg, folder / episode.original, analysis, renditions, progress)
        for rendition in renditions:
            if rendition.name == "broadcast":
                bwf.write_bext(rendition.output, _bext(episode, show, rendition.measured))
                cart.write_cart(rendition.output, cart.cart_for_episode(episode, show))
    for rendition in renditions:
        state[rendition.name] = {
            "key": keys[rendition.name],
            "file": files[rendition.name],
            "target_lufs": rendition.target_lufs,
            "gain_db": round(rendition.gain_db, 2),
            "limited": rendition.limited,
            "loudness": asdict(rendition.measured),
        }
        report.done.append(rendition.name)
    if save:
        save_state(folder, state)


_ERRORS = {cls.__name__: cls for cls in (BadInput, ProcessingError, ResourceError)}


@contextlib.contextmanager
def renditions_beside(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, show: Show, state: dict,
                      reporter: Reporter, report: EpisodeReport) -> Iterator[None]:
    """Make the renditions in a child process while the body runs (the transcription), then record them.

    A process, not a thread: an ffmpeg forked from a second thread while the model's feature extraction
    runs in OpenBLAS deadlocked in OpenBLAS's fork handler. The child is started here, from the caller's
    thread before the model works, by a fork that runs no Python (no pre-exec hook), and it sets its own
    parent-death signal. Measured on 2 cores (10-minute session): renditions 13.2 s and transcription
    61.5 s one after the other, 66.4 s side by side. The renditions are recorded whether or not the body
    fails; their own failure is raised after the body.
    """
    pending = pending_renditions(workspace, episode, show, state)
    if not pending:
        report.skipped += list(RENDITION_FILES)
        yield
        return
    label = f"{episode.id}: rendering {' + '.join(pending)} beside the transcription"
    reporter.info(f"{label}: started")
    request = {"workspace": str(workspace.root), "episode": episode.id, "stall_timeout": ffmpeg.stall_timeout,
               "state": {name: state.get(name) for name in RENDITION_FILES}, "parent": os.getpid()}
    root = str(Path(__file__).resolve().parents[2])  # where this studio package is, for the child
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
           "STUDIO_FFMPEG": ffmpeg.path}
    child = subprocess.Popen([sys.executable, "-c", "from studio.pipeline.renditions import child_main; child_main()",
                              json.dumps(request)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    try:
        yield
    finally:
        out, err = child.communicate()
        result = _record_child(workspace.episode_dir(episode.id), out, err, child.returncode, state, report)
    if isinstance(result, Exception):
        raise result
    reporter.info(f"{label}: done in {result:.1f} s")


def _record_child(folder: Path, out: bytes, err: bytes, returncode: int, state: dict,
                  report: EpisodeReport) -> float | Exception:
    """Merge what the renditions child made into `state` and `report`: the seconds it took, or its failure."""
    try:
        result = json.loads(out.decode("utf-8"))
    except ValueError:
        lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        return ProcessingError(f"the renditions process failed (exit {returncode}): "
                               f"{lines[-1].strip() if lines else 'no message'}")
    if "error" in result:
        return _ERRORS.get(result["kind"], ProcessingError)(result["error"])
    state.update(result["state"])
    report.done[:0] = result["done"]
    report.skipped += result["skipped"]
    report.decodes += result["decodes"]
    save_state(folder, state)
    return result["seconds"]


def child_main() -> None:
    """The renditions child of renditions_beside: the request in argv[1], the result as JSON on stdout."""
    request = json.loads(sys.argv[1])
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with the parent, as ffmpeg children do
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != request["parent"]:
        sys.exit(1)
    workspace = Workspace(Path(request["workspace"]))
    episode = workspace.episode(request["episode"])
    state = {name: entry for name, entry in request["state"].items() if entry is not None}
    report = EpisodeReport(id=episode.id)
    started = time.monotonic()
    try:
        ffmpeg = find_ffmpeg(request["stall_timeout"])
        make_renditions(workspace, ffmpeg, episode, workspace.show(episode.show), state, Reporter(quiet=True),
                        report, save=False)
    except (BadInput, ProcessingError) as exc:
        print(json.dumps({"error": str(exc), "kind": type(exc).__name__}))
        return
    print(json.dumps({"state": {name: state[name] for name in RENDITION_FILES if name in state},
                      "done": report.done, "skipped": report.skipped, "decodes": report.decodes,
                      "seconds": time.monotonic() - started}))


def _rendition(workspace: Workspace, episode: Episode, show: Show, analysis: audio.Analysis, name: str,
               output: Path) -> audio.Rendition:
    targets = show.loudness
    if name == "podcast":
        return audio.Rendition(
            name="podcast", output=output, target_lufs=targets.podcast_lufs, ceiling_dbtp=targets.true_peak_dbtp,
            cover=cover_for(workspace, show), sample_rate=44100, lossy=True,
            margin_db=1.0, encoder_loss_db=MP3_LOSS_DB,
            encode_args=["-c:a", "libmp3lame", "-b:a", "128k", "-ac", "2", "-id3v2_version", "3",
                         "-write_xing", "1", *_metadata_args(podcast_tags(episode, show))],
        )
    return audio.Rendition(
        name="broadcast", output=output, target_lufs=targets.broadcast_lufs, ceiling_dbtp=targets.true_peak_dbtp,
        trim=(analysis.programme_start, analysis.programme_end),
        encode_args=["-c:a", "pcm_s24le", "-ar", "48000", "-rf64", "auto", "-write_bext", "1",
                     *_metadata_args({"title": episode.title, "artist": show.title})],
    )


def _bext(episode: Episode, show: Show, measured: audio.Loudness) -> bwf.Bext:
    ingested = episode.ingested_at
    return bwf.Bext(
        description=f"{show.title}: {episode.title}",
        originator=show.author or ORIGINATOR,
        originator_reference=episode.sha256[:32],
        origination_date=episode.recorded_on or ingested[:10],
        origination_time=ingested[11:19] or "00:00:00",
        loudness_value=measured.integrated,
        loudness_range=measured.loudness_range,
        max_true_peak=measured.true_peak,
        max_momentary=measured.max_momentary,
        max_short_term=measured.max_short_term,
    )
