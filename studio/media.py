"""ffmpeg: finding the binary, probing media, and running it with progress.

ffmpeg comes from the imageio-ffmpeg wheel, a static build with every filter
and encoder Studio needs (ebur128, alimiter, libmp3lame, libx264, libass), so
nothing has to be installed by hand. `STUDIO_FFMPEG` names another binary.
There is no ffprobe in that wheel; probing uses PyAV, which bundles FFmpeg's
libraries and reads container and stream headers in-process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import BadInput, ProcessingError

Progress = Callable[[float], None]  # called with seconds of media done


@dataclass(frozen=True)
class FFmpeg:
    path: str
    origin: str  # "STUDIO_FFMPEG", "imageio-ffmpeg wheel" or "system PATH"

    def version(self) -> str:
        out = subprocess.run([self.path, "-hide_banner", "-version"], capture_output=True, text=True)
        return out.stdout.splitlines()[0] if out.stdout else "unknown"


def find_ffmpeg() -> FFmpeg:
    if env := os.environ.get("STUDIO_FFMPEG"):
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise ProcessingError(f"STUDIO_FFMPEG={env} is not an executable file")
        return FFmpeg(env, "STUDIO_FFMPEG")
    try:
        import imageio_ffmpeg

        return FFmpeg(imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg wheel")
    except (ImportError, RuntimeError):
        pass
    if system := shutil.which("ffmpeg"):
        return FFmpeg(system, "system PATH")
    raise ProcessingError("no ffmpeg found: reinstall Studio (it ships ffmpeg via imageio-ffmpeg) or set STUDIO_FFMPEG")


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
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            if not ctx.sample_rate or not ctx.channels:
                raise BadInput(f"{path.name}: audio stream has no sample rate or channels (corrupt file?)")
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


_OUT_TIME = re.compile(r"^out_time_us=(\d+)")


def run_ffmpeg(
    ffmpeg: FFmpeg,
    args: list[str],
    progress: Progress | None = None,
    on_line: Callable[[str], None] | None = None,
) -> list[str]:
    """Run ffmpeg with `args`; return the last lines of its log. Raises ProcessingError on failure.

    With `progress`, ffmpeg's machine-readable progress (-progress pipe:1) is
    followed and the callback gets the seconds of output written so far.
    `on_line` sees every log line as it comes (the log of a long file is
    large, so only its tail is kept).
    """
    cmd = [ffmpeg.path, "-hide_banner", "-nostdin", "-y"]
    if progress:
        cmd += ["-progress", "pipe:1", "-nostats"]
    cmd += args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    tail: deque[str] = deque(maxlen=50)

    def read_log() -> None:
        for line in proc.stderr:
            tail.append(line)
            if on_line:
                on_line(line)

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    for line in proc.stdout:
        if progress and (m := _OUT_TIME.match(line)):
            progress(int(m.group(1)) / 1_000_000)
    proc.wait()
    reader.join()
    if proc.returncode != 0:
        last = [line.strip() for line in tail if line.strip()][-1:] or ["no message"]
        raise ProcessingError(f"ffmpeg failed (exit {proc.returncode}): {last[0]}")
    return list(tail)
