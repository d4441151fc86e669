"""A clip's sound: its range of the episode audio decoded once, brought to the show's loudness target by
the one loudness planner (media.loudness), and the waveform levels the bars are drawn from."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..media.ffmpeg import FFmpeg, run_ffmpeg
from ..media.loudness import (
    MeterLog,
    Rendition,
    analysis_of,
    correct_gain,
    limiter_chain,
    meter_filter,
    missed,
    plan_gain,
)
from .layout import LEVELS_PER_SECOND, RATE

LIMITER_MARGIN_DB = 0.5  # headroom the limiter keeps below the true-peak ceiling
SILENCE_LUFS = -60.0  # a clip this quiet is left as it is: silence stays silence
MAX_RENDERS = 3


@dataclass(frozen=True)
class ClipAudio:
    """The clip's audio at the target loudness, as raw float32 stereo PCM at RATE Hz."""

    path: Path
    duration: float
    gain_db: float
    limited: bool
    loudness: float  # LUFS
    true_peak: float  # dBTP
    ffmpeg_runs: int  # the first one decodes the episode audio, the others read the decoded PCM
    seconds: dict[str, float] = field(default_factory=dict)  # wall time: "decode", "loudness"


_METER = "clip"


def prepare_audio(ffmpeg: FFmpeg, audio: Path, start: float, end: float, folder: Path, target_lufs: float,
                  ceiling_dbtp: float) -> ClipAudio:
    """Decode start..end of `audio` once, then bring the decoded PCM to `target_lufs` under `ceiling_dbtp`:
    a linear gain, and a 4x-oversampled limiter only where the ceiling needs it, planned and corrected as
    the renditions are (media.loudness.plan_gain, correct_gain)."""
    samples = round((end - start) * RATE)
    exact = f"atrim=end_sample={samples},apad=whole_len={samples}"
    decoded, final = folder / "decoded.f32", folder / "clip.f32"
    began = time.monotonic()
    log = MeterLog(keep_frames=_METER)
    run_ffmpeg(ffmpeg, [
        "-v", "verbose", "-ss", f"{start:.3f}", "-t", f"{end - start + 0.5:.3f}", "-i", str(audio), "-map", "0:a:0",
        "-vn", "-af", f"aresample={RATE},aformat=sample_fmts=flt:channel_layouts=stereo,{exact},{meter_filter(_METER)}",
        "-f", "f32le", str(decoded)], on_line=log.feed)
    analysis = analysis_of(log, _METER)
    seconds = {"decode": time.monotonic() - began}

    began = time.monotonic()
    clip = Rendition(name=_METER, output=final, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp,
                     margin_db=LIMITER_MARGIN_DB)
    silent = analysis.loudness.integrated <= SILENCE_LUFS
    if not silent:
        plan_gain(analysis, clip)
    runs = 1
    for _ in range(MAX_RENDERS):
        chain = [f"volume={clip.gain_db:.3f}dB:precision=double"]
        if clip.limited:
            chain += limiter_chain(clip.limit_dbtp, RATE)
        log = MeterLog()
        run_ffmpeg(ffmpeg, ["-v", "info", "-f", "f32le", "-ar", str(RATE), "-ch_layout", "stereo", "-i", str(decoded),
                            "-af", ",".join([*chain, exact, meter_filter(_METER)]), "-f", "f32le", "-c:a", "pcm_f32le",
                            str(final)], on_line=log.feed)
        clip.measured = log.loudness(_METER)
        runs += 1
        if silent or not missed(clip):
            break
        correct_gain(analysis, clip)
    seconds["loudness"] = time.monotonic() - began
    decoded.unlink(missing_ok=True)
    return ClipAudio(final, samples / RATE, round(clip.gain_db, 2), clip.limited, clip.measured.integrated,
                     clip.measured.true_peak, runs, seconds)


def analyze_levels(pcm: Path, per_second: int = LEVELS_PER_SECOND) -> np.ndarray:
    """The waveform: RMS of each 1/per_second s of the (stereo float) clip audio, scaled 0..1."""
    data = np.fromfile(pcm, dtype="<f4")
    mono = data.reshape(-1, 2).mean(axis=1) if data.size else data
    window = RATE // per_second
    count = max(1, math.ceil(mono.size / window))
    padded = np.zeros(count * window, dtype=np.float32)
    padded[: mono.size] = mono
    rms = np.sqrt(np.mean(padded.reshape(count, window) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-6))
    level = np.clip((db + 48.0) / 36.0, 0.0, 1.0)  # -48 dBFS .. -12 dBFS -> 0 .. 1
    smooth = np.convolve(np.pad(level, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.maximum(smooth, 0.0) ** 1.3
