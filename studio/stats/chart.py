"""The downloads-per-day bar chart, laid out once: the Statistik page draws it as SVG, the monthly PDF with
Pillow. Coordinates are in the caller's units, (0, 0) the plot area's top left."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .report import Count


@dataclass(frozen=True)
class Bar:
    name: str  # the day, YYYY-MM-DD
    count: int
    x: float
    y: float  # top of the bar
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]  # the value axis, 0 first
    top: int  # the value at y = 0

    def label_every(self, room: float) -> int:
        """Label every n-th bar so that labels `room` wide do not overlap."""
        if not self.bars:
            return 1
        return max(1, math.ceil(room / (self.width / len(self.bars))))


def nice_top(largest: int) -> tuple[int, int]:
    """The axis' top and step for values up to `largest`: a step of 1, 2 or 5 times a power of ten, two to
    four steps."""
    if largest <= 0:
        return 4, 1
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return step * math.ceil(largest / step), step


def bar_chart(counts: tuple[Count, ...] | list[Count], width: float, height: float, gap: float = 0.2) -> BarChart:
    """Bars of `counts` side by side over `width`, scaled so the largest nearly fills `height`; `gap` is the
    share of each slot left empty."""
    top, step = nice_top(max((c.count for c in counts), default=0))
    slot = width / max(1, len(counts))
    bars = []
    for i, count in enumerate(counts):
        h = height * count.count / top
        bars.append(Bar(count.name, count.count, i * slot + slot * gap / 2, height - h, slot * (1 - gap), h))
    ticks = tuple(Tick(v, height - height * v / top) for v in range(0, top + 1, step))
    return BarChart(width, height, tuple(bars), ticks, top)
