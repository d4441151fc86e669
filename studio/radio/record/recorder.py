"""`studio recorder`: records the shows' [[recordings]] at their times, without a broker.

Each look at the schedule (a tick) takes the recordings that started since the last one: one found up to
record_late_after seconds late is recorded (for what is left of it); one found later, because nothing was
running at its start (the machine was off), is reported and logged as missed. A recording is claimed in the log
first, so it is never taken twice, by this recorder or another. Each recording runs in a thread of its own; its
episode is handed to `after` (processing: in this process, or queued for the workers). Between ticks the recorder
sleeps until the next start (at most a minute, so an edited show is read again); its clock and its sleep are
given, so a test runs it on a clock of its own.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable

from ...errors import ProcessingError, StudioError, explain
from ...fsutil import read_json, write_json
from ...media.capture import safe_url
from ...media.ffmpeg import FFmpeg
from ...pipeline import ProcessOptions, process_episode
from ...progress import Reporter
from ...workspace.layout import RECORDER_STATE_FILE
from ...workspace.tree import Workspace
from . import log
from .schedule import Occurrence, next_start, starts_between
from .session import Take, record

LOOK_AGAIN_S = 60.0  # the longest sleep between ticks
MISSED_LOOKBACK = dt.timedelta(days=31)  # a recorder stopped longer reports the airings of the last month


def now_local() -> dt.datetime:
    return dt.datetime.now().astimezone()


class Recorder:
    def __init__(self, workspace: Workspace, ffmpeg: FFmpeg, *, after: Callable[[str], None],
                 say: Callable[[str], None], reporter: Reporter | None = None,
                 now: Callable[[], dt.datetime] = now_local, sleep: Callable[[float], bool] | None = None,
                 claim: Callable[[str], bool] = lambda key: True,
                 start: Callable[[Take, dt.datetime], None] | None = None):
        """`claim(key)` is asked before the log (the workers' claim in Redis); `start(take, end)` records it
        (default: a thread of this process; the workers send it to the record queue)."""
        self.workspace, self.ffmpeg, self.after, self.say = workspace, ffmpeg, after, say
        self.reporter = reporter or Reporter(quiet=True)
        self.now = now
        self.claim = claim
        self.start = start or self._start_thread
        self.stopped = threading.Event()
        self.sleep = sleep or self.stopped.wait  # returns True when the recorder is to stop
        self.running: dict[str, threading.Thread] = {}

    def run(self) -> None:
        """Tick, sleep until the next start, again, until stopped; then wait for the recordings under way."""
        complaint = ""
        while True:
            pause = LOOK_AGAIN_S
            try:
                self.tick()
                now = self.now()
                if upcoming := next_start(list(self.workspace.shows().values()), now):
                    pause = min(LOOK_AGAIN_S, (upcoming - now).total_seconds())
                complaint = ""
            except StudioError as exc:  # a show's settings broken while running: said once, read again later
                if str(exc) != complaint:
                    self.say(f"error: {exc}")
                complaint = str(exc)
            if self.sleep(max(0.0, pause)):
                break
        self.join()

    def join(self) -> None:
        for thread in list(self.running.values()):
            thread.join()

    def tick(self) -> list[Occurrence]:
        """Start (or report as missed) each recording that started since the last tick; the ones started."""
        now = self.now()
        settings = self.workspace.settings
        state = self.workspace.root / RECORDER_STATE_FILE
        seen = read_json(state, {}) or {}
        try:
            since = max(dt.datetime.fromisoformat(seen["seen_until"]), now - MISSED_LOOKBACK)
        except (KeyError, TypeError, ValueError):
            since = now - dt.timedelta(seconds=settings.record_late_after)  # first run: nothing can be missed
        started = []
        for occurrence in starts_between(list(self.workspace.shows().values()), since, now):
            late = (now - occurrence.start).total_seconds()
            take = _take(occurrence)
            if late > settings.record_late_after or now >= occurrence.end:
                if log.claim(self.workspace, take.entry("missed")):
                    self.say(f"{occurrence.key}: missed: nothing was running at its start "
                             f"({occurrence.start.isoformat(timespec='minutes')})")
                continue
            if occurrence.key in self.running or not self.claim(occurrence.key):
                continue
            if not log.claim(self.workspace, take.entry("started")):
                continue
            self.start(take, occurrence.end)
            started.append(occurrence)
        write_json(state, {"seen_until": now.isoformat()})
        return started

    def _start_thread(self, take: Take, end: dt.datetime) -> None:
        seconds = (end - self.now()).total_seconds()  # on the recorder's clock, read in its tick
        thread = threading.Thread(target=record_claimed, name=f"record {take.key}",
                                  args=(self.workspace, self.ffmpeg, take, seconds, self.after, self.say),
                                  kwargs={"reporter": self.reporter})
        self.running[take.key] = thread
        thread.start()


def record_claimed(workspace: Workspace, ffmpeg: FFmpeg, take: Take, seconds: float, after: Callable[[str], None],
                   say: Callable[[str], None], reporter: Reporter | None = None) -> str | None:
    """Record a claimed airing for the `seconds` left of it, ingest it, hand the episode to `after`; its id, or
    None when it failed (said in one line and logged)."""
    def tell(line: str) -> None:
        say(f"{take.key}: {line}")

    try:
        if seconds <= 0:
            message = "not recorded: nothing was free to record it before its end"
            log.write(workspace, take.entry("failed", error=message, reason="no_time"))
            raise ProcessingError(message)
        tell(f"recording {safe_url(take.url)} for {seconds:.0f} s into {take.show}")
        done = record(workspace, ffmpeg, take, seconds=seconds, say=tell, reporter=reporter, claimed=True)
    except Exception as exc:  # noqa: BLE001 - logged as failed; the others go on
        tell(f"error: {explain(exc, workspace.root)[0]}")
        return None
    tell(f"ingested as {done.episode}" + (f" ({len(done.gaps)} gap(s))" if done.gaps else ""))
    try:
        after(done.episode)
    except StudioError as exc:
        tell(f"error: {done.episode}: {exc}")
    return done.episode


def _take(occurrence: Occurrence) -> Take:
    recording = occurrence.recording
    return Take(show=occurrence.show.slug, url=recording.url, seconds=recording.seconds, title=occurrence.title,
                start=occurrence.start, key=occurrence.key, description=recording.description)


class ProcessHere:
    """Episodes processed one at a time in a thread of this process (a recorder without a broker)."""

    def __init__(self, workspace: Workspace, ffmpeg: FFmpeg, options: ProcessOptions, say: Callable[[str], None],
                 reporter: Reporter | None = None):
        self.workspace, self.ffmpeg, self.options, self.say = workspace, ffmpeg, options, say
        self.reporter = reporter or Reporter(quiet=True)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="process recordings", daemon=True)
        self._thread.start()

    def __call__(self, episode_id: str) -> None:
        self._queue.put(episode_id)

    def close(self) -> None:
        """Finish the episodes handed over, then stop."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (episode_id := self._queue.get()) is not None:
            try:
                report = process_episode(self.workspace, self.ffmpeg, episode_id, self.reporter, self.options)
                self.say(f"{episode_id}: processed ({', '.join(report.done) or 'nothing to do'})")
            except Exception as exc:  # noqa: BLE001 - one line; the next episode goes on
                self.say(f"error: {explain(exc, self.workspace.root)[0]}")
