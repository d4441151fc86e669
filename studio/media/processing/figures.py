"""What the sound processing found and did to one recording, in numbers a producer can read.

Written by the processing stage into the episode's .studio/sound.json as {"key": ..., "figures": {...}};
read by the episode page, the loudness report and `studio status --json` through `read_figures`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ...fsutil import read_json


@dataclass(frozen=True)
class Hum:
    mains_hz: float  # 50 or 60
    harmonics_hz: tuple[float, ...]  # the harmonics found and notched (the fundamental first)
    level_dbfs: float  # the strongest harmonic's level in the non-speech parts, before


@dataclass(frozen=True)
class SoundFigures:
    leveler: bool  # whether each part ran (switched on and found something to do)
    noise_reduction: bool
    hum_reduction: bool
    highpass_hz: float | None
    noise_floor_before_dbfs: float | None  # RMS level of the non-speech parts, before and after
    noise_floor_after_dbfs: float | None
    hum: Hum | None  # None: no mains hum found
    speech_spread_before_lu: float | None  # max - min loudness over the speech segments, before and after
    speech_spread_after_lu: float | None
    segments: int = 0  # speech segments measured
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SoundFigures":
        data = dict(data)
        hum = data.pop("hum", None)
        return cls(hum=Hum(**{**hum, "harmonics_hz": tuple(hum["harmonics_hz"])}) if hum else None,
                   notes=tuple(data.pop("notes", ())), **data)


def read_figures(path: Path) -> SoundFigures | None:
    """The figures in an episode's sound.json, or None when the stage has not run (or processing is off)."""
    data = read_json(path, default={})
    figures = data.get("figures") if isinstance(data, dict) else None
    return SoundFigures.from_dict(figures) if figures else None
