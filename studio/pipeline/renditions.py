"""The renditions stage: the podcast and broadcast files of an episode, from one decode of the original.

Both renditions come from one decode of the original (media.loudness.render); each is keyed by
everything its bytes depend on (workspace.state.rendition_keys), so a changed loudness target or title
redoes only the rendition it touches.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from ..errors import BadInput, ProcessingError, ResourceError
from ..fsutil import atomic_path, read_json, write_json
from ..media import bwf, cart, processing
from ..media import loudness as audio
from ..media.ffmpeg import find_ffmpeg
from ..progress import Reporter
from ..workspace import Workspace
from ..workspace.episode import cart_for_episode, podcast_tags
from ..workspace.state import RENDITION_FILES, pending_renditions, rendition_keys, sound_key
from .context import EpisodeContext, EpisodeReport
from .options import ProcessOptions

ORIGINATOR = "Studio"
# LAME at 128 kbit/s CBR lowers integrated loudness by about 0.4 LU (measured on tones,
# noise and speech); the podcast branch adds it back before encoding.
MP3_LOSS_DB = 0.4


def keys(ctx: EpisodeContext) -> dict[str, str]:
    return rendition_keys(ctx.episode, ctx.show, ctx.artwork_sha256)


def pending(ctx: EpisodeContext) -> list[str]:
    """The renditions whose file is missing or whose key changed."""
    return pending_renditions(ctx.folder, ctx.state, keys(ctx))


def load_analysis(ctx: EpisodeContext) -> audio.Analysis:
    """The original's loudness analysis: the one ingest made, else measured now."""
    return _cached_pass(ctx, ctx.files.analysis, audio.ANALYSIS_VERSION, audio.Analysis.from_dict,
                        "measuring loudness", audio.analyze)


def load_sound(ctx: EpisodeContext) -> processing.SoundAnalysis:
    """What the sound treatment's pass learned about the original: cached, else learned now (one decode)."""
    return _cached_pass(ctx, ctx.files.sound_analysis, processing.ANALYSIS_VERSION, processing.SoundAnalysis.from_dict,
                        "analysing the sound (speech, noise, hum)", processing.analyze_sound)


def _cached_pass(ctx: EpisodeContext, path: Path, version: int, from_dict, label: str, measure):
    """A pass over the original kept in `path`, keyed by the original's sha256 and the pass's `version`: read
    when it is current, else made now (one decode, with a progress bar) and kept."""
    episode = ctx.episode
    cached = read_json(path, default={})
    if cached.get("sha256") == episode.sha256 and cached.get("version") == version:
        return from_dict({k: v for k, v in cached.items() if k != "sha256"})
    with ctx.reporter.bar(f"{episode.id}: {label}", episode.duration) as progress:
        result = measure(ctx.ffmpeg, ctx.original, progress)
    ctx.report.decodes += 1
    write_json(path, {"sha256": episode.sha256, **result.to_dict()})
    return result


def make_renditions(ctx: EpisodeContext, save: bool = True) -> None:
    """Write the podcast and broadcast renditions that are not up to date and record them in the state
    (saved unless `save` is False); with the show's sound processing on, both are treated and the figures
    of the treatment written to sound.json."""
    episode, show, report = ctx.episode, ctx.show, ctx.report
    current = keys(ctx)
    todo = pending_renditions(ctx.folder, ctx.state, current)
    report.skipped += [name for name in RENDITION_FILES if name not in todo]
    treated_key = sound_key(episode, show)
    if treated_key is None:
        ctx.files.sound.unlink(missing_ok=True)  # no figures of a treatment the renditions no longer have
    if not todo:
        return
    analysis = load_analysis(ctx)
    figures = None
    with contextlib.ExitStack() as stack:
        treatment, plan, sound, gain_analysis = None, None, None, analysis
        if treated_key is not None:
            sound = load_sound(ctx)
            plan = processing.plan(sound, show.processing)
            treatment = processing.treatment(sound, plan, Path(stack.enter_context(tempfile.TemporaryDirectory())))
            gain_analysis = processing.processed_analysis(analysis, sound, plan)
        renditions = []
        for name in todo:
            temp = stack.enter_context(atomic_path(ctx.folder / RENDITION_FILES[name]))
            renditions.append(_rendition(ctx, analysis, name, temp))
        with ctx.reporter.bar(f"{episode.id}: rendering {' + '.join(todo)}", analysis.duration) as progress:
            report.decodes += audio.render(ctx.ffmpeg, ctx.original, gain_analysis, renditions, progress, treatment)
        for rendition in renditions:
            if rendition.name == "broadcast":
                if sound is not None:  # measured on the file delivered, before its chunks are added
                    figures = processing.figures_of(ctx.ffmpeg, sound, plan, rendition.output, rendition.trim[0],
                                                    rendition.gain_db)
                bwf.write_bext(rendition.output, _bext(ctx, rendition.measured))
                cart.write_cart(rendition.output, cart_for_episode(episode, show))
    if figures is not None:  # once the broadcast file they were measured on is in place
        write_json(ctx.files.sound, {"key": treated_key, "figures": figures.to_dict()})
    for rendition in renditions:
        ctx.state[rendition.name] = {
            "key": current[rendition.name],
            "file": RENDITION_FILES[rendition.name],
            "target_lufs": rendition.target_lufs,
            "gain_db": round(rendition.gain_db, 2),
            "limited": rendition.limited,
            "loudness": asdict(rendition.measured),
        }
        report.done.append(rendition.name)
    if save:
        ctx.save()


_ERRORS = {cls.__name__: cls for cls in (BadInput, ProcessingError, ResourceError)}


@contextlib.contextmanager
def renditions_beside(ctx: EpisodeContext) -> Iterator[None]:
    """Make the renditions in a child process while the body runs (the transcription), then record them.

    A process, not a thread: an ffmpeg forked from a second thread while the model's feature extraction
    runs in OpenBLAS deadlocked in OpenBLAS's fork handler. The child is started here, from the caller's
    thread before the model works, by a fork that runs no Python (no pre-exec hook), and it sets its own
    parent-death signal. Measured on 2 cores (10-minute session): renditions 13.2 s and transcription
    61.5 s one after the other, 66.4 s side by side. The renditions are recorded whether or not the body
    fails; their own failure is raised after the body.
    """
    todo = pending(ctx)
    if not todo:
        ctx.report.skipped += list(RENDITION_FILES)
        yield
        return
    treated = " with sound processing" if ctx.show.processing.any else ""
    label = f"{ctx.episode.id}: rendering {' + '.join(todo)}{treated} beside the transcription"
    ctx.reporter.info(f"{label}: started")
    request = {"workspace": str(ctx.workspace.root), "episode": ctx.episode.id,
               "stall_timeout": ctx.ffmpeg.stall_timeout, "time_factor": ctx.ffmpeg.time_factor,
               "state": {name: ctx.state.get(name) for name in RENDITION_FILES}, "parent": os.getpid()}
    root = str(Path(__file__).resolve().parents[2])  # where this studio package is, for the child
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
           "STUDIO_FFMPEG": ctx.ffmpeg.path}
    child = subprocess.Popen([sys.executable, "-c", f"from {__name__} import child_main; child_main()",
                              json.dumps(request)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    try:
        yield
    finally:
        out, err = child.communicate()
        result = _record_child(ctx, out, err, child.returncode)
    if isinstance(result, Exception):
        raise result
    ctx.reporter.info(f"{label}: done in {result:.1f} s")


def _record_child(ctx: EpisodeContext, out: bytes, err: bytes, returncode: int) -> float | Exception:
    """Merge what the renditions child made into the context: the seconds it took, or its failure."""
    try:
        result = json.loads(out.decode("utf-8"))
    except ValueError:
        lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        return ProcessingError(f"the renditions process failed (exit {returncode}): "
                               f"{lines[-1].strip() if lines else 'no message'}")
    if "error" in result:
        return _ERRORS.get(result["kind"], ProcessingError)(result["error"])
    ctx.state.update(result["state"])
    ctx.report.done[:0] = result["done"]
    ctx.report.skipped += result["skipped"]
    ctx.report.decodes += result["decodes"]
    ctx.save()
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
    started = time.monotonic()
    try:
        ctx = EpisodeContext(workspace, episode, workspace.show(episode.show), state,
                             find_ffmpeg(request["stall_timeout"], request["time_factor"]), Reporter(quiet=True), ProcessOptions())
        make_renditions(ctx, save=False)
    except (BadInput, ProcessingError) as exc:
        print(json.dumps({"error": str(exc), "kind": type(exc).__name__}))
        return
    report: EpisodeReport = ctx.report
    print(json.dumps({"state": {name: state[name] for name in RENDITION_FILES if name in state},
                      "done": report.done, "skipped": report.skipped, "decodes": report.decodes,
                      "seconds": time.monotonic() - started}))


def _metadata_args(tags: dict[str, str]) -> list[str]:
    args = ["-map_metadata", "-1"]
    for name, value in tags.items():
        if value:
            args += ["-metadata", f"{name}={value}"]
    return args


def _rendition(ctx: EpisodeContext, analysis: audio.Analysis, name: str, output: Path) -> audio.Rendition:
    episode, show, targets = ctx.episode, ctx.show, ctx.show.loudness
    if name == "podcast":
        return audio.Rendition(
            name="podcast", output=output, target_lufs=targets.podcast_lufs, ceiling_dbtp=targets.true_peak_dbtp,
            cover=ctx.artwork, sample_rate=44100, lossy=True,
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


def _bext(ctx: EpisodeContext, measured: audio.Loudness) -> bwf.Bext:
    episode, show = ctx.episode, ctx.show
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
