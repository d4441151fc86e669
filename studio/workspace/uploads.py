"""Uploads from the web app, kept in the workspace until their ingest took them (the storage behind
studio.web.upload's tus-like protocol).

    .studio/uploads/<id>/upload.json    the Upload below: who, the declared size and checksum, the file's name,
                                        the episode's fields; once every byte is in, its ingest job
    .studio/uploads/<id>/lock           one writer at a time: whoever checks the offset and appends holds its
                                        flock, across a server's threads and across processes
    .studio/uploads/<id>/data/<name>    the bytes, in a folder of their own (a file may be named upload.json)

An append is checked against the stored size and written under the lock; a chunk sent with a checksum counts
only once it matches (a bad one is cut off again); the finished file must have the declared size, and the
declared whole-file sha256, before it goes to ingest. A full disk removes the upload. clean() removes an
unfinished upload untouched for `upload_expire_hours`, and a finished one that long after its ingest ended.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import BinaryIO

from .. import fsutil
from ..errors import ResourceError
from .layout import UPLOAD_DATA_DIR, UPLOAD_LOCK_FILE, UPLOAD_META_FILE, UPLOADS_DIR, UPLOADS_LOCK_FILE
from .tree import Workspace

ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
BLOCK = 1 << 20
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
ACTIVE_JOB = ("queued", "running")


class UploadError(Exception):
    """An upload or a chunk refused (the web app says why in the page's language)."""


class OffsetMismatch(UploadError):
    def __init__(self, offset: int):
        super().__init__(f"offset mismatch: {offset} bytes are stored")
        self.offset = offset


class TooManyBytes(UploadError):
    """A chunk runs past the declared size."""


class ChunkIncomplete(UploadError):
    """Fewer bytes arrived than the chunk's Content-Length: the chunk is dropped, the client sends it again."""


class ChecksumMismatch(UploadError):
    def __init__(self, whole: bool):
        super().__init__("the whole file's checksum does not match" if whole else "the chunk's checksum does not match")
        self.whole = whole


class SizeMismatch(UploadError):
    def __init__(self, got: int, size: int):
        super().__init__(f"{got} bytes arrived, {size} were declared")
        self.got, self.size = got, size


class DiskFull(UploadError):
    """No space left while writing: the upload is removed."""


class LimitReached(UploadError):
    def __init__(self, what: str, limit: float):
        super().__init__(f"limit of open uploads reached ({what})")
        self.what, self.limit = what, limit  # what: "count" or "bytes"


@dataclass(frozen=True)
class Limits:
    """A producer's unfinished uploads at once, and their declared bytes together."""

    max_open: int
    max_open_bytes: int


@dataclass
class Upload:
    id: str
    user: str
    size: int  # declared
    name: str  # the file's (harmless) name: ingest keeps its extension and shows it
    show: str
    title: str = ""
    description: str = ""
    recorded_on: str = ""
    sha256: str = ""  # the whole file's, declared at creation (hex); "" when none was
    created_at: float = 0.0
    complete: bool = False  # every byte in, the size and checksum verified
    job: str = ""  # its ingest job, once enqueued
    ingested_at: float = 0.0  # when its ingest ended and took the bytes: only this record is left
    folder: Path = field(default=Path("."), compare=False)  # where it is (not saved)

    @property
    def data(self) -> Path:
        return data_path(self.folder, self.name)

    @property
    def offset(self) -> int:
        """The bytes stored so far."""
        try:
            return self.data.stat().st_size
        except FileNotFoundError:
            return 0

    @property
    def waiting(self) -> bool:
        """Complete, but no ingest job could be enqueued yet (the queue was away)."""
        return self.complete and not self.job and not self.ingested_at


def uploads_dir(workspace: Workspace) -> Path:
    return workspace.root / UPLOADS_DIR


def folder_of(workspace: Workspace, upload_id: str) -> Path | None:
    """The folder of upload `upload_id`; None for an id that could never be one (no path tricks)."""
    return uploads_dir(workspace) / upload_id if ID_RE.match(upload_id) else None


def data_path(folder: Path, name: str) -> Path:
    return folder / UPLOAD_DATA_DIR / name


def read(folder: Path) -> Upload | None:
    """The upload in `folder`, or None when there is none (removed, or never finished being made)."""
    try:
        raw = json.loads((folder / UPLOAD_META_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    known = {f.name for f in fields(Upload)} - {"folder"}
    return Upload(**{k: v for k, v in raw.items() if k in known}, folder=folder)


def save(upload: Upload) -> None:
    """Write the record (atomically); a full disk removes the upload (DiskFull)."""
    data = asdict(upload)
    del data["folder"]
    try:
        fsutil.write_json(upload.folder / UPLOAD_META_FILE, data)
    except ResourceError:  # fsutil's word for no space left
        remove(upload)
        raise DiskFull("no space left for the upload's record") from None


@contextlib.contextmanager
def held(folder: Path, wait: bool = True) -> Iterator[Upload | None]:
    """The upload in `folder`, read under its lock: nobody else appends to it, finishes or removes it meanwhile.
    None: no such upload (or, with wait=False, somebody else holds it)."""
    try:
        fd = os.open(folder / UPLOAD_LOCK_FILE, os.O_RDWR)
    except (FileNotFoundError, NotADirectoryError):
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        yield read(folder)  # None when it was removed while this waited
    finally:
        os.close(fd)


def all_uploads(workspace: Workspace) -> list[Upload]:
    root = uploads_dir(workspace)
    if not root.is_dir():
        return []
    found = (read(folder) for folder in sorted(root.iterdir()) if ID_RE.match(folder.name))
    return [upload for upload in found if upload is not None]


def create(workspace: Workspace, upload: Upload, limits: Limits) -> Upload:
    """Make `upload` (its id and folder are chosen here) unless its user's open uploads are at a limit."""
    root = uploads_dir(workspace)
    folder = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        with fsutil.file_lock(workspace.root / UPLOADS_LOCK_FILE):
            open_ones = [u for u in all_uploads(workspace) if u.user == upload.user and not u.complete]
            if len(open_ones) >= limits.max_open:
                raise LimitReached("count", limits.max_open)
            if sum(u.size for u in open_ones) + upload.size > limits.max_open_bytes:
                raise LimitReached("bytes", limits.max_open_bytes)
            upload.id = secrets.token_urlsafe(18)
            folder = upload.folder = root / upload.id
            (folder / UPLOAD_DATA_DIR).mkdir(parents=True)
            (folder / UPLOAD_LOCK_FILE).touch()
            upload.data.touch()
            os.utime(upload.data, (upload.created_at, upload.created_at))
            save(upload)
    except OSError as exc:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if exc.errno in NO_SPACE:
            raise DiskFull("no space left for a new upload") from None
        raise
    return upload


def append(upload: Upload, start: int, stream: BinaryIO, length: int | None, sha256: bytes | None = None,
           now: float | None = None) -> int:
    """Write the chunk in `stream` at `start`; the new offset. The caller holds the upload (held()). `now`: the
    clock's time, kept as the data's modification time (when it was last touched, for clean()).

    Refused unless `start` is the stored size (OffsetMismatch, with it) and the chunk fits the declared size.
    With `sha256` (the chunk's digest) a chunk that does not match is cut off again (ChecksumMismatch). A full
    disk removes the upload (DiskFull)."""
    stored = upload.offset
    if upload.complete or start != stored:
        raise OffsetMismatch(stored)
    room = upload.size - stored
    if length is not None and length > room:
        raise TooManyBytes("more bytes than the declared size")
    digest = hashlib.sha256()
    written = 0
    kept = False
    try:
        with fsutil.open_for_appending(upload.data) as out:  # streamed: one block in memory at a time
            while written < room and (block := stream.read(min(BLOCK, room - written))):
                out.write(block)
                digest.update(block)
                written += len(block)
            if length is None and written == room and stream.read(1):
                raise TooManyBytes("more bytes than the declared size")
            if length is not None and written < length:
                raise ChunkIncomplete(f"{written} of {length} bytes arrived")
            if sha256 is not None and digest.digest() != sha256:
                raise ChecksumMismatch(whole=False)
            if stored + written == upload.size:
                out.flush()
                os.fsync(out.fileno())  # once, when complete: ingest reads it next
        kept = True
        if now is not None:
            os.utime(upload.data, (now, now))
    except OSError as exc:
        if exc.errno in NO_SPACE:
            remove(upload)
            raise DiskFull("no space left for the upload") from None
        raise
    finally:
        if not kept:
            with contextlib.suppress(OSError):
                os.truncate(upload.data, stored)
    return stored + written


def finish(upload: Upload) -> None:
    """Every byte is in: check the size and the declared checksum, then mark it complete. A file that fails
    either check is removed (SizeMismatch, ChecksumMismatch): nothing of it is ingested."""
    got = upload.offset
    if got != upload.size:
        remove(upload)
        raise SizeMismatch(got, upload.size)
    if upload.sha256 and fsutil.sha256_file(upload.data) != upload.sha256:
        remove(upload)
        raise ChecksumMismatch(whole=True)
    upload.complete = True
    save(upload)


def ingested(folder: Path, now: float) -> None:
    """The upload's ingest ended (an episode made, or the file refused): its bytes go, its record stays a while,
    so a client asking again (its last answer lost) still learns what became of it."""
    with held(folder) as upload:
        if upload is None:
            return
        shutil.rmtree(folder / UPLOAD_DATA_DIR, ignore_errors=True)
        upload.ingested_at = now
        save(upload)


def remove(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def _last_touched(folder: Path) -> float:
    """When the upload was made, last appended to (its data's time, set from the app's clock) or ingested."""
    upload = read(folder)
    if upload is None:  # never finished being made
        with contextlib.suppress(OSError):
            return folder.stat().st_mtime
        return 0.0
    times = [upload.created_at, upload.ingested_at]
    with contextlib.suppress(OSError):
        times.append(upload.data.stat().st_mtime)
    return max(times)


def clean(workspace: Workspace, now: float, expire_s: float, job_state: Callable[[str], str]) -> list[str]:
    """Remove old uploads; the ids removed. Old: untouched for `expire_s` seconds (an abandoned unfinished one,
    the record of an ingested one) or finished with an ingest job that ended (or is gone) that long ago. Kept: a
    finished upload whose job is queued or running (or cannot be asked: `job_state` raised), or that still
    waits for the queue, and one somebody holds right now. `job_state(id)`: the job's state, "" if none."""
    root = uploads_dir(workspace)
    if not root.is_dir():
        return []
    removed = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not ID_RE.match(folder.name) or now - _last_touched(folder) <= expire_s:
            continue
        if not (folder / UPLOAD_LOCK_FILE).exists():  # never finished being made
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
            continue
        with held(folder, wait=False) as upload:
            if upload is None:
                continue
            if upload.waiting or (upload.complete and not upload.ingested_at and _busy(job_state, upload.job)):
                continue
            remove(upload)
            removed.append(upload.id)
    return removed


def _busy(job_state: Callable[[str], str], job_id: str) -> bool:
    try:
        return job_state(job_id) in ACTIVE_JOB
    except Exception:  # noqa: BLE001 - the queue cannot be asked (a broker away): keep what may be needed
        return True
