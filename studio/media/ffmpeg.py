"""ffmpeg: finding the binary, probing media, and running it with progress.

ffmpeg comes from the imageio-ffmpeg wheel, a static build with every filter
and encoder Studio needs (ebur128, alimiter, libmp3lame, libx264, libass), so
nothing has to be installed by hand. `STUDIO_FFMPEG` names another binary.
There is no ffprobe in that wheel; probing uses PyAV, which bundles FFmpeg's
libraries and reads container and stream headers in-process.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import select
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..errors import BadInput, ProcessingError, ResourceError

Progress = Callable[[float], None]  # called with seconds of media done


STALL_TIMEOUT_S = 300.0  # studio.toml's ffmpeg_stall_timeout
TIME_FACTOR = 10.0  # studio.toml's ffmpeg_time_factor
MIN_TIME_LIMIT_S = 60.0  # the overall limit of a run on a short input


@dataclass(frozen=True)
class FFmpeg:
    path: str
    origin: str  # "STUDIO_FFMPEG", "imageio-ffmpeg wheel" or "system PATH"
    stall_timeout: float = STALL_TIMEOUT_S  # seconds without any output before a run is taken for hung
    # a run that writes files is stopped after this many times its input's duration (at least min_time_limit s),
    # however busy it looks
    time_factor: float = TIME_FACTOR
    min_time_limit: float = MIN_TIME_LIMIT_S

    def version(self) -> str:
        try:
            out = capture_ffmpeg(self, ["-version"]).decode("utf-8", "replace")
        except ProcessingError:
            return "unknown"
        return out.splitlines()[0] if out else "unknown"


def find_ffmpeg(stall_timeout: float = STALL_TIMEOUT_S, time_factor: float = TIME_FACTOR) -> FFmpeg:
    if env := os.environ.get("STUDIO_FFMPEG"):
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise ProcessingError(f"STUDIO_FFMPEG={env} is not an executable file")
        return FFmpeg(env, "STUDIO_FFMPEG", stall_timeout, time_factor)
    try:
        import imageio_ffmpeg

        return FFmpeg(imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg wheel", stall_timeout, time_factor)
    except (ImportError, RuntimeError):
        pass
    if system := shutil.which("ffmpeg"):
        return FFmpeg(system, "system PATH", stall_timeout, time_factor)
    raise ProcessingError("no ffmpeg found: reinstall Studio (it ships ffmpeg via imageio-ffmpeg) or set STUDIO_FFMPEG")


MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 768000


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float  # seconds, as the container declares it
    codec: str
    sample_rate: int
    channels: int
    has_video: bool


def probe(path: Path) -> MediaInfo:
    """Read container and audio-stream headers; BadInput when there is no usable audio."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            audio = [s for s in container.streams if s.type == "audio"]
            has_video = any(s.type == "video" and not _is_cover_art(s) for s in container.streams)
            if not audio:
                # Text, images and random bytes can open as a "video" (ANSI art, a still picture).
                name = container.format.name
                is_video = has_video and not (name in _NOT_VIDEO or name.endswith("_pipe"))
                what = "video has no audio track" if is_video else "no audio stream: not an audio or video file"
                raise BadInput(f"{path.name}: {what}")
            stream = audio[0]
            ctx = stream.codec_context
            if ctx is None or ctx.format is None:  # e.g. a WAV header with 0 bits per sample
                raise BadInput(f"{path.name}: audio stream has no sample format (corrupt header?)")
            if not ctx.sample_rate or not ctx.channels:
                raise BadInput(f"{path.name}: audio stream has no sample rate or channels (corrupt file?)")
            if not MIN_SAMPLE_RATE <= ctx.sample_rate <= MAX_SAMPLE_RATE:
                # A header claiming 1 Hz would make minutes of audio look like days to every decoder.
                raise BadInput(f"{path.name}: implausible sample rate {ctx.sample_rate} Hz (corrupt header?); "
                               f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz is accepted")
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            return MediaInfo(
                format_name=container.format.name,
                duration=duration,
                codec=ctx.name,
                sample_rate=ctx.sample_rate,
                channels=ctx.channels,
                has_video=has_video,
            )
    except av.error.FFmpegError as exc:
        raise BadInput(f"{path.name}: not a readable audio or video file ({_first_line(exc)})") from None


def check_complete(path: Path, info: MediaInfo) -> None:
    """BadInput when the container shows the file was cut short.

    Decoding alone cannot tell for two common formats: a WAV whose data chunk
    runs past the end of the file is given a duration from its actual size,
    and an Ogg (Opus, Vorbis) stream declares no duration but that of its
    last page. So the WAV header's data size and the Ogg end-of-stream flag
    are checked here.
    """
    if info.format_name == "wav":
        declared = _wav_declared_bytes(path)
        if declared:
            data_offset, data_size, byte_rate = declared
            held = path.stat().st_size - data_offset
            if data_size > held + 1 and byte_rate:
                raise BadInput(f"{path.name}: truncated: the WAV header declares {data_size / byte_rate:.1f} s "
                               f"but the file holds {max(0, held) / byte_rate:.1f} s")
    elif info.format_name == "ogg" and not _ogg_ends_cleanly(path):
        raise BadInput(f"{path.name}: truncated: the Ogg stream stops before its last page")


def _wav_declared_bytes(path: Path) -> tuple[int, int, int] | None:
    """(offset of the audio data, its size per the header, bytes per second), or None when not declared."""
    from . import riff

    try:
        with open(path, "rb") as f:
            layout = riff.read_layout(f, path.name, partial=True)
            fmt, data = layout.find(b"fmt "), layout.find(b"data")
            fmt_head = riff.read_body(f, fmt, 12) if fmt else b""
    except BadInput:  # not RIFF/RF64 (ffmpeg's wav demuxer reads a few more): nothing to check here
        return None
    # An RF64 size still unknown (0xFFFFFFFF): the recording was stopped before its header was finished.
    if not data or data.size in (0, riff.SIZE_IN_DS64):
        return None
    byte_rate = int.from_bytes(fmt_head[8:12], "little") if len(fmt_head) == 12 else 0
    return data.data_offset, data.size, byte_rate


def _ogg_ends_cleanly(path: Path) -> bool:
    """Whether the file's last Ogg page is whole and carries the end-of-stream flag."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 70_000))  # an Ogg page is at most 65,307 bytes
        tail = f.read()
    start = tail.rfind(b"OggS")
    while start >= 0:
        page = tail[start:]
        if len(page) >= 27 and page[4] == 0:  # capture pattern and stream structure version 0
            segments = page[26]
            if len(page) >= 27 + segments:
                length = 27 + segments + sum(page[27:27 + segments])
                return length <= len(page) and bool(page[5] & 0x04)  # (a tag appended after it is harmless)
            return False
        start = tail.rfind(b"OggS", 0, start)
    return False


_NOT_VIDEO = {"tty", "bin", "xbin", "adf", "idf", "image2", "image2pipe"}  # demuxers of text art and pictures


def _is_cover_art(stream) -> bool:
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- running ffmpeg -------------------------------------------------------------
#
# Every ffmpeg run goes through _Child: the child is killed on any way out of
# the Python code that started it (an error, Ctrl-C, a closed generator), dies
# with its parent even when that parent is SIGKILLed (PR_SET_PDEATHSIG), and is
# stopped when it shows no sign of life for `FFmpeg.stall_timeout` seconds, so a
# hung ffmpeg never holds an episode lock for ever. A run that writes files
# (run_ffmpeg) is also stopped when it lasts longer than `FFmpeg.time_factor`
# times its input's duration (the longest "Duration:" ffmpeg logs, or the one
# its caller gives), and at least `FFmpeg.min_time_limit`: an ffmpeg that keeps
# reporting progress but never ends.

_OUT_TIME = re.compile(r"^out_time_us=(\d+)")
_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_PROGRESS_LINE = re.compile(r"^[a-z_0-9]+=\S*$")
_PR_SET_PDEATHSIG = 1
_NO_SPACE = "No space left on device"
_CLOSING_LINE = re.compile(r"^(Exiting with exit code -?\d+|Conversion failed!)$")  # say nothing of why


@functools.cache
def _prctl():
    """libc's prctl, looked up in the parent: the child between fork and exec must not load libraries."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with_parent(prctl) -> Callable[[], None] | None:
    """A pre-exec hook asking the kernel to SIGKILL the child when its parent dies (Linux)."""
    if prctl is None:
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _input_name(cmd: list[str]) -> str:
    inputs = [cmd[i + 1] for i, arg in enumerate(cmd[:-1]) if arg == "-i"]
    return Path(inputs[0]).name if inputs else "its input"


class _Child:
    """One ffmpeg process: stdout read here with a stall watchdog, stderr drained by a thread."""

    def __init__(self, ffmpeg: FFmpeg, cmd: list[str], on_line: Callable[[str], None] | None = None,
                 limited: bool = False, duration: float | None = None):
        self.ffmpeg = ffmpeg
        self.cmd = cmd
        self.tail: deque[str] = deque(maxlen=50)
        self.started = self.last_activity = time.monotonic()
        self.limited = limited  # stopped after time_factor times the input's duration
        self.duration = duration  # the caller's, else the longest input duration ffmpeg logs
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True, preexec_fn=_die_with_parent(_prctl()))
        self._on_line = on_line
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _read_log(self) -> None:
        for raw in self.proc.stderr:
            self.last_activity = time.monotonic()
            line = raw.decode("utf-8", "replace")
            if not _PROGRESS_LINE.match(line.strip()):
                self.tail.append(line)
                if self.limited and (m := _DURATION.match(line)):
                    seconds = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
                    self.duration = max(self.duration or 0.0, seconds)
            if self._on_line:
                self._on_line(line)

    def read(self, size: int = 1 << 16, wait: float | None = None) -> bytes | None:
        """Up to `size` bytes of stdout, b"" at its end; ProcessingError when ffmpeg has stalled.

        With `wait`: None when nothing came within `wait` seconds, and no stall watch (the caller keeps its own:
        a live stream's reader, media.capture)."""
        fd = self.proc.stdout.fileno()
        waiting_since = time.monotonic()
        while True:
            timeout = min(1.0, self.ffmpeg.stall_timeout, wait if wait is not None else 1.0)
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
            self._check_time_limit()
            if ready:
                data = os.read(fd, size)
                self.last_activity = time.monotonic()
                return data
            if wait is not None:
                if time.monotonic() - waiting_since >= wait:
                    return None
                continue
            idle = time.monotonic() - max(self.last_activity, waiting_since)
            if idle >= self.ffmpeg.stall_timeout:
                self.kill()
                raise ResourceError(
                    f"ffmpeg made no progress on {_input_name(self.cmd)} for {idle:.0f} s and was stopped "
                    f"(ffmpeg_stall_timeout in studio.toml is {self.ffmpeg.stall_timeout:g} s)")

    def _check_time_limit(self) -> None:
        if not self.limited or self.duration is None:
            return
        limit = max(self.ffmpeg.min_time_limit, self.ffmpeg.time_factor * self.duration)
        elapsed = time.monotonic() - self.started
        if elapsed > limit:
            self.kill()
            raise ResourceError(
                f"ffmpeg ran for {elapsed:.0f} s on {_input_name(self.cmd)} ({round(self.duration, 1):g} s long) without "
                f"finishing and was stopped (ffmpeg_time_factor in studio.toml is {self.ffmpeg.time_factor:g})")

    def lines(self) -> Iterator[str]:
        """stdout as text lines (ffmpeg's -progress output)."""
        pending = b""
        while block := self.read():
            pending += block
            *whole, pending = pending.split(b"\n")
            for line in whole:
                yield line.decode("utf-8", "replace")
        if pending:
            yield pending.decode("utf-8", "replace")

    def finish(self) -> None:
        """Wait for the exit; ProcessingError with ffmpeg's last message when it failed."""
        self.proc.wait()
        self._reader.join()
        if self.proc.returncode == 0:
            return
        log = [line.strip() for line in self.tail if line.strip() and not _CLOSING_LINE.match(line.strip())]
        if any(_NO_SPACE in line for line in log):
            raise ResourceError(f"no space left on {Path(self.cmd[-1]).resolve().parent}")
        raise ProcessingError(f"ffmpeg failed (exit {self.proc.returncode}): {(log or ['no message'])[-1]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: a wrapper script's children too
            self.proc.wait()

    def close(self) -> None:
        self.kill()
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()


@contextlib.contextmanager
def _child(ffmpeg: FFmpeg, args: list[str], on_line: Callable[[str], None] | None = None, limited: bool = False,
           duration: float | None = None) -> Iterator[_Child]:
    child = _Child(ffmpeg, [ffmpeg.path, "-hide_banner", "-nostdin", *args], on_line, limited, duration)
    try:
        yield child
    finally:
        child.close()


def run_ffmpeg(
    ffmpeg: FFmpeg,
    args: list[str],
    progress: Progress | None = None,
    on_line: Callable[[str], None] | None = None,
    duration: float | None = None,
) -> list[str]:
    """Run ffmpeg with `args`; return the last lines of its log. Raises ProcessingError on failure.

    ffmpeg's machine-readable progress (-progress pipe:1) is always on: it is
    the sign of life the stall watchdog looks for, and `progress`, when given,
    gets the seconds of output written so far. `on_line` sees every log line
    as it comes (the log of a long file is large, so only its tail is kept).
    The run is stopped after `ffmpeg.time_factor` times `duration` (default:
    the longest input duration ffmpeg logs; no limit when none is known).
    """
    with _child(ffmpeg, ["-y", "-progress", "pipe:1", "-nostats", *args], on_line, True, duration) as child:
        for line in child.lines():
            if progress and (m := _OUT_TIME.match(line)):
                progress(int(m.group(1)) / 1_000_000)
        child.finish()
        return list(child.tail)


def read_ffmpeg(ffmpeg: FFmpeg, args: list[str], block_size: int = 1 << 16) -> Iterator[bytes]:
    """Run ffmpeg writing to stdout (`args` end in "-" or "pipe:1") and yield what it writes.

    Stopping the iteration early (or an exception in the consumer) kills
    ffmpeg; a consumer that is slow to ask for more is not taken for a stall.
    """
    with _child(ffmpeg, args) as child:
        while block := child.read(block_size):
            yield block
        child.finish()


@contextlib.contextmanager
def stream_ffmpeg(ffmpeg: FFmpeg, args: list[str]) -> Iterator[_Child]:
    """ffmpeg writing to stdout (`args` end in "pipe:1"), for a caller that reads it with deadlines of its own
    (`child.read(size, wait=...)`: a live stream that may stall or end at any time). Killed when the block ends."""
    with _child(ffmpeg, args) as child:
        yield child


def capture_ffmpeg(ffmpeg: FFmpeg, args: list[str]) -> bytes:
    """ffmpeg's whole stdout (for short listings such as -encoders)."""
    return b"".join(read_ffmpeg(ffmpeg, args))
