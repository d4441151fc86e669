"""An episode folder's bookkeeping: the state file, the keys of what the stages make, and the episode lock.

`.studio/state.json` records what each stage made and from what (its key: stage_key of everything its
bytes depend on; rendition_keys says what the renditions depend on, so that the pipeline that makes them
and the index that tells whether they are current agree); `.studio/lock` keeps two processes from working
on one episode at the same time, and `.studio/edit.lock` (edit_lock) makes each save of a producer's
transcript edit a compare-and-swap, whoever else writes it. The files' names are workspace.layout's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from ..errors import ProcessingError
from ..fsutil import file_lock, read_json, sha256_text, write_json
from ..media.loudness import RENDER_VERSION
from ..media.processing import PROCESSING_VERSION
from .config import Show
from .episode import Episode, cart_for_episode, podcast_tags
from .layout import BROADCAST_FILE, EDIT_LOCK_FILE, LOCK_FILE, PODCAST_FILE, STATE_FILE

RENDITION_FILES = {"podcast": PODCAST_FILE, "broadcast": BROADCAST_FILE}

LOCK_POLL_S = 0.2
_SAVE_LOCK = threading.Lock()  # one writer of state.json at a time within a process


class EpisodeBusy(ProcessingError):
    """Another process held the episode lock for longer than we were willing to wait."""


def state_path(folder: Path) -> Path:
    return folder / STATE_FILE


def load_state(folder: Path) -> dict:
    state = read_json(state_path(folder), default={})
    return state if isinstance(state, dict) else {}


def save_state(folder: Path, state: dict) -> None:
    """Write the state whole (one write at a time in this process)."""
    with _SAVE_LOCK:
        write_json(state_path(folder), dict(state))


def _holder_text() -> str:
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:4]))
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                       "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")})


def lock_holder(folder: Path) -> str:
    """Who holds (or last held) the episode lock, in words."""
    try:
        holder = json.loads((folder / LOCK_FILE).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(holder, dict) or "pid" not in holder:
        return "another process"
    where = f" on {holder['host']}" if holder.get("host") and holder["host"] != socket.gethostname() else ""
    return (f"pid {holder['pid']}{where} ({holder.get('command') or 'studio'}, "
            f"since {holder.get('since', '?')})")


@contextlib.contextmanager
def episode_lock(folder: Path, wait: float | None = None,
                 on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the episode's lock: one process at a time per episode.

    While another process holds it, `on_wait` is told once who that is, and we
    wait: for ever when `wait` is None, else at most `wait` seconds, after
    which EpisodeBusy is raised. The lock is the kernel's (flock), so it is
    released when its holder exits, however it exits. If the folder was
    replaced while we waited (`ingest --replace` swaps in a new one), the lock
    we got is the old folder's: it is dropped and the new folder's is taken.
    """
    deadline = None if wait is None else time.monotonic() + wait
    told = False
    while True:
        (folder / LOCK_FILE).parent.mkdir(parents=True, exist_ok=True)
        with open(folder / LOCK_FILE, "a+", encoding="utf-8") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                holder = lock_holder(folder)
                if on_wait and not told:
                    on_wait(f"{folder.parent.name}/{folder.name} is locked by {holder}; waiting"
                            + (f" up to {wait:g} s" if wait is not None else ""))
                    told = True
                _wait_for(lock, deadline, f"{folder.parent.name}/{folder.name} is still locked by {holder} "
                                          f"after {wait} s; try again later")
            if not _is_current(lock, folder / LOCK_FILE):
                continue  # the folder was swapped while we waited
            lock.seek(0)
            lock.truncate()
            lock.write(_holder_text())
            lock.flush()
            yield
            return


@contextlib.contextmanager
def edit_lock(folder: Path) -> Iterator[None]:
    """Hold the episode's edit lock: the moment of a compare-and-swap of a file a producer edits (the
    transcript's VTT and the files made from it). Every writer of those files takes it, `process` too, but
    only for that moment, so a save never waits for a long stage. A kernel lock (flock) on a file of its
    own, taken by each caller on its own open file: it holds across threads and processes alike. Not
    re-entrant: never take it twice in one call chain."""
    with file_lock(Path(folder) / EDIT_LOCK_FILE):
        yield


def _is_current(lock, path: Path) -> bool:
    """Whether the open lock file is still the one at `path`."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(lock.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _wait_for(lock, deadline: float | None, message: str) -> None:
    if deadline is None:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise EpisodeBusy(message)
        time.sleep(LOCK_POLL_S)


def stage_key(data: dict) -> str:
    """The key of a stage's output: a hash of everything its bytes depend on."""
    return sha256_text(json.dumps(data, sort_keys=True))


def sound_key(episode: Episode, show: Show) -> str | None:
    """The key of the sound treatment (its figures in sound.json), None when the show's processing is off."""
    if not show.processing.any:
        return None
    return stage_key({"version": PROCESSING_VERSION, "sha256": episode.sha256, "parts": asdict(show.processing)})


def rendition_keys(episode: Episode, show: Show, artwork_sha256: str | None) -> dict[str, str]:
    """The key of each audio rendition: everything its bytes depend on (`artwork_sha256`: the show's
    artwork's, None without one). The sound treatment's key only when it is on: with it off, the keys
    (and bytes) are those of the renditions before there was one."""
    common = {"version": RENDER_VERSION, "sha256": episode.sha256, "ceiling": show.loudness.true_peak_dbtp}
    if treated := sound_key(episode, show):
        common["processing"] = treated
    return {
        "podcast": stage_key({**common, "target": show.loudness.podcast_lufs, "tags": podcast_tags(episode, show),
                              "cover": artwork_sha256}),
        "broadcast": stage_key({**common, "target": show.loudness.broadcast_lufs, "title": episode.title,
                                "show": show.title, "description": episode.description,
                                # without the version, an upgrade of Studio does not re-render every file
                                "cart": {k: v for k, v in asdict(cart_for_episode(episode, show)).items()
                                         if k != "producer_app_version"}}),
    }


def pending_renditions(folder: Path, state: dict, keys: dict[str, str]) -> list[str]:
    """The renditions whose file is missing or whose key is not `keys`'."""
    return [name for name, file in RENDITION_FILES.items()
            if state.get(name, {}).get("key") != keys[name] or not (folder / file).is_file()]
