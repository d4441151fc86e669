"""Downloads counted by the IAB Podcast Measurement Technical Guidelines (v2.x), as docs/statistics.md says.

A download is one listener key (the IPv4 address or the IPv6 /64, hashed with the day's salt) + user agent per
episode per counting window (a calendar day, WIB) that received at least the episode's ID3 tag and one minute of
its audio, summing every GET answered 200 or 206 (a `bytes=0-1` probe, HEAD, 304 and errors bring nothing).
Bots (OPAWG's list, or no user agent) and data-centre addresses count nothing. A clip page view is one GET
answered 200 of a clip's page by something that is not a bot.

Requests are added up per listener while their day is open; when the day's window has closed and the grace for
late logs (Settings.stats_late_hours) has passed, the day is counted for good into daily and monthly figures,
its listener rows deleted and its salt destroyed.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..fsutil import file_lock
from ..workspace.layout import ACCESS_LOG_DIR, STATS_DB_FILE, STATS_DIR, STATS_LISTS_DIR, STATS_SALTS_DIR
from ..workspace.tree import Workspace
from . import store
from .identity import WINDOW_ZONE, Anonymizer
from .importer import Record, Source, open_source, tail_hash
from .lists import UserAgents, lists_dir
from .readers import StudioReader

DEFAULT_BITRATE = 128_000  # bits/s, Studio's podcast rendition: the threshold of an episode whose MP3 is not here
LOCK_FILE = "count.lock"
_MP3_KBPS = {  # (MPEG-1?, bitrate index) -> kbit/s, layer III
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}


@dataclass
class Tally:
    """What one counting pass read."""

    files: int = 0  # logs that had something new
    lines: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)  # by reason
    closed: list[str] = field(default_factory=list)  # days counted for good in this pass


def _size(path: Path) -> int:
    """About how many bytes a log holds (a gzip file's are several times its size)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        return size * 8 if f.read(2) == b"\x1f\x8b" else size


def threshold_bytes(mp3: Path) -> int:
    """Bytes of the ID3v2 tag plus one minute of audio at the first frame's bitrate (KeyError/OSError when the
    file is not an MP3 Studio can read)."""
    with open(mp3, "rb") as f:
        head = f.read(10)
        tag = 0
        if head[:3] == b"ID3":
            size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
            tag = 10 + size + (10 if head[5] & 0x10 else 0)
        f.seek(tag)
        frame = f.read(4)
    if len(frame) < 4 or frame[0] != 0xFF or frame[1] & 0xE0 != 0xE0:
        raise KeyError("no MPEG frame after the tag")
    kbps = _MP3_KBPS[bool(frame[1] & 0x08)][frame[2] >> 4]
    if not kbps:
        raise KeyError("free-format MP3")
    return tag + kbps * 1000 // 8 * 60


class Counting:
    """One counting pass over a workspace's statistics, under its lock (`with Counting(workspace) as c:`)."""

    def __init__(self, workspace: Workspace, now: dt.datetime | None = None, wait: bool = True) -> None:
        self.workspace = workspace
        self.wait = wait
        self.held = False  # False after entering with wait=False while another pass holds the lock
        self.now = now or dt.datetime.now(dt.timezone.utc)
        self.folder = workspace.root / STATS_DIR
        self.tally = Tally()

    def __enter__(self) -> Counting:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = file_lock(self.folder / LOCK_FILE, self.wait)
        self.held = self._lock.__enter__()
        if not self.held:
            self._lock.__exit__(None, None, None)
            return self
        try:
            self.db = store.connect(self.workspace.root / STATS_DB_FILE)
            self.lists = self.workspace.root / STATS_LISTS_DIR
            self.anonymizer = Anonymizer(self.workspace.root / STATS_SALTS_DIR, self.lists)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if not self.held:
            return
        try:
            self.db.close()
        finally:
            self._lock.__exit__(*exc)

    @functools.cached_property
    def agents(self) -> UserAgents:
        """OPAWG's patterns, compiled only when there is something to read (a report often has nothing new)."""
        return UserAgents(lists_dir(self.lists))

    @property
    def closed(self) -> str:
        return store.meta(self.db, "counted_through")

    def read(self, sources: Iterator[Source], records: Callable[[Source], Record] | None = None,
             size: int = 0) -> None:
        """Count what is new in `sources` (opened one after the other, as they are reached), part by part: each
        part's sums in one transaction with the record of how far its log was read (`records(source)` gives the
        function that writes it; by default the source's own). `size`: the bytes to read in all, which decides
        whether worker processes are worth starting."""
        from . import parts

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        jobs = cores if size > 2 * parts.PART_BYTES else 1
        busy: set[int] = set()  # the logs that had lines

        def each_part() -> Iterator[tuple[parts.Part, tuple[Record, int, str, int]]]:
            for n, source in enumerate(sources):
                record = (records or (lambda source: source.record))(source)
                for data in source.parts(parts.PART_BYTES):
                    yield parts.Part(source.reader.name, source.headers, data), (record, source.upto, source.digest, n)

        for sums, (record, upto, digest, n) in parts.counted(each_part(), jobs, self.anonymizer, self.lists,
                                                             self.closed, lambda: self.agents):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                sums.write(self.db)
                record(self.db, upto, digest)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            if sums.lines:
                busy.add(n)
            self.tally.lines += sums.lines
            self.tally.skipped.update(sums.skipped)
        self.tally.files += len(busy)

    def import_files(self, paths: list[Path], fmt: str = "auto") -> None:
        """Count what is new in `paths`, in the order given (a log's copy still counts once: it is read from
        where the log ended)."""
        own = (self.workspace.root / ACCESS_LOG_DIR).resolve()
        paths = [p for p in paths if p.resolve().parent != own]  # read by access_logs(), from where it left off
        for path in paths:
            open_source(path, None, fmt)  # BadInput for a log that cannot be read, before anything is counted
        read: list[tuple[str, int, str]] = []  # (first, upto, digest) of the logs read in this pass

        def sources() -> Iterator[Source]:
            for path in paths:
                source = open_source(path, self.db, fmt, read)
                if source is not None:
                    yield source
                    read.append((source.first, source.upto, source.digest))

        self.read(sources(), size=sum(_size(p) for p in paths))

    def access_logs(self) -> None:
        """Studio's own access log, which only ever grows: each file from where it was last read, when the bytes
        before that point are still those read (the hash of its last 4 KiB), so a report never reads a day's log
        again whole. (`studio stats import` leaves these files to this.)"""
        folder = self.workspace.root / ACCESS_LOG_DIR
        if not folder.is_dir():
            return
        known = {name: (upto, tail) for name, upto, tail in self.db.execute("SELECT * FROM access_files")}
        sources, size = [], 0
        for path in sorted(folder.glob("*.jsonl")):
            upto, tail = known.get(path.name, (0, ""))
            length = path.stat().st_size
            if length == upto:
                continue
            if upto and tail_hash(path, upto) != tail:
                upto = 0  # not the file that was read: a new one under the old name
            sources.append(Source(path, StudioReader(), "", upto, hashlib.sha256()))
            size += length - upto

        def record(source: Source) -> Record:
            return lambda db, upto, _digest: db.execute("INSERT OR REPLACE INTO access_files VALUES (?, ?, ?)",
                                                        (source.path.name, upto, tail_hash(source.path, upto)))

        self.read(iter(sources), record, size)

    # -- thresholds and closing windows -------------------------------------------------------------------

    def thresholds(self) -> None:
        """The byte threshold of every episode with listeners, from its MP3 (again when the MP3 changed)."""
        known = {e: (size, mtime) for e, _b, size, mtime in self.db.execute("SELECT * FROM thresholds")}
        for (episode,) in self.db.execute("SELECT DISTINCT episode FROM listeners").fetchall():
            mp3 = self.workspace.files(episode).podcast
            try:
                stat = mp3.stat()
                seen = (stat.st_size, stat.st_mtime_ns)
            except (OSError, ValueError):
                seen = (0, 0)
            if known.get(episode) == seen:
                continue
            try:
                needed = threshold_bytes(mp3)
            except (OSError, KeyError, IndexError, ValueError):
                needed = DEFAULT_BITRATE // 8 * 60
            self.db.execute("INSERT OR REPLACE INTO thresholds VALUES (?, ?, ?, ?)", (episode, needed, *seen))

    def last_closable(self) -> str:
        """The last day whose window and grace for late logs are over (YYYY-MM-DD)."""
        late = dt.timedelta(hours=self.workspace.settings.stats_late_hours)
        return ((self.now - late).astimezone(WINDOW_ZONE).date() - dt.timedelta(days=1)).isoformat()

    def _roll_up(self, day: str) -> None:
        """Add a counted day to the per-show daily and monthly figures the report reads."""
        show = "substr(episode, 1, instr(episode, '/') - 1)"
        self.db.execute(f"INSERT INTO daily SELECT day, {show}, sum(count) FROM downloads WHERE day = ? "
                        "GROUP BY 1, 2", (day,))
        for dimension in ("episode", "app", "platform", "country"):
            self.db.execute(
                f"INSERT INTO monthly SELECT substr(day, 1, 7), {show}, '{dimension}', {dimension}, sum(count) "
                f"FROM downloads WHERE day = ? GROUP BY 1, 2, 4 ON CONFLICT(month, show, dimension, name) "
                "DO UPDATE SET count = count + excluded.count", (day,))

    def close_windows(self) -> None:
        """Count every day whose window closed for good; delete its listeners; destroy its salt."""
        self.thresholds()
        through = self.last_closable()
        if through <= self.closed:
            return
        days = [d for (d,) in self.db.execute("SELECT DISTINCT day FROM listeners WHERE day <= ? ORDER BY day",
                                              (through,))]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for day in days:
                self.db.execute(
                    "INSERT INTO downloads SELECT day, l.episode, app, platform, country, count(*) FROM listeners l "
                    "JOIN thresholds t ON t.episode = l.episode WHERE day = ? AND l.bytes >= t.bytes "
                    "GROUP BY day, l.episode, app, platform, country", (day,))
                self._roll_up(day)
                self.db.execute("DELETE FROM listeners WHERE day = ?", (day,))
            store.set_meta(self.db, "counted_through", through)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.anonymizer.destroy_salts(through)
        self.tally.closed.extend(days)


def count(workspace: Workspace, files: list[Path] = (), fmt: str = "auto", now: dt.datetime | None = None,
          wait: bool = True) -> Tally | None:
    """Import `files`, then Studio's own access log, then close the windows that are over. `wait=False`: None at
    once when another pass is counting (a long import), so that a report answers with what is counted."""
    with Counting(workspace, now, wait) as counting:
        if not counting.held:
            return None
        counting.import_files(list(files), fmt)
        counting.access_logs()
        counting.close_windows()
        return counting.tally
