"""Reading a log once: where to start in it, its lines from there, and the record that it was read.

A log is known by the sha256 of its first line and, for each time it was read, how far (`upto`, a line's end) and
the sha256 of those bytes. Reading it again starts after the longest known prefix that is still its prefix: a
log read twice, copied or renamed, counts once; a log that grew is read from where it was left. Gzip files are
read decompressed (offsets count the decompressed bytes). A last line without its newline is left for later: a
server may be writing it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import BadInput
from .readers import READERS, Reader, detect

BLOCK = 1 << 20
Record = Callable[[sqlite3.Connection, int, str], None]  # writes how far a log was read: (db, upto, digest)


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")  # noqa: SIM115 - caller closes


@dataclass
class Source:
    """One log file, positioned after what was already read of it."""

    path: Path
    reader: Reader
    first: str  # sha256 of its first line
    start: int  # where reading starts: after the longest prefix already read
    hasher: object  # sha256 of the bytes up to `start`, carried on over what is read now
    upto: int = 0  # after the last complete line read so far

    headers: tuple[str, ...] = ()  # its comment lines at the start (CloudFront's #Fields), for a reader elsewhere

    def parts(self, size: int) -> Iterator[bytes]:
        """The complete lines after `start`, about `size` bytes at a time (cut after a line's end); after each
        part, `upto` and the hash are at its end. A last line without its newline is left for later."""
        self.upto = self.start
        with _open(self.path) as f:
            f.seek(self.start)
            rest = b""
            while block := f.read(max(size - len(rest), 4096)):
                block = rest + block
                end = block.rfind(b"\n") + 1
                rest = block[end:]
                if not end:
                    continue
                done = block[:end]
                self.hasher.update(done)
                self.upto += end
                yield done

    @property
    def digest(self) -> str:
        return self.hasher.hexdigest()

    def record(self, db: sqlite3.Connection, upto: int, digest: str) -> None:
        """Remember that the log was read up to `upto`, whose bytes' sha256 is `digest` (in the caller's
        transaction, with the counts it gave). Each part's end is kept: a copy cut there is known too."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)", (self.first, upto, digest, self.path.name, now))


def head(path: Path) -> bytes:
    """The first 64 KiB of a log (decompressed); BadInput when it cannot be read."""
    try:
        with _open(path) as f:
            return f.read(64 * 1024)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BadInput(f"cannot read {path.name}: {getattr(exc, 'strerror', None) or exc}") from None


def tail_hash(path: Path, upto: int) -> str:
    """sha256 of the 4 KiB before `upto` (the end of what was read of a plain file)."""
    with open(path, "rb") as f:
        f.seek(max(0, upto - 4096))
        return hashlib.sha256(f.read(min(upto, 4096))).hexdigest()


def first_line_hash(start: bytes) -> str:
    return hashlib.sha256(start.split(b"\n", 1)[0]).hexdigest()


def open_source(path: Path, db: sqlite3.Connection | None, fmt: str = "auto",
                extra: list[tuple[str, int, str]] = ()) -> Source | None:
    """The log at `path` positioned after what was already read of it (by `db`'s record, and `extra` rows of
    (first, upto, digest) not recorded yet); None when it holds no complete line yet. BadInput when it cannot be
    read or its format is not known."""
    head_ = head(path)
    if b"\n" not in head_:
        if len(head_) < 64 * 1024:
            return None  # empty, or one line still being written
    first_line = head_.split(b"\n", 1)[0]
    name = fmt
    if fmt == "auto":
        name = detect(first_line.decode("utf-8", errors="replace")) or ""
        if not name:
            raise BadInput(f"{path.name}: not a log format Studio reads (studio, s3, cloudfront, combined); "
                           "name it with --format")
    reader = READERS[name]()
    headers = tuple(line for line in head_.decode("utf-8", errors="replace").splitlines() if line.startswith("#"))
    for line in headers:
        reader.header(line)
    first = first_line_hash(head_)
    known = [] if db is None else db.execute("SELECT upto, digest FROM sources WHERE first = ?", (first,)).fetchall()
    known += [(upto, digest) for f, upto, digest in extra if f == first]
    start, hasher = _resume(path, known)
    return Source(path, reader, first, start, hasher, headers=headers)


def _resume(path: Path, known: list[tuple[int, str]]) -> tuple[int, object]:
    """The longest known prefix of the file and the running hash at its end (reading the file's start once)."""
    hasher = hashlib.sha256()
    if not known:
        return 0, hasher
    best, best_hasher, at = 0, hasher.copy(), 0
    wanted = dict(known)
    with _open(path) as f:
        for upto in sorted(wanted):
            while at < upto:
                block = f.read(min(BLOCK, upto - at))
                if not block:
                    return best, best_hasher
                hasher.update(block)
                at += len(block)
            if hasher.hexdigest() == wanted[upto]:
                best, best_hasher = upto, hasher.copy()
    return best, best_hasher
