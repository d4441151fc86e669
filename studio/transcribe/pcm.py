"""The recording as 16 kHz mono samples, in windows of a few minutes cut at quiet moments."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ProcessingError, ResourceError
from ..media.ffmpeg import FFmpeg, read_ffmpeg
from .model import TranscriptionFailed

SAMPLE_RATE = 16000
READ_BLOCK = SAMPLE_RATE * 2 * 10  # 10 s of 16-bit samples


def probe_duration(audio: Path) -> float:
    """Container duration in seconds, 0.0 when unknown (progress then counts up only)."""
    try:
        import av

        with av.open(str(audio), metadata_errors="ignore") as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:
        pass
    return 0.0


def _quietest_point(samples: np.ndarray, lo: int, hi: int) -> int:
    """Sample index at the centre of the quietest 400 ms between lo and hi."""
    frame = SAMPLE_RATE // 50  # 20 ms
    region = samples[lo:hi]
    n = len(region) // frame
    if n < 2:
        return hi
    energy = (region[: n * frame].reshape(n, frame).astype(np.float32) ** 2).mean(axis=1)
    span = min(20, n)  # 400 ms
    smoothed = np.convolve(energy, np.ones(span) / span, mode="valid")
    # Prefer the latest of near-equal minima so that windows stay long.
    best = len(smoothed) - 1 - int(np.argmin(smoothed[::-1]))
    return lo + (best + span // 2) * frame


def pcm_windows(
    ffmpeg: FFmpeg, audio: Path, window_seconds: float, search_seconds: float = 30.0
) -> Iterator[tuple[float, np.ndarray]]:
    """(offset seconds, float32 16 kHz mono samples) windows, cut at quiet moments.

    Only one window plus one read block is held in memory at a time. A recording ffmpeg
    cannot decode is a TranscriptionFailed naming it; a stalled ffmpeg a ResourceError.
    """
    window = int(window_seconds * SAMPLE_RATE)
    search = int(min(search_seconds, window_seconds / 2) * SAMPLE_RATE)
    args = [
        "-v", "error", "-i", str(audio), "-map", "0:a:0", "-vn",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "-",
    ]  # fmt: skip
    buffer = np.zeros(0, dtype=np.int16)
    offset = 0
    leftover = b""
    blocks = read_ffmpeg(ffmpeg, args, READ_BLOCK)
    try:
        for block in blocks:
            block = leftover + block
            usable = len(block) - len(block) % 2
            leftover = block[usable:]
            buffer = np.concatenate([buffer, np.frombuffer(block[:usable], dtype=np.int16)])
            while len(buffer) >= window + search:
                cut = _quietest_point(buffer, window - search, window)
                yield offset / SAMPLE_RATE, buffer[:cut].astype(np.float32) / 32768.0
                offset += cut
                buffer = buffer[cut:].copy()
    except ResourceError:
        raise
    except ProcessingError as e:
        raise TranscriptionFailed(f"cannot decode audio {audio}: {e}") from None
    finally:
        blocks.close()  # stops ffmpeg when the consumer stops early
    if len(buffer) or offset == 0:
        yield offset / SAMPLE_RATE, buffer.astype(np.float32) / 32768.0
