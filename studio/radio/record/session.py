"""One recording: the stream captured (media.capture), the capture ingested as an episode of the show, each
state in the recordings log. Its processing is the caller's (the command line, the recorder, a worker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ...errors import BadInput, ResourceError, StudioError
from ...media.capture import Gap, capture_stream, safe_url
from ...media.ffmpeg import FFmpeg
from ...pipeline.ingest import IngestRequest, ingest
from ...progress import Reporter
from ...workspace.layout import RECORDINGS_DIR
from ...workspace.tree import Workspace
from . import log


@dataclass
class Take:
    """What to record: a stream, for how long, into which show, under which title."""

    show: str
    url: str
    seconds: float
    title: str
    start: dt.datetime  # aware: the scheduled start (a one-off: now); the episode's recorded_on is its local date
    key: str = ""  # the occurrence's key (schedule.Occurrence.key); "" for a one-off: show@start
    description: str = ""

    def entry(self, state: str, **more) -> log.Entry:
        key = self.key or f"{self.show}@{self.start.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
        return log.Entry(key=key, show=self.show, state=state, start=self.start.isoformat(timespec="seconds"),
                         duration=self.seconds, url=safe_url(self.url), title=self.title, **more)


@dataclass
class Recorded:
    episode: str
    created: bool
    duration: float
    gaps: list[Gap] = field(default_factory=list)


def record(workspace: Workspace, ffmpeg: FFmpeg, take: Take, *, seconds: float | None = None,
           say: Callable[[str], None] = lambda line: None, reporter: Reporter | None = None,
           connect_timeout: float | None = None, claimed: bool = False) -> Recorded:
    """Capture `take` from now for `seconds` (default: its length), then ingest it. `claimed`: its "started"
    line is in the log already (the recorder's claim). Raises the one-line error of a failure, logged as failed;
    a capture whose ingest failed stays in .studio/recordings/ (named in the log)."""
    workspace.show(take.show)  # an unknown show fails before anything is recorded
    if not claimed:
        log.write(workspace, take.entry("started"))
    stamp = take.start.strftime("%Y-%m-%dT%H-%M-%S")
    target = workspace.root / RECORDINGS_DIR / f"{take.show}--{stamp}.flac"
    timeout = connect_timeout if connect_timeout is not None else workspace.settings.record_connect_timeout
    try:
        captured = capture_stream(ffmpeg, take.url, target, seconds or take.seconds, connect_timeout=timeout, say=say)
    except StudioError as exc:
        reason = "no_stream" if isinstance(exc, ResourceError) else "not_live" if isinstance(exc, BadInput) else "other"
        log.write(workspace, take.entry("failed", error=str(exc), reason=reason))
        raise
    except KeyboardInterrupt:
        log.write(workspace, take.entry("failed", error="interrupted: nothing was kept", reason="interrupted"))
        raise
    gaps = [asdict(g) for g in captured.gaps]
    request = IngestRequest(file=captured.file, show=take.show, title=take.title, description=take.description,
                            recorded_on=take.start.date().isoformat(), source=f"siaran {safe_url(take.url)}")
    try:
        result = ingest(workspace, ffmpeg, request, reporter)
    except StudioError as exc:
        log.write(workspace, take.entry("failed", error=str(exc), gaps=gaps, reason="ingest",
                                        file=str(captured.file.relative_to(workspace.root))))
        raise
    captured.file.unlink(missing_ok=True)  # the episode keeps it, byte for byte
    log.write(workspace, take.entry("done", episode=result.episode.id, gaps=gaps))
    return Recorded(result.episode.id, result.created, captured.duration, captured.gaps)
