"""What publish carries of each episode: its published files (assets) under their keys, found with one
directory listing per episode, and its soundbites and publication date. The transcript goes out only as
the last successful text stage (or a producer's save in the web app) made it: a transcript.vtt that
`process` refused is replaced by the last good one, or no transcript goes out (workspace.transcript)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import BadInput
from ..workspace import Episode, Show, Workspace
from ..workspace.index import EpisodeRow
from ..workspace.layout import CHAPTERS_FILE, CLIPS_DIR, TRANSCRIPT_FILES
from ..workspace.release import publish_time
from ..workspace.transcript import published_vtt
from .layout import (
    artwork_key,
    chapters_key,
    clip_key,
    episode_artwork_key,
    media_key,
    mime_type,
    transcript_key,
)


@dataclass(frozen=True)
class Asset:
    """One workspace file that is published under `key`."""

    key: str
    source: Path | str  # a str from the directory listings (pathlib costs too much for every file, every publish)
    size: int
    mime: str
    mtime_ns: int = 0  # lets publish reuse a cached sha256 and notice a file changed under it


@dataclass(frozen=True)
class Soundbite:
    start: float  # seconds into the podcast audio
    duration: float
    title: str


@dataclass(frozen=True)
class FeedEpisode:
    """An episode as its feed item and published files see it."""

    episode: Episode
    published: dt.datetime
    audio: Asset
    transcripts: dict[str, Asset]  # kind (vtt, srt, json, txt) -> asset
    chapters: Asset | None
    clips: tuple[Asset, ...]
    soundbites: tuple[Soundbite, ...]
    highlights: tuple[dict, ...] = ()  # the rendered clips as the clips stage recorded them (start, end, files)
    note: str = ""  # one line when what goes out is not what the folder holds (a transcript `process` refused)
    artwork: Asset | None = None  # the episode's own artwork (itunes:image on its item), else the show's is used

    @property
    def assets(self) -> list[Asset]:
        extra = [self.chapters] if self.chapters else []
        extra += [self.artwork] if self.artwork else []
        return [self.audio, *self.transcripts.values(), *extra, *self.clips]


def _asset(key: str, entry: os.DirEntry | None, mime: str | None = None) -> Asset | None:
    """The asset for a directory entry (from os.scandir: no extra system call unless it exists)."""
    try:
        if entry is None or not entry.is_file():
            return None
        info = entry.stat()
    except OSError:
        return None
    return Asset(key=key, source=entry.path, size=info.st_size, mime=mime or mime_type(entry.name),
                 mtime_ns=info.st_mtime_ns)


def _listing(folder: Path | str) -> dict[str, os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return {entry.name: entry for entry in entries}
    except OSError:
        return {}


def _seconds(value: object) -> float | None:
    """Seconds from a number or a [HH:]MM:SS[.fff] string; None when unreadable."""
    if isinstance(value, bool):
        return None
    total = None
    if isinstance(value, (int, float)):
        total = float(value)
    elif isinstance(value, str):
        try:
            total = 0.0
            for part in value.strip().split(":"):
                total = total * 60 + float(part)
        except ValueError:
            return None
    return total if total is not None and math.isfinite(total) else None


def kept_back(episode: Episode) -> set[tuple[float, float]]:
    """The ranges of the highlights a producer keeps from publishing (`"publish": false` in episode.toml)."""
    ranges = set()
    for highlight in episode.highlights:
        start, end = _seconds(highlight.get("start")), _seconds(highlight.get("end"))
        if highlight.get("publish") is False and start is not None and end is not None:
            ranges.add((round(start, 3), round(end, 3)))
    return ranges


def published_clips(state: dict, episode: Episode) -> list[dict]:
    """The rendered clips (as the clips stage recorded them) that go out: those a producer did not keep back."""
    hidden = kept_back(episode)
    found = []
    for entry in state.get("clips", []):
        if not isinstance(entry, dict):
            continue
        start, end = _seconds(entry.get("start")), _seconds(entry.get("end"))
        if start is not None and end is not None and (round(start, 3), round(end, 3)) in hidden:
            continue
        found.append(entry)
    return found


def soundbites(state: dict, episode: Episode | None = None) -> list[Soundbite]:
    """The episode's rendered clips as soundbites (start, end, title), as `process` recorded them in its
    state, less those kept from publishing."""
    bites = []
    entries = published_clips(state, episode) if episode is not None else state.get("clips", [])
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        start, end = _seconds(entry.get("start")), _seconds(entry.get("end"))
        if start is None or end is None or start < 0 or end <= start:
            continue
        bites.append(Soundbite(start=start, duration=end - start, title=str(entry.get("title", "")).strip()))
    return bites


def published_at(episode: Episode) -> dt.datetime:
    """The pubDate: the publish time when the episode is scheduled; else the recording day at the time of day
    it was ingested (stable, distinct per ingest)."""
    if episode.publish_at:
        with contextlib.suppress(ValueError):
            return publish_time(episode.publish_at)
    ingested = None
    try:
        ingested = dt.datetime.fromisoformat(episode.ingested_at) if episode.ingested_at else None
    except ValueError:
        pass
    if ingested and ingested.tzinfo is None:
        ingested = ingested.replace(tzinfo=dt.timezone.utc)
    recorded = None
    try:
        recorded = dt.date.fromisoformat(episode.recorded_on) if episode.recorded_on else None
    except ValueError:
        pass
    if recorded and ingested:
        return dt.datetime.combine(recorded, ingested.timetz())
    if recorded:
        return dt.datetime.combine(recorded, dt.time(tzinfo=dt.timezone.utc))
    if ingested:
        return ingested
    raise BadInput(f"{episode.id}: episode.toml has neither a valid recorded_on nor ingested_at")


def collect_episode(workspace: Workspace, row: EpisodeRow) -> FeedEpisode | None:
    """The episode's published files, or None while it has no podcast rendition."""
    episode = row.to_episode()
    # Plain strings and one directory listing per episode rather than pathlib and a stat per
    # possible file: this runs for every episode on every publish.
    entry = row.record.get("podcast")
    if not isinstance(entry, dict) or not entry.get("file"):
        return None
    files = _listing(os.path.join(workspace.episodes_dir, episode.show, episode.slug))
    audio_name = str(entry["file"])
    audio = _asset(media_key(episode, os.path.splitext(audio_name)[1].lower()), files.get(audio_name))
    if audio is None:
        return None
    transcripts, note = {}, ""
    for kind, name in TRANSCRIPT_FILES.items():
        if found := _asset(transcript_key(episode, kind), files.get(name)):
            transcripts[kind] = found
    if "vtt" in transcripts:  # only the VTT the other files were made from: never one `process` refused
        good, why = published_vtt(os.path.dirname(transcripts["vtt"].source))
        if good is None:
            transcripts = {}
        elif str(good) != str(transcripts["vtt"].source):
            info = good.stat()
            transcripts["vtt"] = Asset(key=transcripts["vtt"].key, source=str(good), size=info.st_size,
                                       mime=transcripts["vtt"].mime, mtime_ns=info.st_mtime_ns)
        note = f"{episode.id}: {why}" if why else ""
    chapters = _asset(chapters_key(episode), files.get(CHAPTERS_FILE), "application/json")
    clips: tuple[Asset, ...] = ()
    highlights = published_clips(row.record, episode)
    if CLIPS_DIR in files and files[CLIPS_DIR].is_dir():
        kept = [e for e in row.record.get("clips", []) if isinstance(e, dict) and e not in highlights]
        held = {os.path.basename(str(name)) for entry in kept  # a clip kept back stays in the workspace only
                for kind in ("files", "posters") if isinstance(entry.get(kind), dict) for name in entry[kind].values()}
        clips = tuple(
            clip for name, clip_entry in sorted(_listing(files[CLIPS_DIR].path).items())
            if name.endswith((".mp4", ".jpg")) and not name.startswith(".") and name not in held
            and (clip := _asset(clip_key(episode, name), clip_entry))
        )
    artwork = _asset(episode_artwork_key(episode), files.get(episode.artwork)) if episode.artwork else None
    return FeedEpisode(
        artwork=artwork, episode=episode, published=published_at(episode), audio=audio, transcripts=transcripts,
        chapters=chapters, clips=clips, soundbites=tuple(soundbites(row.record, episode)),
        highlights=tuple(highlights), note=note,
    )


def collect_show(workspace: Workspace, rows: Iterable[EpisodeRow]) -> list[FeedEpisode]:
    """The publishable episodes, newest first."""
    items = [item for row in rows if (item := collect_episode(workspace, row))]
    items.sort(key=lambda i: (i.published.timestamp(), i.episode.ingested_at, i.episode.slug), reverse=True)
    return items


def artwork_asset(workspace: Workspace, show: Show) -> Asset | None:
    if not show.artwork:
        return None
    return _asset(artwork_key(show), _listing(workspace.feeds_dir).get(show.artwork))
