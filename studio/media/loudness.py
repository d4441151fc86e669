"""Loudness analysis (ITU-R BS.1770-4) and the two audio renditions.

Two decodes of the original at most:
1. `analyze` (done once at ingest and cached): integrated loudness, loudness
   range, true peak, maximum momentary and short-term loudness, and where the
   programme starts and ends (for trimming), all from ffmpeg's ebur128 meter.
2. `render`: one ffmpeg process decodes once and writes the podcast MP3 and
   the broadcast WAV side by side. The WAV is metered in the same process,
   so the loudness written into the bext chunk is that of the file
   delivered; the MP3 is metered after encoding (reading the small MP3
   again is not a decode of the original).

Gain is linear where the true-peak ceiling allows it. Where it does not, a
lookahead limiter runs at 4x the sample rate (so it catches inter-sample
peaks) with a safety margin below the ceiling. Limiting lowers integrated
loudness, the more so the more often it acts (a loud music intro, speech
raised 10 dB): the analysis keeps, for every 400 ms block, its loudness and
its peak (`Analysis.blocks`), from which `LimiterModel` predicts what the
limiter will take away, and the gain is planned to make up for it. When the
metered result still misses the target by more than `TOLERANCE_LU`, the
render is repeated once with the gain corrected by the measured miss through
the same model (only then is the original decoded a third time).

Each rendition has its own filter graph in the one ffmpeg process, so
ffmpeg runs them on separate threads while decoding the input once.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import BadInput
from .ffmpeg import FFmpeg, Progress, run_ffmpeg
from .limiter import LimiterModel

ANALYSIS_VERSION = 2
RENDER_VERSION = 2
RATE = 48000
TOLERANCE_LU = 0.25
# A stretch whose momentary loudness stays this far below the programme counts as silence.
SILENCE_BELOW_LU = 20.0
TRIM_PAD_S = 0.25

# asetpts: time is counted in samples actually decoded, not taken from the container's
# timestamps, so a gap (a corrupt stretch skipped by the demuxer) or a late-starting audio
# track does not pass for audio; analysis and render share this timeline (for trimming).
_COMMON_CHAIN = f"aresample={RATE},asetpts=N/SR/TB,aformat=sample_fmts=flt:channel_layouts=stereo"
# ebur128 writes "nan" for a window of digital silence that follows sound: it must still count as a frame.
_FRAME = re.compile(r"\[ebur128@(\w+) @ [^\]]+\] t:\s*([\d.]+)\s+TARGET:\S+ LUFS"
                    r"\s+M:\s*(-?[\d.]+|nan|-?inf)\s+S:\s*(-?[\d.]+|nan|-?inf)")
_FRAME_PEAK = re.compile(r"FTPK:((?:\s+(?:-?[\d.]+|-inf))+)\s+dBFS")
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
    # A histogram of the 400 ms gating blocks: [momentary LUFS, true peak dBTP, count], both to
    # 0.5 dB; what the limiter model needs (a few thousand entries even for hours of audio).
    blocks: list[list[float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"version": ANALYSIS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "Analysis":
        data = {k: v for k, v in data.items() if k != "version"}
        return cls(loudness=Loudness(**data.pop("loudness")), **data)


class MeterLog:
    """Reads the ebur128 meters' log lines as ffmpeg writes them (named meters: ebur128@NAME).

    Keeps running maxima per meter, and the momentary loudness of every 100 ms
    frame only for the meter named in `keep_frames` (compactly: 3 h = 108,000 frames).
    """

    def __init__(self, keep_frames: str = "") -> None:
        self.keep_frames = keep_frames
        self.momentary = array("d")  # of `keep_frames`, one value per 100 ms frame
        self.peaks = array("d")  # of `keep_frames`: true peak of each 100 ms frame (dBTP, all channels)
        self.last_time: dict[str, float] = {}
        self.max_momentary: dict[str, float] = {}
        self.max_short_term: dict[str, float] = {}
        self.summary: dict[str, dict[str, float]] = {}
        self._in_summary: str | None = None

    def feed(self, line: str) -> None:
        if m := _FRAME.search(line):
            name, t = m.group(1), float(m.group(2))
            momentary, short_term = (_level(m.group(3)), _level(m.group(4)))
            self.last_time[name] = t
            self.max_momentary[name] = max(self.max_momentary.get(name, SILENT), momentary)
            self.max_short_term[name] = max(self.max_short_term.get(name, SILENT), short_term)
            if name == self.keep_frames:
                while len(self.momentary) < round(t * 10) - 1:  # frame i ends at (i + 1) * 0.1 s
                    self.momentary.append(SILENT)
                    self.peaks.append(-math.inf)
                self.momentary.append(momentary)
                peak = _FRAME_PEAK.search(line, m.end())
                self.peaks.append(max(float(v) for v in peak.group(1).split()) if peak else -math.inf)
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


SILENT = -120.7  # what ebur128 reports for silence


def _level(text: str) -> float:
    value = float(text)
    return SILENT if math.isnan(value) or value < SILENT else value


def meter_filter(name: str) -> str:
    """An ebur128 meter named `name` (its log lines read `[ebur128@name ...]`), true peak on; frames
    are logged at the verbose level, so an ffmpeg run at `-v info` logs only the summary."""
    return f"ebur128@{name}=peak=true:framelog=verbose"


NO_PEAK = -200.0  # a block of digital silence (JSON has no -inf)


def _block_histogram(momentary: array, peaks: array) -> list[list[float]]:
    """[loudness, peak, count] of every 400 ms block (frame i and the three before it)."""
    counts: Counter = Counter()
    for i, m in enumerate(momentary):
        if m <= -110.0:  # never above the -70 LUFS gate, whatever the gain
            continue
        peak = max(peaks[max(0, i - 3):i + 1], default=-math.inf)
        counts[(round(m * 2) / 2, round(peak * 2) / 2 if peak > NO_PEAK else NO_PEAK)] += 1
    return [[m, p, n] for (m, p), n in sorted(counts.items())]


def analyze(ffmpeg: FFmpeg, source: Path, progress: Progress | None = None) -> Analysis:
    """Decode `source` once and measure it as the renditions will hear it (48 kHz stereo)."""
    log = MeterLog(keep_frames="input")
    run_ffmpeg(
        ffmpeg,
        ["-v", "verbose", "-i", str(source), "-filter_complex", f"[0:a:0]{_COMMON_CHAIN},{meter_filter('input')}[out]",
         "-map", "[out]", "-f", "null", "-"],  # mapped explicitly: a video track is not decoded
        progress,
        log.feed,
    )
    analysis = analysis_of(log, "input")
    loudness, duration = analysis.loudness, analysis.duration
    # Silence is judged against the typical level of the programme (the median block), not its
    # integrated loudness: a loud music intro raises the integrated loudness far above quiet speech,
    # whose last words would otherwise be trimmed away as if they were silence.
    audible = sorted(m for m in log.momentary if m > max(-70.0, loudness.integrated - 30.0))
    typical = min(loudness.integrated, audible[len(audible) // 2]) if audible else loudness.integrated
    threshold = max(typical - SILENCE_BELOW_LU, -70.0)
    active = [i for i, m in enumerate(log.momentary) if m > threshold]
    # Frame i ends at (i + 1) * 0.1 s and covers the 0.4 s before it.
    start = max(0.0, (active[0] + 1) * 0.1 - 0.4 - TRIM_PAD_S) if active else 0.0
    end = min(duration, (active[-1] + 1) * 0.1 + TRIM_PAD_S) if active else duration
    analysis.programme_start, analysis.programme_end = round(start, 3), round(end, 3)
    return analysis


def analysis_of(log: MeterLog, name: str) -> Analysis:
    """What the meter `name` measured (its frames kept: MeterLog(keep_frames=name)), the whole audio being
    the programme."""
    duration = log.last_time.get(name, 0.0)
    return Analysis(loudness=log.loudness(name), duration=duration, programme_start=0.0, programme_end=duration,
                    blocks=_block_histogram(log.momentary, log.peaks))


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

    @property
    def limit_dbtp(self) -> float | None:
        return self.ceiling_dbtp - self.margin_db if self.limited else None


def plan_gain(analysis: Analysis, rendition: Rendition) -> None:
    """Linear gain to the target; a limiter only when the true-peak ceiling would be crossed,
    with the gain raised by what the model predicts the limiter will take away."""
    rendition.gain_db = rendition.target_lufs - analysis.loudness.integrated + rendition.encoder_loss_db
    rendition.limited = analysis.loudness.true_peak + rendition.gain_db > rendition.ceiling_dbtp - rendition.margin_db
    model = LimiterModel(analysis)
    if rendition.limited and model:
        rendition.gain_db = model.gain_for(rendition.target_lufs, rendition.limit_dbtp, -rendition.encoder_loss_db)


def correct_gain(analysis: Analysis, rendition: Rendition) -> None:
    """After a render that missed: a gain for the second one, from the measured result.

    Whatever the model did not foresee (its error, the encoder's real loss)
    is taken as a constant offset; the model still accounts for the limiter
    taking more as the gain rises.
    """
    measured = rendition.measured
    model = LimiterModel(analysis)
    before = rendition.limit_dbtp
    overshoot = max(0.0, measured.true_peak - rendition.ceiling_dbtp)
    if overshoot:  # an encoder's overshoot grows with the limiting: keep well clear on the second try
        rendition.margin_db += (2 * overshoot + 0.3) if rendition.lossy else (overshoot + 0.2)
    rendition.limited = rendition.limited or overshoot > 0 or measured.integrated < rendition.target_lufs
    if not model:
        rendition.gain_db += rendition.target_lufs - measured.integrated
        return
    predicted = analysis.loudness.integrated + rendition.gain_db - model.loss(rendition.gain_db, before)
    offset = measured.integrated - predicted
    rendition.gain_db = model.gain_for(rendition.target_lufs, rendition.limit_dbtp, offset)


@dataclass
class Treatment:
    """Sound processing before the gain (media.processing makes it): `filters` on the 48 kHz timeline in the
    recording's own channels, then, when given, a gain envelope multiplied in (a raw stereo float file at
    `envelope_rate`, resampled to 48 kHz). The renditions share one treated stream (asplit)."""

    filters: list[str]
    envelope: Path | None = None
    envelope_rate: int = 100
    channels: int = 2  # of the treated stream and the envelope (1: mono, 2: stereo)


def treatment_head(treatment: Treatment, label: str, first_input: int = 1) -> tuple[str, list[str]]:
    """The graph that treats input 0 into `[label]` (48 kHz stereo float, the timeline of _COMMON_CHAIN), and
    the input arguments it needs after the original's (the envelope is input `first_input`)."""
    layout = "mono" if treatment.channels == 1 else "stereo"
    steps = [f"aresample={RATE}", "asetpts=N/SR/TB", "aformat=sample_fmts=flt", *treatment.filters,
             f"aformat=sample_fmts=flt:channel_layouts={layout}"]
    if treatment.envelope is None:
        return f"[0:a:0]{','.join(steps)}[{label}]", []
    inputs = ["-f", "f32le", "-ar", str(treatment.envelope_rate), "-ch_layout", layout, "-i", str(treatment.envelope)]
    graph = (f"[0:a:0]{','.join(steps)}[{label}_pre];"
             f"[{first_input}:a]aresample={RATE},aformat=sample_fmts=flt:channel_layouts={layout}[{label}_gain];"
             f"[{label}_pre][{label}_gain]amultiply[{label}]")
    return graph, inputs


def _branch_chain(rendition: Rendition, head: str = _COMMON_CHAIN) -> str:
    steps = [head] if head else []
    if rendition.trim:
        start, end = rendition.trim
        steps += [f"atrim=start={start:.3f}:end={end:.3f}", "asetpts=PTS-STARTPTS",
                  "afade=t=in:d=0.02", f"afade=t=out:st={max(0.0, end - start - 0.02):.3f}:d=0.02"]
    steps.append(f"volume={rendition.gain_db:.3f}dB:precision=double")
    if rendition.limited:
        # The limiter runs at 4x the output rate. For a lossy rendition the way back down also
        # band-limits to 0.74 of Nyquist (16.3 kHz at 44.1 kHz; LAME at 128 kbit/s cuts at 17 kHz
        # anyway): what the encoder would filter away no longer hides under the limiter, so the
        # encoded peaks stay closer to the limit (up to 0.8 dB closer on heavily limited music).
        steps += limiter_chain(rendition.limit_dbtp, rendition.sample_rate, cutoff=0.74 if rendition.lossy else None)
    elif rendition.sample_rate != RATE:
        steps.append(f"aresample={rendition.sample_rate}")
    if not rendition.lossy:  # a lossy file is metered after encoding instead
        steps.append(meter_filter(rendition.name))
    return ",".join(steps) or "anull"


def limiter_chain(limit_dbtp: float, sample_rate: int, cutoff: float | None = None) -> list[str]:
    """Filters that keep true peaks under `limit_dbtp`: a lookahead limiter at 4x `sample_rate`
    (so it catches inter-sample peaks), then back to `sample_rate`, low-passed at `cutoff`
    (a fraction of Nyquist) when given."""
    limit = 10 ** (limit_dbtp / 20)
    return [f"aresample={sample_rate * 4}",
            f"alimiter=limit={limit:.5f}:attack=1:release=60:level=disabled:latency=1",
            f"aresample={sample_rate}" + (f":cutoff={cutoff}" if cutoff else "")]


def measure(ffmpeg: FFmpeg, path: Path, progress: Progress | None = None) -> Loudness:
    """Meter a finished file as a listener's player decodes it."""
    log = MeterLog()
    run_ffmpeg(ffmpeg, ["-v", "verbose", "-i", str(path), "-map", "0:a:0", "-af", meter_filter("file"),
                        "-f", "null", "-"], progress, log.feed)
    return log.loudness("file")


def missed(rendition: Rendition) -> bool:
    """Whether the rendition as measured is off its target by more than TOLERANCE_LU, or over its ceiling."""
    measured = rendition.measured
    return (abs(measured.integrated - rendition.target_lufs) > TOLERANCE_LU
            or measured.true_peak > rendition.ceiling_dbtp)


def render(
    ffmpeg: FFmpeg,
    source: Path,
    analysis: Analysis,
    renditions: list[Rendition],
    progress: Progress | None = None,
    treatment: Treatment | None = None,
) -> int:
    """Write every rendition in one decode; correct and redo once whatever missed its target.

    With a `treatment`, `analysis` is that of the treated recording (predicted), and the treated stream feeds
    every rendition.
    Lossy renditions are metered again after encoding (the encoder changes
    both loudness and peaks), so `measured` is always that of the file.
    Returns the number of decodes of `source` it took (1 or 2).
    """
    for rendition in renditions:
        plan_gain(analysis, rendition)
    _render_once(ffmpeg, source, renditions, progress, treatment)
    again = [r for r in renditions if missed(r)]
    if not again:
        return 1
    for rendition in again:
        correct_gain(analysis, rendition)
    _render_once(ffmpeg, source, again, progress, treatment)
    return 2


def _render_once(ffmpeg: FFmpeg, source: Path, renditions: list[Rendition], progress: Progress | None,
                 treatment: Treatment | None = None) -> None:
    args = ["-v", "verbose", "-i", str(source)]
    covers = [r for r in renditions if r.cover]
    for rendition in covers:
        args += ["-i", str(rendition.cover)]
    if treatment is None:
        for rendition in renditions:  # one graph each: ffmpeg gives each graph a thread, the decoder feeds them all
            args += ["-filter_complex", f"[0:a:0]{_branch_chain(rendition)}[{rendition.name}_out]"]
    else:  # the treatment once, split to the renditions
        head, inputs = treatment_head(treatment, "treated", 1 + len(covers))
        args += inputs
        names = [f"[treated_{r.name}]" for r in renditions]
        graph = f"{head};[treated]asplit={len(renditions)}{''.join(names)}"
        for name, rendition in zip(names, renditions):
            graph += f";{name}{_branch_chain(rendition, head='')}[{rendition.name}_out]"
        args += ["-filter_complex", graph]
    for rendition in renditions:
        args += ["-map", f"[{rendition.name}_out]"]
        if rendition.cover:
            args += ["-map", f"{1 + covers.index(rendition)}:v", "-c:v", "copy", "-disposition:v", "attached_pic",
                     "-metadata:s:v", "title=Cover (front)", "-metadata:s:v", "comment=Cover (front)"]
        args += [*rendition.encode_args, str(rendition.output)]
    log = MeterLog()
    run_ffmpeg(ffmpeg, args, progress, log.feed)
    for rendition in renditions:
        rendition.measured = measure(ffmpeg, rendition.output) if rendition.lossy else log.loudness(rendition.name)
