"""Progress reporting on stderr: a bar on a terminal, a line per stage in logs, quiet when asked."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterator, TextIO

from tqdm import tqdm

SHOW_AFTER_S = 2.0  # short work gets no bar


class Reporter:
    """Messages and progress for the user; everything goes to stderr so stdout stays data."""

    def __init__(self, quiet: bool = False, verbose: bool = False, stream: TextIO | None = None, *,
                 clock: Callable[[], float] = time.monotonic, show_after: float = SHOW_AFTER_S):
        self.quiet = quiet
        self.verbose = verbose
        self.stream = stream or sys.stderr
        self.clock = clock  # what "done in 2.3 s" is measured with (a test gives its own)
        self.show_after = show_after  # seconds of work before a stage is announced or its bar shown

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def debug(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def bar(self, label: str, total: float, unit: str = "audio") -> Iterator[Callable[[float], None]]:
        """Yield a callback taking the amount done (seconds of `unit`) out of `total`.

        On a terminal: a bar, once the work has taken `show_after`. Elsewhere (cron
        logs, CI) a bar would be noise: once the work has taken `show_after`, a line
        saying it started, and one when it is done, with how long it took. Short
        work says nothing either way, so a refused input still gets one line.
        """
        if self.quiet:
            yield lambda done: None
        elif not self.stream.isatty():
            with self._stage_lines(label):
                yield lambda done: None
        elif total <= 0:
            yield lambda done: None
        else:
            with tqdm(total=total, desc=label, file=self.stream, delay=self.show_after, dynamic_ncols=True,
                      bar_format="{desc} {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s " + unit
                                 + " [{elapsed}<{remaining}]") as progress:
                yield lambda done: progress.update(min(max(done, 0.0), total) - progress.n)

    @contextlib.contextmanager
    def _stage_lines(self, label: str) -> Iterator[None]:
        started = self.clock()
        announced = threading.Event()

        def announce() -> None:
            announced.set()
            self.info(f"{label}: started")

        timer = threading.Timer(self.show_after, announce)  # a thread: a stage that hangs is still announced
        timer.daemon = True
        timer.start()
        outcome = "stopped after"
        try:
            yield
            outcome = "done in"
        finally:
            timer.cancel()
            timer.join()
            if announced.is_set():
                self.info(f"{label}: {outcome} {self.clock() - started:.1f} s")
