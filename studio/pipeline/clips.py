"""The clips stage: each highlight rendered as captioned MP4s in its formats, with a poster frame (a JPEG
from each MP4); a clip whose inputs are unchanged is kept, a stale one removed.

The highlights are up to three picked from the transcript (`"automatic": true`) until a producer changes
the list: adding a clip, renaming, removing or keeping one from publishing (`"publish": false`) writes the
whole list into episode.toml (`highlights_from = "producer"`), the automatic picks kept in it, so every
later run makes the same clips."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from .. import clips
from ..errors import BadInput
from ..fsutil import atomic_path
from ..media.ffmpeg import FFmpeg
from ..progress import Reporter
from ..text import highlights
from ..workspace import Episode, Show, Workspace
from ..workspace.layout import CLIPS_DIR
from ..workspace.state import stage_key
from ..workspace.transcript import read_cues
from .context import EpisodeContext, open_episode
from .options import CLIP_FORMATS, ProcessOptions

FALLBACK_CLIP_S = 45.0
POSTER_AT_S = 3.0  # the poster frame: the title, the first caption and the waveform are on screen


def choose_highlights(episode: Episode, show: Show, cues: list[highlights.Cue]) -> list[dict]:
    """The producer's highlights (episode.toml), else up to three picked from the transcript's `cues`."""
    if episode.highlights or episode.highlights_from == "producer":
        return [dict(h) for h in episode.highlights]
    if not cues:
        return []
    music_intro_end = cues[0][0]  # Whisper writes nothing for a music intro
    picked = highlights.pick_highlights(cues, show.glossary, episode.duration, music_intro_end)
    if not picked and cues[-1][1] - cues[0][0] >= highlights.AUTO_MIN_S:
        # No run of whole sentences fits 20-60 s: take the first stretch of speech instead.
        start = cues[0][0]
        end = min(cues[-1][1], start + FALLBACK_CLIP_S)
        picked = [highlights.Highlight(start, end, highlights.title_from([c[2] for c in cues[:3]]))]
    return [{"start": round(h.start, 3), "end": round(h.end, 3), "title": h.title, "automatic": True}
            for h in picked]


def highlight_cues(ctx: EpisodeContext) -> list[highlights.Cue]:
    return [(c.start, c.end, c.text) for c in ctx.cues()]


def caption_cues(ctx: EpisodeContext) -> list[highlights.Cue]:
    """The cues a clip shows: with the show's clip_speakers on, "Ani: " before the text where the speaker
    changes (and at a clip's first cue: make_clips)."""
    if not ctx.show.clip_speakers:
        return highlight_cues(ctx)
    out, last = [], None
    for cue in ctx.cues():
        text = f"{cue.speaker}: {cue.text}" if cue.speaker and cue.speaker != last else cue.text
        out.append((cue.start, cue.end, text))
        last = cue.speaker
    return out


def _first_named(ctx: EpisodeContext, cues: list[highlights.Cue]) -> list[highlights.Cue]:
    """A clip's cues, its first one saying who speaks (the clip may start in the middle of a turn)."""
    if not cues or not ctx.show.clip_speakers:
        return cues
    speaker = next((c.speaker for c in ctx.cues() if c.start == cues[0][0] and c.end == cues[0][1]), None)
    first = cues[0]
    if speaker and not first[2].startswith(f"{speaker}: "):
        cues = [(first[0], first[1], f"{speaker}: {first[2]}"), *cues[1:]]
    return cues


def current_highlights(workspace: Workspace, episode: Episode, show: Show) -> list[dict]:
    """The highlights the clips are made from, as `process` would choose them now."""
    folder = workspace.episode_dir(episode.id)
    cues = read_cues(folder) if workspace.files(episode.id).vtt.is_file() else []
    return choose_highlights(episode, show, [(c.start, c.end, c.text) for c in cues])


def clip_files(index: int, formats) -> dict[str, str]:
    return {fmt: f"{CLIPS_DIR}/{index:02d}-{fmt}.mp4" for fmt in formats}


def poster_files(files: dict[str, str]) -> dict[str, str]:
    """Each clip file's poster frame: the JPEG beside it."""
    return {fmt: name[: -len(".mp4")] + ".jpg" for fmt, name in files.items()}


def _posters(ctx: EpisodeContext, entry: dict) -> dict:
    """`entry` with a poster frame for each of its clip files (made where missing)."""
    posters = poster_files(entry["files"])
    for fmt, name in posters.items():
        if not (ctx.folder / name).is_file():
            with atomic_path(ctx.folder / name) as temp:
                clips.make_poster(ctx.ffmpeg, ctx.folder / entry["files"][fmt], temp,
                                  min(POSTER_AT_S, (entry["end"] - entry["start"]) / 2))
    return {**entry, "posters": posters}


def make_clips(ctx: EpisodeContext) -> None:
    """Render each highlight in its formats; keep clips whose inputs are unchanged; drop stale ones."""
    episode, show, folder = ctx.episode, ctx.show, ctx.folder
    podcast = ctx.files.podcast
    if not podcast.is_file():
        return
    _remove_leftovers(ctx)
    cues = highlight_cues(ctx)
    shown = caption_cues(ctx)
    previous = {entry["key"]: entry for entry in ctx.state.get("clips", [])}
    plan = []
    chosen = choose_highlights(episode, show, cues)
    for index, highlight in enumerate(chosen, start=1):
        start, end, title = float(highlight["start"]), float(highlight["end"]), str(highlight.get("title", ""))
        formats = [f for f in highlight.get("formats", CLIP_FORMATS) if f in CLIP_FORMATS] or list(CLIP_FORMATS)
        in_range = _first_named(ctx, [c for c in shown if c[1] > start and c[0] < end])
        # The podcast rendition's key carries the show's loudness targets, which the clip's sound follows.
        key = stage_key({"version": clips.RENDER_VERSION, "podcast": ctx.state.get("podcast", {}).get("key"),
                         "start": start, "end": end, "title": title or episode.title, "show": show.title,
                         "cues": in_range, "cover": ctx.artwork_sha256, "formats": formats})
        plan.append((index, start, end, title, formats, key))
    wanted = {key for *_, key in plan}
    made, done = [], False
    for index, start, end, title, formats, key in plan:
        files = clip_files(index, formats)
        old = previous.get(key)
        if old and old["files"] != files:  # the same clip under another number (one before it was removed)
            others = [e for k, e in previous.items() if k in wanted and k != key]
            old = _renumbered(ctx, old, files, others)
        if old and old["files"] == files and all((folder / f).is_file() for f in files.values()):
            made.append(_posters(ctx, old))
            continue
        ctx.reporter.step(index - 1, len(chosen))  # each clip is a sub-step of the clips stage
        with contextlib.ExitStack() as stack:
            outputs = {fmt: stack.enter_context(atomic_path(folder / name)) for fmt, name in files.items()}
            with ctx.reporter.bar(f"{episode.id}: clip {index} ({', '.join(formats)})", end - start) as progress:
                clips.render_clip(ctx.ffmpeg, podcast, start, end, title or episode.title, show.title, in_range,
                                  ctx.artwork, outputs, progress, target_lufs=show.loudness.podcast_lufs,
                                  ceiling_dbtp=show.loudness.true_peak_dbtp, scratch=ctx.files.clip_scratch)
        made.append(_posters(ctx, {"key": key, "start": start, "end": end, "title": title, "files": files}))
        ctx.report.done.append(f"clip {index}")
        done = True
    shutil.rmtree(ctx.files.clip_scratch, ignore_errors=True)
    keep = {name for entry in made for name in [*entry["files"].values(), *entry["posters"].values()]}
    for stale in sorted(ctx.files.clips.glob("*.[mj]p[4g]")) if ctx.files.clips.is_dir() else []:
        if f"{CLIPS_DIR}/{stale.name}" not in keep:
            stale.unlink()
    if made and not done:
        ctx.report.skipped.append("clips")
    if made != ctx.state.get("clips", []) or "clips" not in ctx.state:
        ctx.record("clips", made)


def _renumbered(ctx: EpisodeContext, old: dict, files: dict[str, str], others: list[dict]) -> dict | None:
    """A clip made before under other file names (its number changed: a clip before it was removed) moved to
    `files`, its poster with it; None (render it) when a file is missing or a name is another kept clip's."""
    folder = ctx.folder
    if set(old["files"]) != set(files) or not all((folder / name).is_file() for name in old["files"].values()):
        return None
    taken = {name for entry in others for kind in ("files", "posters") for name in entry.get(kind, {}).values()}
    targets = {**files, **{f"{fmt}.jpg": name for fmt, name in poster_files(files).items()}}
    if taken & set(targets.values()):
        return None
    for fmt, name in files.items():
        os.replace(folder / old["files"][fmt], folder / name)
        poster = folder / poster_files(old["files"])[fmt]
        if poster.is_file():
            os.replace(poster, folder / poster_files(files)[fmt])
    return {**old, "files": files}


def _remove_leftovers(ctx: EpisodeContext) -> None:
    """What a killed render left (its temporary files, half-written clips); the episode's lock is held."""
    shutil.rmtree(ctx.files.clip_scratch, ignore_errors=True)
    ctx.files.clip_scratch.mkdir(parents=True, exist_ok=True)
    for partial in ctx.files.clips.glob(".*.tmp.mp4") if ctx.files.clips.is_dir() else []:
        partial.unlink(missing_ok=True)


def _same_highlight(a: dict, b: dict) -> bool:
    """Whether two highlights make the same clips (a range, a title, a set of formats), however written."""
    def meaning(h: dict) -> tuple:
        return (round(float(h["start"]), 3), round(float(h["end"]), 3), str(h.get("title", "")),
                sorted(h.get("formats", CLIP_FORMATS)))
    return meaning(a) == meaning(b)


def add_clip(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, start: float, end: float, title: str,
             formats: list[str], reporter: Reporter, wait: float | None = None) -> list[Path]:
    """Record a producer's highlight in episode.toml and render it now; returns the clip files.

    Waits for the episode's lock at most `wait` seconds (None: for ever)."""
    highlights.validate_range(start, end, workspace.episode(episode_id).duration)  # before waiting for the lock
    with open_episode(workspace, ffmpeg, episode_id, reporter, ProcessOptions(wait=wait)) as ctx:
        episode = ctx.episode
        if not ctx.files.podcast.is_file() or "podcast" not in ctx.state:
            raise BadInput(f"{episode.id} has no podcast rendition yet: run `studio process {episode.id}` first")
        entry = {"start": round(start, 3), "end": round(end, 3), "title": title}
        if set(formats) != set(CLIP_FORMATS):
            entry["formats"] = list(formats)
        if episode.highlights_from != "producer":  # the automatic picks stay: the producer's clip is added
            episode.highlights = choose_highlights(episode, ctx.show, highlight_cues(ctx))
            episode.highlights_from = "producer"
        same = [i for i, h in enumerate(episode.highlights) if _same_highlight(h, entry)]
        if not same:  # a re-run (after a kill, or with the formats in another order) adds no second one
            episode.highlights.append(entry)
        workspace.save_episode(episode)
        index = (same or [len(episode.highlights) - 1])[0]
        make_clips(ctx)
        highlight = episode.highlights[index]
        return [ctx.folder / name for name in clip_files(index + 1, highlight.get("formats", CLIP_FORMATS)).values()]
