"""The limiter model: what a true-peak limiter will take from a recording's integrated loudness at a gain."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .loudness import Analysis


class LimiterModel:
    """Predicts the integrated loudness of the recording after a gain and a peak limiter.

    A 400 ms gating block whose peak would cross the limit by o dB loses
    o² / (o + KNEE_DB) dB: little while the limiter only shaves the peaks,
    nearly all of the excess once it presses on the whole waveform (dense
    music, speech raised 20 dB). The blocks are then gated as BS.1770 does.
    Fitted on real and synthetic speech (read, broadcast, telephone), music
    and claps, at gains up to +25 dB, both renditions: 0.17 LU rms error,
    0.5 at worst, so the render usually lands on target at once; the
    measured result corrects the rest.
    """

    KNEE_DB = 4.0

    def __init__(self, analysis: Analysis) -> None:
        self.blocks = analysis.blocks
        self.integrated = analysis.loudness.integrated

    def __bool__(self) -> bool:
        return bool(self.blocks)

    @staticmethod
    def _gated(levels: list[tuple[float, int]]) -> float:
        def mean(items):
            total = sum(n for _, n in items)
            return 10 * math.log10(sum(10 ** (m / 10) * n for m, n in items) / total) if total else -70.0

        audible = [(m, n) for m, n in levels if m > -70.0]
        relative = mean(audible) - 10.0
        return mean([(m, n) for m, n in audible if m > relative])

    def loss(self, gain_db: float, limit_dbtp: float | None) -> float:
        """LU the limiter takes away from the integrated loudness at this gain (0 without a limiter)."""
        if not self.blocks or limit_dbtp is None:
            return 0.0
        plain = self._gated([(m + gain_db, n) for m, _, n in self.blocks])
        def lost(peak: float) -> float:
            over = max(0.0, peak + gain_db - limit_dbtp)
            return over * over / (over + self.KNEE_DB)

        limited = self._gated([(m + gain_db - lost(p), n) for m, p, n in self.blocks])
        return max(0.0, plain - limited)

    def gain_for(self, output_lufs: float, limit_dbtp: float | None, offset_db: float = 0.0) -> float:
        """The gain whose predicted loudness after the limiter, plus `offset_db`, is `output_lufs`."""
        def predicted(gain: float) -> float:
            return self.integrated + gain - self.loss(gain, limit_dbtp) + offset_db

        low = output_lufs - self.integrated - offset_db  # no loss: the least gain it can take
        high = low + 1.0
        while predicted(high) < output_lufs and high < low + 30.0:
            high += 1.0 + (high - low)
        for _ in range(20):
            mid = (low + high) / 2
            low, high = (mid, high) if predicted(mid) < output_lufs else (low, mid)
        return (low + high) / 2
