"""Recordings that arrive by themselves: each show's watch folder (Show.watch_folder), scanned.

A file is ingested once its size and modification time have stayed the same across `watch_stable_scans`
scans (the rule Rivendell's drop box uses: a file still being copied in keeps changing). A name that starts
with a date, "2026-12-07 Sosialisasi DPT.mp3", gives the episode its recording date and title. Then the file
moves to `done/` (ingested: its processing is queued) or `refused/` (unreadable, too short, the same bytes as an
episode already there: ingest's sha256 rule, so nothing is ingested twice), with `<name>.alasan.txt` beside it:
one line saying why. A failure of the machine (a full disk) leaves the file where it is, for the next scan.

What each scan saw is kept in `.studio/watch/<show>.json`, so `studio watch --once` from cron counts scans as
well as the loop does; one scan of a show at a time (a lock), and `tick` scans only when `watch_interval` has
passed since the last scan, whichever process made it (`studio watch`, a local worker, Celery beat).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, ResourceError
from ..fsutil import file_lock, read_json, write_json, write_text
from ..media.ffmpeg import FFmpeg, find_ffmpeg
from ..pipeline.ingest import IngestRequest, ingest
from ..progress import Reporter
from ..workspace import Workspace
from ..workspace.config import Show
from ..workspace.layout import WATCH_DIR, WATCH_DONE_DIR, WATCH_REASON_SUFFIX, WATCH_REFUSED_DIR

WATCH_SOURCE = "folder pantauan"  # the episode's source: the Episodes page's "masuk dari folder" badge
NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[\s_-]+(.+)$")
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", WATCH_REASON_SUFFIX)


@dataclass
class Arrival:
    """What a scan did with one file: "ingested" (episode), "refused" (reason) or "retry" (left in place)."""

    show: str
    name: str
    outcome: str
    episode: str = ""
    reason: str = ""

    def line(self) -> str:
        detail = "; ".join(filter(None, [self.episode if self.outcome == "ingested" else "", self.reason]))
        return f"{self.show}: {self.name}: {self.outcome}" + (f" ({detail})" if detail else "")


def folder_of(workspace: Workspace, show: Show) -> Path | None:
    """The show's watch folder (relative to the workspace, or absolute); None when it names none."""
    if not show.watch_folder:
        return None
    folder = Path(show.watch_folder).expanduser()
    return folder if folder.is_absolute() else workspace.root / folder


def name_fields(name: str) -> tuple[str, str]:
    """(recorded_on, title) from a file name "YYYY-MM-DD Title.ext"; ("", "") when it does not parse."""
    found = NAME_RE.match(Path(name).stem.strip())
    if not found:
        return "", ""
    try:
        dt.date.fromisoformat(found.group(1))
    except ValueError:
        return "", ""
    title = re.sub(r"[_]+", " ", found.group(2)).strip()
    return found.group(1), title


def candidates(folder: Path) -> list[os.DirEntry]:
    """The files a scan looks at: plain, visible, not a partial download nor a reason file."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~")) or name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            if entry.is_file(follow_symlinks=False):
                found.append(entry)
    return sorted(found, key=lambda e: e.name)


def _move(source: Path, folder: Path, reason: str) -> Path:
    """`source` into `folder` (a free name: "x (2).mp3" when x.mp3 is there), its reason file beside it."""
    folder.mkdir(exist_ok=True)
    target, number = folder / source.name, 1
    while target.exists():
        number += 1
        target = folder / f"{source.stem} ({number}){source.suffix}"
    os.replace(source, target)
    write_text(target.with_name(target.name + WATCH_REASON_SUFFIX), reason.replace("\n", " ").strip() + "\n")
    return target


def _take(workspace: Workspace, ffmpeg: FFmpeg, show: Show, path: Path, enqueue: Callable[[str], None]) -> Arrival:
    """Ingest one stable file and move it to done/ or refused/ (a fault of the machine leaves it)."""
    recorded_on, title = name_fields(path.name)
    request = IngestRequest(file=path, show=show.slug, title=title, recorded_on=recorded_on, source=WATCH_SOURCE)
    try:
        result = ingest(workspace, ffmpeg, request, Reporter(quiet=True))
    except BadInput as exc:
        reason = "ditolak: " + str(exc).replace(str(path), path.name).replace(f"{path.parent}{os.sep}", "")
        _move(path, path.parent / WATCH_REFUSED_DIR, reason)
        return Arrival(show.slug, path.name, "refused", reason=reason)
    except (ResourceError, OSError) as exc:
        return Arrival(show.slug, path.name, "retry", reason=str(exc))
    episode = result.episode.id
    if not result.created:
        reason = f"sudah ada: episode {episode} dibuat dari rekaman yang sama persis"
        _move(path, path.parent / WATCH_REFUSED_DIR, reason)
        return Arrival(show.slug, path.name, "refused", episode=episode, reason=reason)
    _move(path, path.parent / WATCH_DONE_DIR, f"masuk sebagai episode {episode}")
    try:
        enqueue(episode)
    except ResourceError as exc:  # the broker away: the episode is there, `studio process` or the page redoes it
        return Arrival(show.slug, path.name, "ingested", episode=episode, reason=f"processing not queued: {exc}")
    return Arrival(show.slug, path.name, "ingested", episode=episode)


def scan_show(workspace: Workspace, show: Show, ffmpeg: FFmpeg, enqueue: Callable[[str], None]) -> list[Arrival]:
    """One scan of one show's watch folder; nothing when another process is scanning it now."""
    folder = folder_of(workspace, show)
    if folder is None:
        return []
    records = workspace.root / WATCH_DIR
    state_path = records / f"{show.slug}.json"
    with file_lock(records / f"{show.slug}.lock", wait=False) as held:
        if not held:
            return []
        if not folder.is_dir():  # said once a watch_interval, like any scan
            write_json(state_path, {"scanned_at": time.time(), "files": {}})
            raise BadInput(f"show {show.slug}: watch_folder {folder} is not a folder (a share not mounted?)")
        seen = read_json(state_path, {}) or {}
        files = seen.get("files", {}) if isinstance(seen, dict) else {}
        now_files, arrivals = {}, []
        for entry in candidates(folder):
            stat = entry.stat(follow_symlinks=False)
            mark = [stat.st_size, stat.st_mtime_ns]
            before = files.get(entry.name) or {}
            scans = before.get("scans", 0) + 1 if before.get("mark") == mark else 1
            if scans >= workspace.settings.watch_stable_scans and stat.st_size > 0:
                arrival = _take(workspace, ffmpeg, show, Path(entry.path), enqueue)
                arrivals.append(arrival)
                if arrival.outcome != "retry":
                    continue
                scans = 0  # the machine failed: counted again from the next scan
            now_files[entry.name] = {"mark": mark, "scans": scans}
        write_json(state_path, {"scanned_at": time.time(), "files": now_files})
    return arrivals


def scan(workspace: Workspace, ffmpeg: FFmpeg | None = None, enqueue: Callable[[str], None] | None = None,
         say: Callable[[str], None] = lambda line: None) -> list[Arrival]:
    """One scan of every show's watch folder; each ingested episode's processing is queued (`enqueue`, by
    default on the workspace's queue, local or Celery). A show whose folder is missing is said, not raised."""
    settings = workspace.settings
    ffmpeg = ffmpeg or find_ffmpeg(settings.ffmpeg_stall_timeout, settings.ffmpeg_time_factor)
    enqueue = enqueue or _queue_processing(workspace)
    arrivals = []
    for show in workspace.shows().values():
        try:
            found = scan_show(workspace, show, ffmpeg, enqueue)
        except BadInput as exc:
            say(str(exc))
            continue
        for arrival in found:
            say(arrival.line())
        arrivals.extend(found)
    return arrivals


def due(workspace: Workspace) -> bool:
    """Whether some show's watch folder was last scanned `watch_interval` or more ago (or never)."""
    records = workspace.root / WATCH_DIR
    interval = workspace.settings.watch_interval
    for show in workspace.shows().values():
        if show.watch_folder:
            last = (read_json(records / f"{show.slug}.json", {}) or {}).get("scanned_at", 0.0)
            if time.time() - float(last or 0.0) >= interval:
                return True
    return False


def tick(workspace: Workspace, say: Callable[[str], None] = lambda line: None) -> list[Arrival]:
    """A worker's look at the watch folders: a scan when one is due (any process may have made the last)."""
    fresh = Workspace(workspace.root)  # an edited show (a new watch folder) needs no restart
    return scan(fresh, say=say) if due(fresh) else []


def _queue_processing(workspace: Workspace) -> Callable[[str], None]:
    def enqueue(episode_id: str) -> None:
        from . import open_queue

        queue = open_queue(workspace)
        try:
            queue.enqueue("process", episode_id)
        finally:
            close = getattr(queue, "close", None)
            if close:
                close()

    return enqueue
