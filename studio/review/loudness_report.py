"""The loudness report of an episode: before and after, against the show's targets, with a plot.

One ffmpeg process meters the original (as `audio.analyze` hears it: 48 kHz
stereo) and the podcast rendition (as `audio.measure` does: the MP3 as a
player decodes it) side by side, each through its own ebur128 meter, so the
two curves come from one run. From the meters' logs come the integrated
loudness, loudness range and true peak of each file and the short-term
loudness (3 s window) over time, kept at about 2,000 points whatever the
length. The result is cached in the episode's .studio/loudness-report.json,
keyed by the original's sha256 and the podcast rendition's key: a new
rendition makes a new report; anything else reads the cache.

The plot (short-term loudness over time, the target as a dashed line) is
drawn with Pillow and the bundled font, as a PNG for the page and, with the
figures in a table under it, as a PNG or PDF sheet to hand to a station.
Its words come in as `ReportLabels`, so the caller picks the language.
"""

from __future__ import annotations

import io
import math
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..data import BOLD_FONT
from ..errors import BadInput
from ..fsutil import read_json, write_json
from ..media.ffmpeg import FFmpeg, Progress, run_ffmpeg

# The meter chain and frame pattern of audio.py itself: the report hears the original exactly as the analysis does.
from ..media.loudness import _COMMON_CHAIN, _FRAME, SILENT, Loudness, MeterLog, meter_filter
from ..media.processing import SoundFigures
from ..workspace.config import LoudnessTargets
from ..workspace.episode import Episode
from ..workspace.layout import EpisodeFiles
from ..workspace.state import load_state, stage_key
from ..workspace.tree import Workspace
from .sound import sound_rows

REPORT_VERSION = 1
TOLERANCE_LU = 0.5  # DESIGN.md: integrated loudness within 0.5 LU of the target
MAX_POINTS = 2000
FRAME_S = 0.1  # ebur128 logs a frame every 100 ms
FONT = BOLD_FONT


@dataclass
class LoudnessReport:
    key: str
    duration: float  # seconds of the original
    step: float  # seconds between two points of a curve
    original: Loudness
    podcast: Loudness
    # short-term loudness (LUFS) every `step` seconds from 0; SILENT (-120.7) where there is no sound
    original_curve: list[float] = field(default_factory=list)
    podcast_curve: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"version": REPORT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "LoudnessReport":
        data = {k: v for k, v in data.items() if k != "version"}
        return cls(original=Loudness(**data.pop("original")), podcast=Loudness(**data.pop("podcast")), **data)


@dataclass(frozen=True)
class Verdict:
    """The podcast rendition against the show's targets."""

    target_lufs: float
    ceiling_dbtp: float
    integrated_ok: bool
    true_peak_ok: bool

    @property
    def ok(self) -> bool:
        return self.integrated_ok and self.true_peak_ok


def verdict(podcast: Loudness, targets: LoudnessTargets) -> Verdict:
    """The podcast rendition's loudness against the show's targets."""
    return Verdict(
        target_lufs=targets.podcast_lufs,
        ceiling_dbtp=targets.true_peak_dbtp,
        integrated_ok=abs(podcast.integrated - targets.podcast_lufs) <= TOLERANCE_LU,
        true_peak_ok=podcast.true_peak <= targets.true_peak_dbtp,
    )


class _CurveLog(MeterLog):
    """A MeterLog that also keeps every meter's short-term loudness, one value per 100 ms frame."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.short_term = {name: array("d") for name in names}

    def feed(self, line: str) -> None:
        super().feed(line)
        if (m := _FRAME.search(line)) and (curve := self.short_term.get(m.group(1))) is not None:
            frame = round(float(m.group(2)) / FRAME_S) - 1  # frame i ends at (i + 1) * 0.1 s
            while len(curve) < frame:
                curve.append(SILENT)
            value = float(m.group(4)) if m.group(4) not in ("nan", "inf", "-inf") else SILENT
            curve.append(max(value, SILENT))


def _thin(frames: array, every: int, points: int) -> list[float]:
    """Every `every`-th frame (the short-term window already smooths), `points` of them."""
    values = [round(frames[i], 2) if i < len(frames) else SILENT for i in range(every - 1, every * points, every)]
    return values[:points]


def measure_report(ffmpeg: FFmpeg, original: Path, podcast: Path, key: str = "",
                   progress: Progress | None = None) -> LoudnessReport:
    """Meter `original` and `podcast` in one ffmpeg run."""
    log = _CurveLog(("original", "podcast"))
    graph = (f"[0:a:0]{_COMMON_CHAIN},{meter_filter('original')}[original];"
             f"[1:a:0]{meter_filter('podcast')}[podcast]")
    run_ffmpeg(ffmpeg, ["-v", "verbose", "-i", str(original), "-i", str(podcast), "-filter_complex", graph,
                        "-map", "[original]", "-f", "null", "-", "-map", "[podcast]", "-f", "null", "-"],
               progress, log.feed)
    before, after = log.loudness("original"), log.loudness("podcast")
    duration = log.last_time.get("original", 0.0)
    frames = max(len(log.short_term["original"]), 1)
    every = max(1, math.ceil(frames / MAX_POINTS))
    points = math.ceil(frames / every)
    return LoudnessReport(
        key=key, duration=round(duration, 3), step=round(every * FRAME_S, 3), original=before, podcast=after,
        original_curve=_thin(log.short_term["original"], every, points),
        podcast_curve=_thin(log.short_term["podcast"], every, points),
    )


def loudness_report(workspace: Workspace, ffmpeg: FFmpeg, episode: Episode,
                    progress: Progress | None = None) -> LoudnessReport:
    """The episode's report, from the cache when its podcast rendition is unchanged, else measured now.

    BadInput when the episode has no podcast rendition yet.
    """
    files = workspace.files(episode.id)
    key = report_key(episode, load_state(files.folder))
    if key is None or not files.podcast.is_file():
        raise BadInput(f"{episode.id} has no podcast rendition yet: run `studio process {episode.id}` first")
    cached = read_json(files.loudness_report, default={})
    if isinstance(cached, dict) and cached.get("version") == REPORT_VERSION and cached.get("key") == key:
        return LoudnessReport.from_dict(cached)
    report = measure_report(ffmpeg, files.original(episode.original), files.podcast, key, progress)
    # A rendition made while we measured: the figures are those of a file that is gone; keep them uncached.
    if report_key(episode, load_state(files.folder)) == key:
        write_json(files.loudness_report, report.to_dict())
    return report


def known_figures(files: EpisodeFiles, episode: Episode, state: dict) -> tuple[Loudness | None, Loudness | None]:
    """Integrated loudness, range and peaks of the original and the podcast rendition as processing
    measured them (analysis.json, the episode's `state`): the report's figures, without running ffmpeg."""
    analysis = read_json(files.analysis, default={})
    before = None
    if isinstance(analysis, dict) and analysis.get("sha256") == episode.sha256 and "loudness" in analysis:
        before = Loudness(**analysis["loudness"])
    measured = state.get("podcast", {}).get("loudness")
    return before, Loudness(**measured) if isinstance(measured, dict) else None


def report_key(episode: Episode, state: dict) -> str | None:
    podcast_key = state.get("podcast", {}).get("key")
    if not podcast_key:
        return None
    return stage_key({"version": REPORT_VERSION, "sha256": episode.sha256, "podcast": podcast_key})


# -- the plot ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLabels:
    """Every word the plot and the sheet show (the web app passes them in the UI language)."""

    title: str = "Short-term loudness"
    time: str = "Time"
    loudness: str = "Loudness (LUFS)"
    original: str = "Original"
    podcast: str = "Podcast"
    target: str = "Target {target} LUFS"
    measure: str = "Measure"
    before: str = "Before"
    after: str = "After"
    goal: str = "Target"
    integrated: str = "Integrated loudness"
    loudness_range: str = "Loudness range"
    true_peak: str = "True peak"
    at_most: str = "at most"
    within: str = "within target"
    outside: str = "outside target"
    # the sound processing's rows (sound.sound_rows), on the sheet when the episode has its figures
    sound_title: str = "Sound processing"
    noise_floor: str = "Background noise"
    hum: str = "Mains hum"
    hum_found: str = "{hz} Hz, {count} harmonics, {level}"
    hum_none: str = "none"
    hum_removed: str = "removed"
    hum_kept: str = "left as it was"
    speech_spread: str = "Loudness gap between speakers"


WHITE = (255, 255, 255)
INK = (24, 28, 36)
GRID = (214, 218, 226)
MUTED = (92, 99, 112)
ORIGINAL = (140, 146, 158)
PODCAST = (0, 92, 175)
TARGET = (196, 40, 40)
GOOD = (16, 110, 48)

Y_TOP, Y_BOTTOM = 0.0, -60.0  # LUFS shown
NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _number(value: float, unit: str) -> str:
    return "–" if value == -math.inf or value <= SILENT else f"{value:.1f} {unit}"  # the font has no ∞


def render_plot(report: LoudnessReport, targets: LoudnessTargets, labels: ReportLabels = ReportLabels(),
                size: tuple[int, int] = (1600, 720)) -> Image.Image:
    """Short-term loudness of the original and the podcast over time, with the podcast target."""
    width, height = size
    image = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(image)
    scale = height / 720
    title_font, label_font, tick_font = _font(round(30 * scale)), _font(round(22 * scale)), _font(round(19 * scale))
    left, right = round(110 * scale), width - round(30 * scale)
    top, bottom = round(90 * scale), height - round(80 * scale)

    draw.text((left, round(20 * scale)), labels.title, font=title_font, fill=INK)

    def y_of(lufs: float) -> float:
        lufs = min(Y_TOP, max(Y_BOTTOM, lufs))
        return top + (Y_TOP - lufs) / (Y_TOP - Y_BOTTOM) * (bottom - top)

    duration = max(report.duration, report.step)

    def x_of(seconds: float) -> float:
        return left + seconds / duration * (right - left)

    for lufs in range(int(Y_TOP), int(Y_BOTTOM) - 1, -10):
        y = y_of(lufs)
        draw.line([(left, y), (right, y)], fill=GRID, width=1)
        draw.text((left - round(12 * scale), y), f"{lufs}", font=tick_font, fill=MUTED, anchor="rm")
    tick = next((s for s in NICE_STEPS_S if duration / s <= 10), NICE_STEPS_S[-1])
    for k in range(0, int(duration // tick) + 1):
        x = x_of(k * tick)
        draw.line([(x, top), (x, bottom)], fill=GRID, width=1)
        draw.text((x, bottom + round(10 * scale)), _clock(k * tick), font=tick_font, fill=MUTED, anchor="ma")
    draw.rectangle([left, top, right, bottom], outline=MUTED, width=1)

    # Axis titles.
    draw.text(((left + right) / 2, height - round(12 * scale)), labels.time, font=label_font, fill=INK, anchor="md")
    axis = Image.new("RGBA", (bottom - top, round(34 * scale)), (255, 255, 255, 0))
    ImageDraw.Draw(axis).text((axis.width / 2, axis.height / 2), labels.loudness, font=label_font, fill=INK,
                              anchor="mm")
    axis = axis.rotate(90, expand=True)
    image.paste(axis, (round(8 * scale), top), axis)

    target_y = y_of(targets.podcast_lufs)
    x = left
    while x < right:  # dashed
        draw.line([(x, target_y), (min(x + 14 * scale, right), target_y)], fill=TARGET, width=round(2 * scale))
        x += 24 * scale

    for curve, colour, line_width in ((report.original_curve, ORIGINAL, 2), (report.podcast_curve, PODCAST, 3)):
        run: list[tuple[float, float]] = []
        for i, lufs in enumerate(curve + [SILENT]):
            if lufs > -70.0:  # below the absolute gate: silence, drawn as a gap
                run.append((x_of((i + 1) * report.step), y_of(lufs)))
                continue
            if len(run) > 1:
                draw.line(run, fill=colour, width=round(line_width * scale), joint="curve")
            elif run:
                draw.point(run, fill=colour)
            run = []

    target_text = labels.target.format(target=f"{targets.podcast_lufs:g}")

    # Legend, top right.
    entries = [(labels.original, ORIGINAL), (labels.podcast, PODCAST), (target_text, TARGET)]
    x = right
    for text, colour in reversed(entries):
        text_width = draw.textlength(text, font=label_font)
        x -= text_width
        draw.text((x, round(52 * scale)), text, font=label_font, fill=INK, anchor="lm")
        x -= round(40 * scale)
        draw.line([(x, round(52 * scale)), (x + round(30 * scale), round(52 * scale))], fill=colour,
                  width=round(4 * scale))
        x -= round(24 * scale)
    return image


def render_sheet(report: LoudnessReport, targets: LoudnessTargets, heading: str,
                 labels: ReportLabels = ReportLabels(), sound: SoundFigures | None = None) -> Image.Image:
    """A page to hand over: a heading, the plot, and the figures before and after against the targets;
    with `sound` (the processing's figures), its rows under them: noise, hum, the gap between speakers."""
    width = 1600
    plot = render_plot(report, targets, labels, (width, 720))
    extra = sound_rows(sound, labels) if sound is not None else []
    row_height, rows = 56, 4 + (len(extra) + 1 if extra else 0)
    table_top = 110 + plot.height + 30
    image = Image.new("RGB", (width, table_top + row_height * rows + 60), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), heading, font=_font(36), fill=INK)
    image.paste(plot, (0, 110))
    check = verdict(report.podcast, targets)
    columns = [60, 560, 860, 1160]
    head_font, cell_font = _font(24), _font(24)
    for x, text in zip(columns, [labels.measure, labels.before, labels.after, labels.goal]):
        draw.text((x, table_top), text, font=head_font, fill=MUTED)
    draw.line([(60, table_top + 40), (width - 60, table_top + 40)], fill=GRID, width=2)
    lines = [
        (labels.integrated, _number(report.original.integrated, "LUFS"), _number(report.podcast.integrated, "LUFS"),
         f"{targets.podcast_lufs:g} ± {TOLERANCE_LU:g} LU", check.integrated_ok),
        (labels.loudness_range, _number(report.original.loudness_range, "LU"),
         _number(report.podcast.loudness_range, "LU"), "", None),
        (labels.true_peak, _number(report.original.true_peak, "dBTP"), _number(report.podcast.true_peak, "dBTP"),
         f"{labels.at_most} {targets.true_peak_dbtp:g} dBTP", check.true_peak_ok),
    ]
    for row, (name, before, after, goal, ok) in enumerate(lines, start=1):
        y = table_top + row * row_height
        draw.text((columns[0], y), name, font=cell_font, fill=INK)
        draw.text((columns[1], y), before, font=cell_font, fill=INK)
        draw.text((columns[2], y), after, font=cell_font, fill=INK)
        if goal:
            verdict_text = f"{goal} ({labels.within if ok else labels.outside})"
            draw.text((columns[3], y), verdict_text, font=cell_font, fill=GOOD if ok else TARGET)
    if extra:
        y = table_top + (len(lines) + 1) * row_height
        sound_columns = [60, columns[1], 1000]  # no target column: room for the hum's description
        for x, text in zip(sound_columns, (labels.sound_title, labels.before, labels.after)):
            draw.text((x, y + 12), text, font=head_font, fill=MUTED)
        draw.line([(60, y + 52), (width - 60, y + 52)], fill=GRID, width=2)
        for row, line in enumerate(extra, start=1):
            for x, text in zip(sound_columns, (line.name, line.before, line.after)):
                draw.text((x, y + row * row_height + 8), text, font=cell_font, fill=INK)
    return image


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def pdf_bytes(image: Image.Image, title: str = "") -> bytes:
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150.0, title=title, producer="Studio")
    return out.getvalue()
