"""Progress reporting on stderr: a bar for long work, quiet when asked."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Callable, Iterator, TextIO

SHOW_AFTER_S = 2.0  # short work gets no bar


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Reporter:
    """Messages and progress bars for the user; everything goes to stderr so stdout stays data."""

    def __init__(self, quiet: bool = False, verbose: bool = False, stream: TextIO | None = None):
        self.quiet = quiet
        self.verbose = verbose
        self.stream = stream or sys.stderr

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def debug(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def bar(self, label: str, total: float, unit: str = "audio") -> Iterator[Callable[[float], None]]:
        """Yield a callback taking the amount done (seconds of `unit`) out of `total`."""
        if self.quiet or total <= 0:
            yield lambda done: None
            return
        started = time.monotonic()
        interactive = self.stream.isatty()
        shown = False

        def update(done: float) -> None:
            nonlocal shown
            elapsed = time.monotonic() - started
            if elapsed < SHOW_AFTER_S or not interactive:
                return
            fraction = min(1.0, max(0.0, done / total))
            eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
            filled = int(fraction * 30)
            print(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {_clock(done)}/{_clock(total)} {unit}"
                  f"  ETA {_clock(eta)} ", end="", file=self.stream, flush=True)
            shown = True

        yield update
        if shown:
            print(file=self.stream, flush=True)
