"""`studio process`: run an episode's stages, skipping what is already done.

Each stage output is recorded in the episode's `.studio/state.json` with a key:
a hash of the original's sha256 and every setting the output depends on.
A stage whose key and file are unchanged is skipped, so re-running is cheap
and changing one setting (a show's podcast target, say) redoes only what
depends on it. Outputs are written under temporary names and renamed into
place, and the state is written after them: a run killed at any moment
leaves no partial file under a final name and is completed by running again.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, ProcessingError
from ..fsutil import atomic_path, remove_stale_temps, sha256_file, write_text
from ..media.ffmpeg import FFmpeg
from ..progress import Reporter
from ..workspace.config import Show
from ..workspace.state import (
    CLIPS_DIR,
    PODCAST_FILE,
    RAW_TRANSCRIPT_FILE,
    EpisodeReport,
    episode_lock,
    load_state,
    save_state,
    stage_key,
)
from ..workspace.tree import Episode, Workspace
from .renditions import cover_for, make_renditions, renditions_beside


@dataclass(frozen=True)
class ProcessOptions:
    """Choices made on the command line for one run (None: the show's or workspace's setting)."""

    model: str | None = None
    device: str | None = None
    compute_type: str | None = None
    transcribe: bool = True
    clips: bool = True
    wait: float | None = None  # seconds to wait for an episode another process holds (None: for ever)


class ModelCache:
    """Loads a Whisper model on first use and keeps it for the rest of the run.

    `cpu_threads`: CTranslate2's threads per model (None: one per core); a machine that runs
    several workers gives each its share of the cores (jobs.threads_per_worker)."""

    def __init__(self, cpu_threads: int | None = None) -> None:
        self._models: dict[tuple, object] = {}
        self.cpu_threads = cpu_threads

    def get(self, opts) -> object:
        from .. import transcribe

        key = (opts.model, opts.device, opts.compute_type)
        if key not in self._models:
            self._models[key] = transcribe.load_model(opts.model, opts.device, opts.compute_type,
                                                      cpu_threads=self.cpu_threads)
        return self._models[key]

    def release(self) -> None:
        """Let the models go and hand the freed heap back to the system.

        Called before clips: their ffmpeg (three video encoders) needs about 800 MB, and a
        model with the decoder's buffers holds 300-600 MB that would stay mapped otherwise
        (reloading for the next episode takes about a second).
        """
        if not self._models:
            return
        self._models.clear()
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):  # glibc only
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def transcribe_options(workspace: Workspace, show: Show, options: ProcessOptions):
    from .. import transcribe

    settings = workspace.settings
    return transcribe.TranscribeOptions(
        model=options.model or show.model or settings.model or transcribe.DEFAULT_MODEL,
        device=options.device or settings.device or "auto",
        compute_type=options.compute_type or settings.compute_type or None,
        language=show.language or transcribe.DEFAULT_LANGUAGE,
        glossary=list(show.glossary) or list(transcribe.ELECTION_GLOSSARY),
        spelling=show.spelling,
    )


def make_transcript(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, show: Show, options: ProcessOptions,
                    models: ModelCache, state: dict, reporter: Reporter, report: EpisodeReport) -> None:
    """Transcribe once per recording and settings (the raw transcript); captions are made from it by make_captions."""
    from .. import transcribe

    folder = workspace.episode_dir(episode.id)
    opts = transcribe_options(workspace, show, options)
    key = stage_key({"sha256": episode.sha256, "options": transcribe.options_key(opts)})
    raw_path = folder / RAW_TRANSCRIPT_FILE
    if state.get("transcript", {}).get("key") == key and raw_path.is_file():
        report.skipped.append("transcript")
        return
    model = models.get(opts)
    with reporter.bar(f"{episode.id}: transcribing", episode.duration) as progress:
        transcript = transcribe.transcribe_file(ffmpeg, folder / episode.original, opts, model,
                                                lambda done, total: progress(done))
    write_text(raw_path, transcript.to_json())
    state["transcript"] = {"key": key, "model": opts.model, "language": transcript.language,
                           "segments": len(transcript.segments)}
    save_state(folder, state)
    report.done.append("transcript")


def make_captions(workspace: Workspace, episode: Episode, show: Show, options: ProcessOptions,
                  report: EpisodeReport) -> None:
    """The caption and transcript files, from the raw transcript or the producer's edit; remade each run (cheap)."""
    from .. import transcribe
    from ..captions import cues as captions

    folder = workspace.episode_dir(episode.id)
    raw_path = folder / RAW_TRANSCRIPT_FILE
    if not raw_path.is_file():
        raise ProcessingError(f"{episode.id} has no transcript yet: its transcript stage has not run")
    transcript = transcribe.Transcript.from_json(raw_path.read_bytes())
    glossary = transcribe_options(workspace, show, options).glossary
    captions.write_transcript_files(folder, format_transcript(transcript, show, glossary))


def format_transcript(transcript, show: Show, glossary: list[str]):
    """The raw transcript as the transcript files show it (Indonesian): one casing per word form,
    then numbers, dates, times and money as digits (show.itn).

    Applied each run to the stored raw transcript, not stored in it: changing these
    rules or the setting remakes the captions without transcribing again.
    """
    from ..text import casing, itn

    if transcript.language != "id":
        return transcript
    transcript = casing.recase_transcript(transcript, glossary)
    return itn.normalize_transcript(transcript) if show.itn else transcript


def make_chapters(workspace: Workspace, episode: Episode, show: Show, state: dict, report: EpisodeReport) -> None:
    """chapters.json from the producer's [[chapters]], else from the transcript's topic changes."""
    from ..captions import cues as captions
    from ..text import chapters
    from ..text.sentences import sentences_from_cues

    folder = workspace.episode_dir(episode.id)
    vtt = folder / captions.VTT_NAME
    path = folder / chapters.CHAPTERS_FILE
    if not episode.chapters and not vtt.is_file():
        return
    key = stage_key({"version": 1, "producer": episode.chapters, "duration": episode.duration,
                     "glossary": list(show.glossary), "vtt": sha256_file(vtt) if vtt.is_file() else None})
    if state.get("chapters", {}).get("key") == key and path.is_file():
        report.skipped.append("chapters")
        return
    if episode.chapters:
        found = chapters.producer_chapters(episode.chapters, episode.duration, episode.id)
    else:
        cues = [(c.start, c.end, c.body) for c in captions.read_cues(folder)]
        found = chapters.auto_chapters(sentences_from_cues(cues), episode.duration, show.glossary)
    if found:
        write_text(path, chapters.render_json(found))
    else:
        path.unlink(missing_ok=True)
    state["chapters"] = {"key": key, "count": len(found), "source": "producer" if episode.chapters else "auto"}
    save_state(folder, state)
    report.done.append("chapters")


CLIP_FORMATS = ("vertical", "square", "landscape")
FALLBACK_CLIP_S = 45.0


def choose_highlights(workspace: Workspace, episode: Episode, show: Show) -> list[dict]:
    """The producer's highlights (episode.toml), else up to three picked from the transcript."""
    from ..captions import cues as captions
    from ..text import highlights

    if episode.highlights or episode.highlights_from == "producer":
        return [dict(h) for h in episode.highlights]
    folder = workspace.episode_dir(episode.id)
    cues = [(c.start, c.end, c.text) for c in captions.read_cues(folder)] if (folder / "transcript.vtt").is_file() else []
    if not cues:
        return []
    music_intro_end = cues[0][0]  # Whisper writes nothing for a music intro
    picked = highlights.pick_highlights(cues, show.glossary, episode.duration, music_intro_end)
    if not picked and cues[-1][1] - cues[0][0] >= highlights.AUTO_MIN_S:
        # No run of whole sentences fits 20-60 s: take the first stretch of speech instead.
        start = cues[0][0]
        end = min(cues[-1][1], start + FALLBACK_CLIP_S)
        picked = [highlights.Highlight(start, end, highlights.make_title(cues[0][2]))]
    return [{"start": round(h.start, 3), "end": round(h.end, 3), "title": h.title} for h in picked]


def clip_files(index: int, formats) -> dict[str, str]:
    return {fmt: f"{CLIPS_DIR}/{index:02d}-{fmt}.mp4" for fmt in formats}


def make_clips(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, show: Show, state: dict,
               reporter: Reporter, report: EpisodeReport) -> None:
    """Render each highlight in its formats; keep clips whose inputs are unchanged; drop stale ones."""
    from ..captions import cues as captions
    from ..clips import render as clips

    folder = workspace.episode_dir(episode.id)
    podcast = folder / PODCAST_FILE
    if not podcast.is_file():
        return
    cues = [(c.start, c.end, c.text) for c in captions.read_cues(folder)] if (folder / "transcript.vtt").is_file() else []
    cover = cover_for(workspace, show)
    previous = {entry["key"]: entry for entry in state.get("clips", [])}
    made = []
    for index, highlight in enumerate(choose_highlights(workspace, episode, show), start=1):
        start, end, title = float(highlight["start"]), float(highlight["end"]), str(highlight.get("title", ""))
        formats = [f for f in highlight.get("formats", CLIP_FORMATS) if f in CLIP_FORMATS] or list(CLIP_FORMATS)
        in_range = [c for c in cues if c[1] > start and c[0] < end]
        key = stage_key({"version": clips.RENDER_VERSION, "podcast": state.get("podcast", {}).get("key"),
                    "start": start, "end": end, "title": title or episode.title, "show": show.title,
                    "cues": in_range, "cover": sha256_file(cover) if cover else None, "formats": formats})
        files = clip_files(index, formats)
        old = previous.get(key)
        if old and old["files"] == files and all((folder / f).is_file() for f in files.values()):
            made.append(old)
            continue
        with contextlib.ExitStack() as stack:
            outputs = {fmt: stack.enter_context(atomic_path(folder / name)) for fmt, name in files.items()}
            with reporter.bar(f"{episode.id}: clip {index} ({', '.join(formats)})", end - start) as progress:
                clips.render_clip(ffmpeg, podcast, start, end, title or episode.title, show.title, cues, cover,
                                  outputs, progress)
        made.append({"key": key, "start": start, "end": end, "title": title, "files": files})
        report.done.append(f"clip {index}")
    keep = {name for entry in made for name in entry["files"].values()}
    for stale in sorted((folder / CLIPS_DIR).glob("*.mp4")) if (folder / CLIPS_DIR).is_dir() else []:
        if f"{CLIPS_DIR}/{stale.name}" not in keep:
            stale.unlink()
    if not any(name.startswith("clip") for name in report.done) and made:
        report.skipped.append("clips")
    state["clips"] = made
    save_state(folder, state)


def add_clip(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, start: float, end: float, title: str,
             formats: list[str], reporter: Reporter, wait: float | None = None) -> list[Path]:
    """Record a producer's highlight in episode.toml and render it now; returns the clip files.

    Waits for the episode's lock at most `wait` seconds (None: for ever)."""
    from ..text import highlights

    highlights.validate_range(start, end, episode.duration)
    folder = workspace.episode_dir(episode.id)
    with episode_lock(folder, wait, reporter.info):
        state = load_state(folder)
        if not (folder / PODCAST_FILE).is_file() or "podcast" not in state:
            raise BadInput(f"{episode.id} has no podcast rendition yet: run `studio process {episode.id}` first")
        entry = {"start": round(start, 3), "end": round(end, 3), "title": title}
        if set(formats) != set(CLIP_FORMATS):
            entry["formats"] = list(formats)
        if entry not in episode.highlights:
            episode.highlights.append(entry)
            workspace.save_episode(episode)
        make_clips(workspace, ffmpeg, episode, workspace.show(episode.show), state, reporter,
                   EpisodeReport(id=episode.id))
        index = episode.highlights.index(entry) + 1
        return [folder / name for name in clip_files(index, entry.get("formats", CLIP_FORMATS)).values()]


STAGES = ("renditions", "transcript", "captions", "clips")  # in the order they must run


def stages_for(options: ProcessOptions) -> list[str]:
    """The stages a run with `options` makes, in order."""
    return [stage for stage in STAGES
            if (stage not in ("transcript", "captions") or options.transcribe) and (stage != "clips" or options.clips)]


@contextlib.contextmanager
def _locked_episode(workspace: Workspace, episode_id: str, options: ProcessOptions, reporter: Reporter):
    """The episode (as it is now), its show and its state, under the episode's lock."""
    folder = workspace.episode_dir(episode_id)
    with episode_lock(folder, options.wait, reporter.info):
        episode = workspace.episode(episode_id)  # as it is now: it may have been edited or replaced while we waited
        if not (folder / episode.original).is_file():
            raise ProcessingError(f"{episode.id}: original recording {episode.original} is missing")
        remove_stale_temps(folder)
        yield episode, workspace.show(episode.show), load_state(folder)


def process_stage(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, stage: str, reporter: Reporter,
                  options: ProcessOptions = ProcessOptions(), models: ModelCache | None = None,
                  report: EpisodeReport | None = None) -> EpisodeReport:
    """Run one stage of one episode under the episode's lock (one job of a worker)."""
    if stage not in STAGES:
        raise BadInput(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    report = report or EpisodeReport(id=episode_id)
    with _locked_episode(workspace, episode_id, options, reporter) as (episode, show, state):
        if stage == "renditions":
            make_renditions(workspace, ffmpeg, episode, show, state, reporter, report)
        elif stage == "transcript":
            make_transcript(workspace, ffmpeg, episode, show, options, models or ModelCache(), state, reporter, report)
        elif stage == "captions":
            make_captions(workspace, episode, show, options, report)
            make_chapters(workspace, episode, show, state, report)
        else:
            make_clips(workspace, ffmpeg, episode, show, state, reporter, report)
    return report


def process_episode(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, reporter: Reporter,
                    options: ProcessOptions = ProcessOptions(), models: ModelCache | None = None) -> EpisodeReport:
    """Run an episode's stages, under one hold of the episode's lock.

    The renditions, the transcript and the captions are written before any clip starts, so what
    goes on air never waits on video. The renditions are made in a child process while this one
    transcribes (renditions_beside).
    """
    report = EpisodeReport(id=episode.id)
    with _locked_episode(workspace, episode.id, options, reporter) as (episode, show, state):
        if options.transcribe:
            models = models or ModelCache()
            with renditions_beside(workspace, ffmpeg, episode, show, state, reporter, report):
                make_transcript(workspace, ffmpeg, episode, show, options, models, state, reporter, report)
                make_captions(workspace, episode, show, options, report)
                make_chapters(workspace, episode, show, state, report)
        else:
            make_renditions(workspace, ffmpeg, episode, show, state, reporter, report)
        if options.clips:
            if models is not None:
                models.release()
            make_clips(workspace, ffmpeg, episode, show, state, reporter, report)
    return report
