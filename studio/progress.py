"""Progress reporting on stderr: a bar on a terminal, a line per stage in logs, quiet when asked."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
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

    def stage(self, name: str, steps: int = 1) -> None:
        """A stage of an episode's run begins (a job's reporter follows the run: RunModel); here nothing."""

    def step(self, number: int, of: int) -> None:
        """Sub-step `number` (0-based) of `of` of the current stage begins (a clip of the clips stage)."""

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


# -- one progress model for an episode's whole run ---------------------------------------------------
# Seconds each stage took on a 60-minute session (docs/performance.md, bench-e2e run 3, 2 cores): what the
# overall percent weighs each stage by. Transcription dominates; the renditions run beside it in `process`.
STAGE_SECONDS = {"ingest": 13.0, "renditions": 82.0, "transcript": 310.0, "speakers": 40.0, "text": 2.0, "clips": 40.0}
MIN_SHARE_FOR_ETA = 0.03  # under this share done, time left is not guessed


@dataclass
class RunProgress:
    """Where an episode's run stands: its stages in order, the one running, the overall share done (0..1,
    never lower than it was) and the seconds left (None: not known yet)."""

    stages: list[str]
    stage: str = ""
    share: float = 0.0
    left_s: float | None = None
    state: str = "running"  # running | done | failed
    run: str = ""  # the run's id: jobs of one chain go on with the same run
    started: float = 0.0  # wall clock (time.time()) of the run's start
    updated: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunProgress":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def percent(self) -> int:
        return int(self.share * 100)


class RunModel:
    """The overall share of a run: finished stages by their weight (STAGE_SECONDS), the running stage by the
    share of its current sub-step (a clip is one sub-step of the clips stage, never a restart), never going
    down. Time left: the time so far, scaled by what is left."""

    def __init__(self, progress: RunProgress, clock: Callable[[], float] = time.time):
        self.progress = progress
        self.clock = clock
        weights = [STAGE_SECONDS.get(stage, 1.0) for stage in progress.stages] or [1.0]
        self._total = sum(weights)
        self._weights = dict(zip(progress.stages, weights))
        self._steps, self._step = 1, 0
        if not progress.started:
            progress.started = clock()

    def _before(self, stage: str) -> float:
        stages = self.progress.stages
        done = stages[:stages.index(stage)] if stage in stages else []
        return sum(self._weights[s] for s in done)

    def begin(self, stage: str, steps: int = 1) -> None:
        """Stage `stage` begins (the ones before it are done)."""
        self.progress.stage = stage
        self._steps, self._step = max(1, steps), 0
        self._set(self._before(stage) / self._total)

    def step(self, number: int, of: int) -> None:
        """Sub-step `number` (0-based) of `of` of the current stage begins."""
        self._steps, self._step = max(1, of), min(max(0, number), max(1, of) - 1)
        self.update(0.0)

    def update(self, share: float) -> None:
        """The current sub-step is `share` (0..1) done."""
        stage = self.progress.stage
        weight = self._weights.get(stage, 0.0)
        within = (self._step + min(max(share, 0.0), 1.0)) / self._steps
        self._set((self._before(stage) + weight * within) / self._total)

    def end(self, state: str = "done") -> None:
        self.progress.state = state
        if state == "done":
            self.progress.share, self.progress.left_s = 1.0, 0.0
        self.progress.updated = self.clock()

    def _set(self, share: float) -> None:
        p = self.progress
        p.share = max(p.share, min(share, 1.0))  # only grows
        p.updated = self.clock()
        elapsed = p.updated - p.started
        p.left_s = elapsed * (1 - p.share) / p.share if p.share >= MIN_SHARE_FOR_ETA and elapsed > 0 else None
