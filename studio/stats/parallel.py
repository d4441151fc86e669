"""Reading several logs at once, one process per core: each reads whole logs and sends back their sums, which the
parent writes, one log per transaction with the record that it was read (counting.Counting.import_files).

Logs whose first lines are the same (a log and its rotated copy, or a copy under another name) go to the same
process, one after the other, so that the second starts where the first ended and nothing counts twice.
"""

from __future__ import annotations

import collections
import datetime as dt
import multiprocessing
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .identity import Anonymizer
from .importer import first_line_hash, head, open_source
from .lists import UserAgents, lists_dir
from .sums import Counter


@dataclass
class Done:
    """What one log gave: its sums, and the record that it was read up to `upto`."""

    name: str
    first: str = ""
    upto: int = 0
    digest: str = ""
    lines: int = 0
    listeners: dict = field(default_factory=dict)
    views: collections.Counter = field(default_factory=collections.Counter)
    skipped: collections.Counter = field(default_factory=collections.Counter)

    def record(self, db: sqlite3.Connection) -> None:
        if self.first:
            now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?)",
                       (self.first, self.upto, self.digest, self.name, now))


@dataclass(frozen=True)
class Job:
    paths: tuple[Path, ...]
    fmt: str
    db: Path
    closed: str


class Worker:
    """One worker process's lists and salts, loaded once (held by the pool's initializer)."""

    current: Worker | None = None

    def __init__(self, salts: Path, lists: Path) -> None:
        self.anonymizer = Anonymizer(salts, lists)
        self.agents = UserAgents(lists_dir(lists))


def _start(salts: Path, lists: Path) -> None:
    Worker.current = Worker(salts, lists)


def _read(job: Job) -> list[Done]:
    worker = Worker.current
    db = sqlite3.connect(f"file:{job.db}?mode=ro", uri=True, timeout=60.0)
    results, extra = [], []
    try:
        for path in job.paths:
            source = open_source(path, db, job.fmt, extra)
            if source is None:
                continue
            counter = Counter(None, worker.anonymizer, worker.agents, job.closed)
            parse, lines = source.reader.parse, 0
            for line in source.lines():
                if line and not line.startswith("#"):
                    lines += 1
                    counter.add(parse(line))
            counter.skipped_all.update(counter.skipped)
            done = Done(path.name, lines=lines, listeners=counter.listeners, views=counter.views,
                        skipped=counter.skipped_all)
            if source.upto > source.start:
                done.first, done.upto, done.digest = source.first, source.upto, source.hasher.hexdigest()
                extra.append((done.first, done.upto, done.digest))
            results.append(done)
    finally:
        db.close()
    return results


def groups(paths: list[Path]) -> list[tuple[Path, ...]]:
    """The logs, those that begin with the same line together, in the order given."""
    by_first: dict[str, list[Path]] = {}
    for path in paths:
        by_first.setdefault(first_line_hash(head(path)), []).append(path)
    return [tuple(group) for group in by_first.values()]


def read_groups(batches: list[tuple[Path, ...]], fmt: str, jobs: int, counting) -> Iterator[Done]:
    """Each log's sums, in the order given; at most `jobs` + 1 groups read ahead of the parent's writing, so the
    sums waiting to be written stay few however many logs there are."""
    db_path = Path(counting.db.execute("PRAGMA database_list").fetchone()[2])
    work = collections.deque(Job(batch, fmt, db_path, counting.closed) for batch in batches)
    with multiprocessing.get_context("fork").Pool(jobs, _start, (counting.anonymizer.salts_dir, counting.lists)) as pool:
        pending = collections.deque()
        while work or pending:
            while work and len(pending) <= jobs:
                pending.append(pool.apply_async(_read, (work.popleft(),)))
            yield from pending.popleft().get()
