"""Loudness analysis (ITU-R BS.1770-4) and the two audio renditions.

Two decodes of the original at most:
1. `analyze` (done once at ingest and cached): integrated loudness, loudness
   range, true peak, maximum momentary and short-term loudness, and where the
   programme starts and ends (for trimming), all from ffmpeg's ebur128 meter.
2. `render`: one ffmpeg process decodes once, splits the signal and writes
   the podcast MP3 and the broadcast WAV side by side. Each branch is metered
   in the same process, so the loudness written into the bext chunk is that
   of the file delivered.

Gain is linear where the true-peak ceiling allows it. Where it does not, a
lookahead limiter runs at 4x the sample rate (so it catches inter-sample
peaks) with a safety margin below the ceiling. Limiting lowers integrated
loudness a little; when the metered result misses the target by more than
`TOLERANCE_LU`, the render is repeated once with the gain corrected by the
measured miss (only then is the original decoded a third time).
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import BadInput
from .media import FFmpeg, Progress, run_ffmpeg

ANALYSIS_VERSION = 1
RENDER_VERSION = 1
RATE = 48000
TOLERANCE_LU = 0.25
# A stretch whose momentary loudness stays this far below the programme counts as silence.
SILENCE_BELOW_LU = 20.0
TRIM_PAD_S = 0.25

_COMMON_CHAIN = f"aresample={RATE},aformat=sample_fmts=flt:channel_layouts=stereo"
_FRAME = re.compile(r"\[ebur128@(\w+) @ [^\]]+\] t:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+)\s+S:\s*(-?[\d.]+)")
_SUMMARY_START = re.compile(r"\[ebur128@(\w+) @ [^\]]+\] Summary:")
_SUMMARY_VALUE = re.compile(r"^\s+(I|LRA|Peak):\s+(-?[\d.]+|-inf)")


@dataclass
class Loudness:
    integrated: float  # LUFS
    loudness_range: float  # LU
    true_peak: float  # dBTP
    max_momentary: float  # LUFS
    max_short_term: float  # LUFS


@dataclass
class Analysis:
    """What `analyze` learns about an original recording (cached as analysis.json)."""

    loudness: Loudness
    duration: float  # seconds actually decoded
    programme_start: float  # first second above the silence threshold
    programme_end: float

    def to_dict(self) -> dict:
        return {"version": ANALYSIS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "Analysis":
        data = {k: v for k, v in data.items() if k != "version"}
        return cls(loudness=Loudness(**data.pop("loudness")), **data)


class _MeterLog:
    """Reads the ebur128 meters' log lines as ffmpeg writes them (named meters: ebur128@NAME).

    Keeps running maxima per meter, and the momentary loudness of every 100 ms
    frame only for the meter named in `keep_frames` (compactly: 3 h = 108,000 frames).
    """

    def __init__(self, keep_frames: str = "") -> None:
        self.keep_frames = keep_frames
        self.momentary = array("d")  # of `keep_frames`, one value per 100 ms frame
        self.last_time: dict[str, float] = {}
        self.max_momentary: dict[str, float] = {}
        self.max_short_term: dict[str, float] = {}
        self.summary: dict[str, dict[str, float]] = {}
        self._in_summary: str | None = None

    def feed(self, line: str) -> None:
        if m := _FRAME.search(line):
            name, t, momentary, short_term = m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4))
            self.last_time[name] = t
            self.max_momentary[name] = max(self.max_momentary.get(name, -120.7), momentary)
            self.max_short_term[name] = max(self.max_short_term.get(name, -120.7), short_term)
            if name == self.keep_frames:
                self.momentary.append(momentary)
        elif m := _SUMMARY_START.search(line):
            self._in_summary = m.group(1)
            self.summary[self._in_summary] = {}
        elif self._in_summary and (m := _SUMMARY_VALUE.match(line)):
            value = -math.inf if m.group(2) == "-inf" else float(m.group(2))
            self.summary[self._in_summary][m.group(1)] = value

    def loudness(self, name: str) -> Loudness:
        values = self.summary.get(name)
        if not values or "I" not in values:
            raise BadInput("no loudness measurement came out of the decoder (corrupt or empty audio?)")
        return Loudness(
            integrated=values["I"],
            loudness_range=values.get("LRA", 0.0),
            true_peak=values.get("Peak", -math.inf),
            max_momentary=self.max_momentary.get(name, -120.7),
            max_short_term=self.max_short_term.get(name, -120.7),
        )


def _meter(name: str) -> str:
    return f"ebur128@{name}=peak=true:framelog=verbose"


def analyze(ffmpeg: FFmpeg, source: Path, progress: Progress | None = None) -> Analysis:
    """Decode `source` once and measure it as the renditions will hear it (48 kHz stereo)."""
    log = _MeterLog(keep_frames="input")
    run_ffmpeg(
        ffmpeg,
        ["-v", "verbose", "-i", str(source), "-filter_complex", f"[0:a:0]{_COMMON_CHAIN},{_meter('input')}",
         "-f", "null", "-"],
        progress,
        log.feed,
    )
    loudness = log.loudness("input")
    duration = log.last_time.get("input", 0.0)
    threshold = max(loudness.integrated - SILENCE_BELOW_LU, -70.0)
    active = [i for i, m in enumerate(log.momentary) if m > threshold]
    # Frame i ends at (i + 1) * 0.1 s and covers the 0.4 s before it.
    start = max(0.0, (active[0] + 1) * 0.1 - 0.4 - TRIM_PAD_S) if active else 0.0
    end = min(duration, (active[-1] + 1) * 0.1 + TRIM_PAD_S) if active else duration
    return Analysis(loudness=loudness, duration=duration, programme_start=round(start, 3), programme_end=round(end, 3))


@dataclass
class Rendition:
    """One output of `render`: what to make and where."""

    name: str  # "podcast" or "broadcast"
    output: Path  # temporary path; the caller commits it
    target_lufs: float
    ceiling_dbtp: float
    gain_db: float = 0.0
    limited: bool = False
    measured: Loudness | None = None
    encode_args: list[str] = field(default_factory=list)
    trim: tuple[float, float] | None = None
    cover: Path | None = None  # picture embedded as the MP3's cover art
    sample_rate: int = RATE
    lossy: bool = False  # metered again after encoding
    margin_db: float = 0.3  # headroom the limiter keeps below the ceiling
    encoder_loss_db: float = 0.0  # level the encoder is known to take away, added back in advance


def plan_gain(analysis: Analysis, rendition: Rendition) -> None:
    """Linear gain to the target; a limiter only when the true-peak ceiling would be crossed."""
    rendition.gain_db = rendition.target_lufs - analysis.loudness.integrated + rendition.encoder_loss_db
    rendition.limited = analysis.loudness.true_peak + rendition.gain_db > rendition.ceiling_dbtp - rendition.margin_db


def _branch_chain(rendition: Rendition) -> str:
    steps = []
    if rendition.trim:
        start, end = rendition.trim
        steps += [f"atrim=start={start:.3f}:end={end:.3f}", "asetpts=PTS-STARTPTS",
                  "afade=t=in:d=0.02", f"afade=t=out:st={max(0.0, end - start - 0.02):.3f}:d=0.02"]
    steps.append(f"volume={rendition.gain_db:.3f}dB:precision=double")
    if rendition.limited:
        limit = 10 ** ((rendition.ceiling_dbtp - rendition.margin_db) / 20)
        steps += [f"aresample={RATE * 4}",
                  f"alimiter=limit={limit:.5f}:attack=1:release=60:level=disabled:latency=1",
                  f"aresample={RATE}"]
    if rendition.sample_rate != RATE:
        steps.append(f"aresample={rendition.sample_rate}")
    steps.append(_meter(rendition.name))
    return ",".join(steps)


def measure(ffmpeg: FFmpeg, path: Path, progress: Progress | None = None) -> Loudness:
    """Meter a finished file as a listener's player decodes it."""
    log = _MeterLog()
    run_ffmpeg(ffmpeg, ["-v", "verbose", "-i", str(path), "-map", "0:a:0", "-af", _meter("file"), "-f", "null", "-"],
               progress, log.feed)
    return log.loudness("file")


def _missed(rendition: Rendition) -> bool:
    measured = rendition.measured
    return (abs(measured.integrated - rendition.target_lufs) > TOLERANCE_LU
            or measured.true_peak > rendition.ceiling_dbtp)


def render(
    ffmpeg: FFmpeg,
    source: Path,
    analysis: Analysis,
    renditions: list[Rendition],
    progress: Progress | None = None,
) -> int:
    """Write every rendition in one decode; correct and redo once whatever missed its target.

    Lossy renditions are metered again after encoding (the encoder changes
    both loudness and peaks), so `measured` is always that of the file.
    Returns the number of decodes of `source` it took (1 or 2).
    """
    for rendition in renditions:
        plan_gain(analysis, rendition)
    _render_once(ffmpeg, source, renditions, progress)
    missed = [r for r in renditions if _missed(r)]
    if not missed:
        return 1
    for rendition in missed:
        rendition.gain_db += rendition.target_lufs - rendition.measured.integrated
        overshoot = max(0.0, rendition.measured.true_peak - rendition.ceiling_dbtp)
        rendition.margin_db += overshoot + (0.2 if overshoot else 0.0)
        rendition.limited = rendition.limited or overshoot > 0 or rendition.gain_db > 0
    _render_once(ffmpeg, source, missed, progress)
    return 2


def _render_once(ffmpeg: FFmpeg, source: Path, renditions: list[Rendition], progress: Progress | None) -> None:
    names = [r.name for r in renditions]
    graph = [f"[0:a:0]{_COMMON_CHAIN},asplit={len(renditions)}" + "".join(f"[{n}_in]" for n in names)]
    graph += [f"[{r.name}_in]{_branch_chain(r)}[{r.name}_out]" for r in renditions]
    args = ["-v", "verbose", "-i", str(source)]
    covers = [r for r in renditions if r.cover]
    for rendition in covers:
        args += ["-i", str(rendition.cover)]
    args += ["-filter_complex", ";".join(graph)]
    for rendition in renditions:
        args += ["-map", f"[{rendition.name}_out]"]
        if rendition.cover:
            args += ["-map", f"{1 + covers.index(rendition)}:v", "-c:v", "copy", "-disposition:v", "attached_pic",
                     "-metadata:s:v", "title=Cover (front)", "-metadata:s:v", "comment=Cover (front)"]
        args += [*rendition.encode_args, str(rendition.output)]
    log = _MeterLog()
    run_ffmpeg(ffmpeg, args, progress, log.feed)
    for rendition in renditions:
        rendition.measured = measure(ffmpeg, rendition.output) if rendition.lossy else log.loudness(rendition.name)
