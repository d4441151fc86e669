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
import fcntl
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from . import audio, bwf, cart
from .config import Show
from .errors import BadInput, ProcessingError
from .fsutil import atomic_path, read_json, remove_stale_temps, sha256_file, sha256_text, write_json, write_text
from .ingest import ANALYSIS_FILE
from .media import FFmpeg
from .progress import Reporter
from .workspace import Episode, Workspace

STATE_DIR = ".studio"
STATE_FILE = "state.json"
PODCAST_FILE = "podcast.mp3"
BROADCAST_FILE = "broadcast.wav"
ORIGINATOR = "Studio"
# LAME at 128 kbit/s CBR lowers integrated loudness by about 0.4 LU (measured on tones,
# noise and speech); the podcast branch adds it back before encoding.
MP3_LOSS_DB = 0.4


@dataclass(frozen=True)
class ProcessOptions:
    """Choices made on the command line for one run (None: the show's or workspace's setting)."""

    model: str | None = None
    device: str | None = None
    compute_type: str | None = None
    transcribe: bool = True
    clips: bool = True


class ModelCache:
    """Loads a Whisper model on first use and keeps it for the rest of the run."""

    def __init__(self) -> None:
        self._models: dict[tuple, object] = {}

    def get(self, opts) -> object:
        from . import transcribe

        key = (opts.model, opts.device, opts.compute_type)
        if key not in self._models:
            self._models[key] = transcribe.load_model(opts.model, opts.device, opts.compute_type)
        return self._models[key]


@dataclass
class EpisodeReport:
    """What `process` did to one episode (printed with --json)."""

    id: str
    done: list[str] = field(default_factory=list)  # stages run now
    skipped: list[str] = field(default_factory=list)  # stages already up to date
    decodes: int = 0  # full decodes of the original for loudness work


def state_path(folder: Path) -> Path:
    return folder / STATE_DIR / STATE_FILE


def load_state(folder: Path) -> dict:
    return read_json(state_path(folder), default={})


def save_state(folder: Path, state: dict) -> None:
    write_json(state_path(folder), state)


@contextlib.contextmanager
def episode_lock(folder: Path) -> Iterator[None]:
    """One process at a time per episode; a second waits for the first."""
    (folder / STATE_DIR).mkdir(exist_ok=True)
    with open(folder / STATE_DIR / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _key(data: dict) -> str:
    return sha256_text(json.dumps(data, sort_keys=True))


def cover_for(workspace: Workspace, show: Show) -> Path | None:
    path = workspace.feeds_dir / show.artwork if show.artwork else None
    return path if path and path.is_file() else None


def rendition_keys(workspace: Workspace, episode: Episode, show: Show) -> dict[str, str]:
    """The cache key of each audio rendition: everything its bytes depend on."""
    cover = cover_for(workspace, show)
    common = {"version": audio.RENDER_VERSION, "sha256": episode.sha256, "ceiling": show.loudness.true_peak_dbtp}
    return {
        "podcast": _key({**common, "target": show.loudness.podcast_lufs, "tags": podcast_tags(episode, show),
                         "cover": sha256_file(cover) if cover else None}),
        "broadcast": _key({**common, "target": show.loudness.broadcast_lufs, "title": episode.title,
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


def transcribe_options(workspace: Workspace, show: Show, options: ProcessOptions):
    from . import transcribe

    settings = workspace.settings
    return transcribe.TranscribeOptions(
        model=options.model or show.model or settings.model or transcribe.DEFAULT_MODEL,
        device=options.device or settings.device or "auto",
        compute_type=options.compute_type or settings.compute_type or None,
        language=show.language or transcribe.DEFAULT_LANGUAGE,
        glossary=list(show.glossary) or list(transcribe.ELECTION_GLOSSARY),
        spelling=show.spelling,
    )


def make_transcript(workspace: Workspace, episode: Episode, show: Show, options: ProcessOptions, models: ModelCache,
                    state: dict, reporter: Reporter, report: EpisodeReport) -> None:
    """Transcribe once per recording and settings; captions are remade from it (or the producer's edit) each run."""
    from . import captions, transcribe

    folder = workspace.episode_dir(episode.id)
    opts = transcribe_options(workspace, show, options)
    key = _key({"sha256": episode.sha256, "options": transcribe.options_key(opts)})
    raw_path = folder / STATE_DIR / "transcript.raw.json"
    if state.get("transcript", {}).get("key") == key and raw_path.is_file():
        transcript = transcribe.Transcript.from_json(raw_path.read_bytes())
        report.skipped.append("transcript")
    else:
        model = models.get(opts)
        with reporter.bar(f"{episode.id}: transcribing", episode.duration) as progress:
            transcript = transcribe.transcribe_file(folder / episode.original, opts, model,
                                                    lambda done, total: progress(done))
        write_text(raw_path, transcript.to_json())
        state["transcript"] = {"key": key, "model": opts.model, "language": transcript.language,
                               "segments": len(transcript.segments)}
        save_state(folder, state)
        report.done.append("transcript")
    captions.write_transcript_files(folder, transcript)


CLIPS_DIR = "clips"
CLIP_FORMATS = ("vertical", "square", "landscape")
FALLBACK_CLIP_S = 45.0


def choose_highlights(workspace: Workspace, episode: Episode, show: Show) -> list[dict]:
    """The producer's highlights (episode.toml), else up to three picked from the transcript."""
    from . import captions, highlights

    if episode.highlights:
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
    from . import captions, clips

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
        key = _key({"version": clips.RENDER_VERSION, "podcast": state.get("podcast", {}).get("key"),
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
             formats: list[str], reporter: Reporter) -> list[Path]:
    """Record a producer's highlight in episode.toml and render it now; returns the clip files."""
    from . import highlights

    highlights.validate_range(start, end, episode.duration)
    folder = workspace.episode_dir(episode.id)
    with episode_lock(folder):
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


def process_episode(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode, reporter: Reporter,
                    options: ProcessOptions = ProcessOptions(), models: ModelCache | None = None) -> EpisodeReport:
    folder = workspace.episode_dir(episode.id)
    show = workspace.show(episode.show)
    report = EpisodeReport(id=episode.id)
    original = folder / episode.original
    if not original.is_file():
        raise ProcessingError(f"{episode.id}: original recording {episode.original} is missing")
    with episode_lock(folder):
        remove_stale_temps(folder)
        state = load_state(folder)
        make_renditions(workspace, ffmpeg, episode, show, state, reporter, report)
        if options.transcribe:
            make_transcript(workspace, episode, show, options, models or ModelCache(), state, reporter, report)
        if options.clips:
            make_clips(workspace, ffmpeg, episode, show, state, reporter, report)
    return report
