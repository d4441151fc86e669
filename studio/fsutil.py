"""File helpers: atomic writes and content hashes.

Nothing is ever written under its final name directly: data goes to a hidden
temporary file in the same folder, is fsynced and then renamed into place, so
a reader (or an interrupted run) never sees a half-written file. A full disk
(or quota) while writing is a ResourceError naming the folder, never a
traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import ResourceError

CHUNK = 1 << 20
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _shown_folder(folder: Path) -> Path:
    """The folder a user knows: the nearest one that is not one of our hidden temporaries."""
    while folder.name.startswith(".") and ".tmp" in folder.name and folder.parent != folder:
        folder = folder.parent
    return folder


@contextlib.contextmanager
def no_space_is_resource_error(folder: Path) -> Iterator[None]:
    """Turn "no space left" (or "quota exceeded") while writing in `folder` into one ResourceError line."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise ResourceError(f"no space left on {_shown_folder(Path(folder))}") from None
        raise


def open_for_writing(path: Path) -> BinaryIO:
    """`path`, created or emptied, open for writing bytes: every file this module fills is opened here
    (the one place a test puts a full disk in without mounting one)."""
    return open(path, "wb")


def open_for_appending(path: Path) -> BinaryIO:
    """`path` open for appending bytes (an upload's data): the full-disk test's stand-in replaces it too."""
    return open(path, "ab")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def copy_with_sha256(source: Path, target: Path) -> str:
    """Copy `source` to `target` and return the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with no_space_is_resource_error(target.parent), open(source, "rb") as src, open_for_writing(target) as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_path_for(final: Path) -> Path:
    """A hidden, unique name beside `final` that keeps its suffix (ffmpeg picks formats by it)."""
    fd, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide published files from web servers
    os.close(fd)
    return Path(name)


def make_temp_dir(final: Path) -> Path:
    """A hidden, unique folder beside `final`, with ordinary permissions."""
    with no_space_is_resource_error(final.parent):
        folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    folder.chmod(0o777 & ~_umask())
    return folder


def commit(temp: Path, final: Path, durable: bool = True) -> None:
    """fsync `temp` and rename it to `final` atomically (`durable=False`: rename only, no fsync)."""
    if not durable:
        os.replace(temp, final)
        return
    with open(temp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(temp, final)
    with contextlib.suppress(OSError):
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def atomic_path(final: Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path; on success it is renamed to `final`, on error removed."""
    with no_space_is_resource_error(final.parent):
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = temp_path_for(final)
        try:
            yield temp
            commit(temp, final, durable)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise


def write_bytes(final: Path, data: bytes, durable: bool = True) -> None:
    """`data` under `final`, atomically; `durable=False` skips the fsyncs (derived files that are cheap to
    make again, written by the thousand: a page of the site's build folder)."""
    with atomic_path(final, durable) as temp, open_for_writing(temp) as f:
        f.write(data)


def write_text(final: Path, text: str) -> None:
    write_bytes(final, text.encode("utf-8"))


def write_json(final: Path, data: object) -> None:
    write_text(final, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files an interrupted run left behind."""
    if folder.is_dir():
        for temp in folder.glob(".*.tmp*"):
            with contextlib.suppress(OSError):
                temp.unlink()


def read_json(path: Path, default: object = None) -> object:
    """The JSON in `path`, or `default` when it is missing or unreadable (an older, partial state)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def append_line(path: Path, line: str) -> None:
    """Append `line` and a newline in one O_APPEND write: concurrent writers' lines never interleave."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the kernel's lock (flock) on `path`, made with its folder when missing: one holder at a time across
    processes, and across threads too (each caller opens the file on its own). Released when the block ends or
    its holder dies, however it dies. Not re-entrant. `wait=False`: yields False at once, holding nothing, when
    another holds it (True when this block holds it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
