"""Capturing a live stream (Icecast/Shoutcast over HTTP, HLS) for a set length, whatever its drops.

One ffmpeg at a time reads the stream and writes raw PCM (48 kHz stereo, 16 bit) to a pipe; its samples are
written to a hidden file beside the target. When the stream drops (ffmpeg ends, fails, or sends nothing for
`stall_timeout` seconds) another ffmpeg connects, with a backoff, until the scheduled end. The recording's
clock stays true: each sample sits at the time it went on air, counted from the start. A server sends what it
holds at once on connecting (Icecast's burst), so the first second of each connection measures how far the
audio runs ahead of the clock; what goes before the start, or that was already written, is dropped, and the
time nobody heard is filled with silence of its real length and reported as a gap. The file ends at the
scheduled length, padded when the stream was down at the end. The PCM is then encoded to FLAC under the
target's name atomically (fsutil), so no half-written recording is ever visible.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput, ProcessingError, ResourceError
from ..fsutil import atomic_path, no_space_is_resource_error, open_for_writing, temp_path_for
from .ffmpeg import FFmpeg, run_ffmpeg, stream_ffmpeg

RATE = 48000
CHANNELS = 2
FRAME = 2 * CHANNELS  # bytes of one sample frame (s16le)
MEASURE_S = 1.0  # a connection's first second: how far its audio runs ahead of the clock
MIN_GAP_S = 0.05  # a shift shorter than this is the clock's noise, not a gap
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)  # waits between tries to connect, the last one repeated
MAX_LEAD_S = 60.0  # more than this at once (Icecast's burst is seconds, HLS's live edge tens): a file, not live


@dataclass(frozen=True)
class Gap:
    at: float  # seconds into the recording where the silence starts
    length: float  # seconds of silence put in


@dataclass
class Captured:
    file: Path
    duration: float  # seconds in the file: the scheduled length
    gaps: list[Gap] = field(default_factory=list)
    connections: int = 0  # times the stream came up


def safe_url(url: str) -> str:
    """`url` without a user name or password (a source URL or a private stream's credentials)."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url, flags=re.I)


def clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _Writer:
    """The PCM file, its length in frames, the gaps put in."""

    def __init__(self, f, total: int):
        self.f, self.total, self.frames, self.gaps = f, total, 0, []

    @property
    def full(self) -> bool:
        return self.frames >= self.total

    def silence_to(self, frame: int, say: Callable[[str], None]) -> None:
        """Silence from here to `frame` (bounded by the end), logged as a gap when it is one."""
        frame = min(frame, self.total)
        missing = frame - self.frames
        if missing <= 0:
            return
        if missing >= MIN_GAP_S * RATE:
            gap = Gap(round(self.frames / RATE, 3), round(missing / RATE, 3))
            self.gaps.append(gap)
            say(f"gap at {clock_text(gap.at)}: {gap.length:.1f} s of silence put in")
        zero = bytes(FRAME * RATE)
        while missing > 0:
            n = min(missing, RATE)
            self.f.write(zero[:n * FRAME])
            missing -= n
        self.frames = frame

    def audio(self, data: bytes) -> None:
        n = min(len(data) // FRAME, self.total - self.frames)
        self.f.write(data[:n * FRAME])
        self.frames += n


def capture_stream(ffmpeg: FFmpeg, url: str, target: Path, seconds: float, *, connect_timeout: float = 60.0,
                   stall_timeout: float = 10.0, say: Callable[[str], None] = lambda line: None,
                   clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                   progress_every: float | None = None) -> Captured:
    """Record `url` from now for `seconds` into `target` (FLAC); `say` gets a line per event (connected, lost,
    each gap, progress every `progress_every` seconds of audio: by default a hundredth of the length, 1-60 s).

    ResourceError when the stream never came up within `connect_timeout` seconds (nothing is written)."""
    run = _Capture(ffmpeg, url, seconds, connect_timeout, stall_timeout, say, clock,
                   progress_every or min(60.0, max(1.0, seconds / 100)))
    with no_space_is_resource_error(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
        pcm = temp_path_for(target.with_suffix(".pcm"))
    try:
        with no_space_is_resource_error(target.parent), open_for_writing(pcm) as f:
            out = _Writer(f, round(seconds * RATE))
            run.record(out, sleep)
            f.flush()
        say(f"recorded {clock_text(seconds)} of {clock_text(seconds)}")
        _encode(ffmpeg, pcm, target)
    finally:
        pcm.unlink(missing_ok=True)
    return Captured(file=target, duration=out.total / RATE, gaps=out.gaps, connections=run.connections)


class _Capture:
    """One recording's connections to its stream, in turn."""

    def __init__(self, ffmpeg: FFmpeg, url: str, seconds: float, connect_timeout: float, stall_timeout: float,
                 say: Callable[[str], None], clock: Callable[[], float], every: float):
        self.ffmpeg, self.url, self.shown = ffmpeg, url, safe_url(url)
        self.connect_timeout, self.stall_timeout = connect_timeout, stall_timeout
        self.say, self.clock, self.every = say, clock, every
        self.started = clock()
        self.end = self.started + seconds
        self.connections = 0
        self.next_progress = every
        self.last_reason = ""

    def record(self, out: _Writer, sleep: Callable[[float], None]) -> None:
        tries = 0
        while not out.full and self.clock() < self.end:
            if self.connections == 0 and self.clock() - self.started >= self.connect_timeout:
                break
            if self._connection(out):
                self.connections += 1
                tries = 0
                if not out.full and self.clock() < self.end:
                    self.say(f"stream lost at {clock_text(out.frames / RATE)}; connecting again")
                continue
            wait = min(BACKOFF_S[min(tries, len(BACKOFF_S) - 1)], max(0.0, self.end - self.clock()))
            if self.connections == 0:
                wait = min(wait, max(0.0, self.started + self.connect_timeout - self.clock()))
            tries += 1
            sleep(wait)
        if self.connections == 0:
            raise ResourceError(f"the stream {self.shown} did not come up within "
                                f"{min(self.connect_timeout, self.end - self.started):g} s: check the address and "
                                "that the station is on air")
        out.silence_to(out.total, self.say)  # down at the end: the file still has the scheduled length

    def _connection(self, out: _Writer) -> bool:
        """Read one connection until it ends, stalls or the recording is done; whether any audio came."""
        args = ["-loglevel", "error", "-probesize", "65536", "-analyzeduration", "500000", "-i", self.url,
                "-map", "0:a:0", "-vn", "-sn", "-dn", "-f", "s16le", "-ac", str(CHANNELS), "-ar", str(RATE), "pipe:1"]
        first_at = None  # when its first audio came (the clock)
        held: list[bytes] | None = []  # its first second, until its lead is known
        rest = b""  # bytes of an unfinished frame
        last_data = self.clock()
        with stream_ffmpeg(self.ffmpeg, args) as child:  # killed when this ends, however it ends
            while not out.full:
                now = self.clock()
                if now >= self.end + (2.0 if first_at is not None else 0.0):  # (the last sound on its way)
                    break
                if first_at is None and self.connections == 0 and now - self.started >= self.connect_timeout:
                    break
                block = child.read(1 << 16, wait=0.25)
                now = self.clock()
                if block is None:
                    if now - last_data >= self.stall_timeout:
                        self.say(f"no sound from {self.shown} for {self.stall_timeout:g} s")
                        break
                    continue
                if not block:
                    self._ended(child)
                    break
                last_data = now
                data, rest = _frames(rest + block)
                if first_at is None:
                    first_at = now
                if held is not None:
                    held.append(data)
                    if now - first_at >= MEASURE_S:
                        self._place(out, held, first_at, now)
                        held = None
                    continue
                out.audio(data)
                self._progress(out)
            if held:
                self._place(out, held, first_at, self.clock())
        return first_at is not None

    def _ended(self, child) -> None:
        """The stream ended: say why when ffmpeg says (a 404, a refused connection), once for each reason."""
        try:
            child.finish()
        except ProcessingError as exc:
            reason = str(exc).split(": ", 1)[-1].replace(self.url, self.shown)
            if reason != self.last_reason:
                self.say(f"{self.shown}: {reason}")
            self.last_reason = reason

    def _place(self, out: _Writer, held: list[bytes], first_at: float, now: float) -> None:
        """A connection's first second: where its first sample went on air, from how far it runs ahead."""
        data = b"".join(held)
        lead = max(0.0, len(data) / (FRAME * RATE) - (now - first_at))
        if lead > MAX_LEAD_S:
            raise BadInput(f"{self.shown} is not a live stream (it sent {lead:.0f} s of sound at once): record a "
                           "station's stream, or ingest a file with `studio ingest`")
        position = round((first_at - lead - self.started) * RATE)  # the recording's frame of its first sample
        if self.connections == 0 and not out.frames:
            self.say(f"connected to {self.shown} at {clock_text(max(0, position) / RATE)}")
        else:
            self.say(f"connected again to {self.shown} at {clock_text(max(0, position) / RATE)}")
        if position < out.frames:  # sent before the start, or sent again: already there
            data = data[(out.frames - position) * FRAME:]
        else:
            out.silence_to(position, self.say)
        out.audio(data)
        self._progress(out)

    def _progress(self, out: _Writer) -> None:
        done = out.frames / RATE
        if done >= self.next_progress and not out.full:
            self.say(f"recorded {clock_text(int(done))} of {clock_text(out.total / RATE)}")
            self.next_progress = (int(done / self.every) + 1) * self.every


def _frames(data: bytes) -> tuple[bytes, bytes]:
    cut = len(data) - len(data) % FRAME
    return data[:cut], data[cut:]


def _encode(ffmpeg: FFmpeg, pcm: Path, target: Path) -> None:
    with atomic_path(target) as temp:
        run_ffmpeg(ffmpeg, ["-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", str(CHANNELS),
                            "-i", str(pcm), "-c:a", "flac", "-f", "flac", str(temp)],
                   duration=pcm.stat().st_size / (RATE * FRAME))
