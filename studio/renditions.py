"""The audio stage: loudness analysis and the podcast and broadcast renditions of an episode.

Both renditions come from one decode of the original (see audio.render); each
is keyed by everything its bytes depend on, so a changed loudness target or
title redoes only the rendition it touches.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from pathlib import Path

from . import audio, bwf, cart
from .config import Show
from .fsutil import atomic_path, read_json, sha256_file, write_json
from .media import FFmpeg
from .progress import Reporter
from .state import ANALYSIS_FILE, BROADCAST_FILE, PODCAST_FILE, EpisodeReport, save_state, stage_key
from .workspace import Episode, Workspace

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


def make_renditions(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, show: Show, state: dict,
                    reporter: Reporter, report: EpisodeReport) -> None:
    folder = workspace.episode_dir(episode.id)
    keys = rendition_keys(workspace, episode, show)
    files = {"podcast": PODCAST_FILE, "broadcast": BROADCAST_FILE}
    pending = [name for name in files
               if state.get(name, {}).get("key") != keys[name] or not (folder / files[name]).is_file()]
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
    save_state(folder, state)


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
