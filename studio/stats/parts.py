"""Logs counted in parts: the parent reads each log in order, about PART_BYTES at a time (hashing what it reads),
and hands each part to a worker process (one per core) that parses it and sends back its sums; the parent writes
the sums of each part, in the log's order, in one transaction with the record of how far the log was read.

So memory stays flat however big one log is (a few parts in flight), one big log uses every core, and an import
that is interrupted resumes after the last part written: nothing counts twice, nothing is lost. Logs that begin
with the same line (a log and its rotated copy) are read one after the other, the second from where the first
ended, as importer.open_source says.
"""

from __future__ import annotations

import collections
import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .identity import Anonymizer
from .lists import UserAgents, lists_dir
from .readers import READERS, Reader
from .sums import Counter

PART_BYTES = 8 << 20  # about 40,000 lines of a combined log: the sums of one part are a few MB


@dataclass(frozen=True)
class Part:
    """Some complete lines of one log, and how to read them."""

    fmt: str
    headers: tuple[str, ...]
    data: bytes


@dataclass
class Sums:
    """What one part gave."""

    lines: int = 0
    listeners: dict = field(default_factory=dict)
    views: collections.Counter = field(default_factory=collections.Counter)
    skipped: collections.Counter = field(default_factory=collections.Counter)

    def write(self, db: sqlite3.Connection) -> None:
        Counter.write(db, self.listeners, self.views, self.skipped)


class PartCounter:
    """Counts parts, keeping a reader per format and what it learnt of addresses and user agents."""

    current: PartCounter | None = None  # a worker process's own

    def __init__(self, anonymizer: Anonymizer, agents: UserAgents, closed: str) -> None:
        self.counter = Counter(anonymizer, agents, closed)
        self._readers: dict[tuple[str, tuple[str, ...]], Reader] = {}

    def reader(self, fmt: str, headers: tuple[str, ...]) -> Reader:
        reader = self._readers.get((fmt, headers))
        if reader is None:
            reader = self._readers[(fmt, headers)] = READERS[fmt]()
            for line in headers:
                reader.header(line)
        return reader

    def count(self, part: Part) -> Sums:
        parse, add, lines = self.reader(part.fmt, part.headers).parse, self.counter.add, 0
        for line in part.data.decode("utf-8", errors="replace").splitlines():
            if line and not line.startswith("#"):
                lines += 1
                add(parse(line))
        return Sums(lines, *self.counter.take())


def _start(salts: Path, lists: Path, closed: str) -> None:
    PartCounter.current = PartCounter(Anonymizer(salts, lists), UserAgents(lists_dir(lists)), closed)


def _count(part: Part) -> Sums:
    return PartCounter.current.count(part)


def counted(parts: Iterator[tuple[Part, object]], jobs: int, anonymizer: Anonymizer, lists: Path,
            closed: str, agents: Callable[[], UserAgents]) -> Iterator[tuple[Sums, object]]:
    """Each part's sums with what came with it (the caller's record), in the order of `parts`: in this process
    when `jobs` is 1, else in
    `jobs` worker processes with at most `jobs` + 1 parts read ahead of the caller's writing."""
    if jobs <= 1:
        counter = None  # made at the first part: a report with nothing new to read compiles no patterns
        for part, record in parts:
            counter = counter or PartCounter(anonymizer, agents(), closed)
            yield counter.count(part), record
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, _start, (anonymizer.salts_dir, lists, closed)) as pool:
        pending: collections.deque = collections.deque()
        for part, record in parts:
            pending.append((pool.apply_async(_count, (part,)), record))
            del part
            if len(pending) > jobs:
                result, record = pending.popleft()
                yield result.get(), record
        while pending:
            result, record = pending.popleft()
            yield result.get(), record
