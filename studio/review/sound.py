"""What the producer is told about the sound processing (issue 24): the figures the stage measured
(media.processing.SoundFigures, kept in the episode's .studio/sound.json) as the loudness report's rows, and
the gain that lets the episode page play the original at the podcast rendition's loudness (the A/B switch).

Nothing here runs ffmpeg: every figure was measured by the stage (sound.json), by ingest (analysis.json: the
original's loudness) or by the renditions (state.json: the podcast's loudness). Without sound.json (processing
off, or an episode processed before it existed) there is nothing to say, and every caller says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..media.loudness import SILENT, Loudness
from ..media.processing import SoundFigures, read_figures
from ..workspace.layout import EpisodeFiles

if TYPE_CHECKING:
    from .loudness_report import ReportLabels


def episode_figures(files: EpisodeFiles) -> SoundFigures | None:
    """The episode's sound figures, or None when the processing stage has not run for it (or left figures of
    a shape this version does not read: the next `studio process` writes them again; the page stays up)."""
    try:
        return read_figures(files.sound)
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class SoundRow:
    """One line of the report's sound table: what, before, after (as shown: numbers with their units)."""

    name: str
    before: str
    after: str


def _level(value: float | None, unit: str) -> str:
    return "–" if value is None or value <= SILENT else f"{value:.1f} {unit}"


def sound_rows(figures: SoundFigures, labels: ReportLabels) -> list[SoundRow]:
    """Background noise, mains hum and the loudness gap between speech segments, before and after."""
    hum = figures.hum
    if hum is None:
        hum_before, hum_after = labels.hum_none, labels.hum_none
    else:
        hum_before = labels.hum_found.format(hz=f"{hum.mains_hz:g}", count=len(hum.harmonics_hz),
                                             level=_level(hum.level_dbfs, "dBFS"))
        hum_after = labels.hum_removed if figures.hum_reduction else labels.hum_kept
    return [
        SoundRow(labels.noise_floor, _level(figures.noise_floor_before_dbfs, "dBFS"),
                 _level(figures.noise_floor_after_dbfs, "dBFS")),
        SoundRow(labels.hum, hum_before, hum_after),
        SoundRow(labels.speech_spread, _level(figures.speech_spread_before_lu, "LU"),
                 _level(figures.speech_spread_after_lu, "LU")),
    ]


@dataclass(frozen=True)
class Matching:
    """How the episode page plays the original beside the podcast rendition at the same loudness."""

    gain_db: float  # applied to the original: the rendition's integrated loudness minus the original's
    peak_dbtp: float  # the original's true peak with that gain (above the show's ceiling: the page limits it)

    @property
    def gain(self) -> float:
        """The gain as a factor (a Web Audio GainNode's value)."""
        return 10 ** (self.gain_db / 20)


def loudness_matching(original: Loudness | None, podcast: Loudness | None) -> Matching | None:
    """The gain that brings the original to the podcast rendition's measured loudness; None when either
    figure is missing or the original is silence (no gain makes it as loud)."""
    if original is None or podcast is None or original.integrated <= SILENT or podcast.integrated <= SILENT:
        return None
    gain_db = round(podcast.integrated - original.integrated, 2)
    return Matching(gain_db=gain_db, peak_dbtp=round(original.true_peak + gain_db, 2))
