"""Mains hum and rumble, read from a 1 Hz-resolution power spectrum (the mean |rfft|^2 of 1 s Hann windows at
16 kHz) of the pauses or of the recording's steady part (analysis.py makes both)."""

from __future__ import annotations

import numpy as np

from .figures import Hum

RATE = 16000  # the analysis pass's sample rate
SPECTRUM = RATE  # 1 s windows: 1 Hz resolution for the hum's harmonics
# Hum: a harmonic counts when its line stands this far above the spectrum around it.
HUM_PROMINENCE_DB = 12.0
# ... at the harmonic's frequency: mains frequency is held within ±0.2 % (and ±1 bin of the spectrum).
HUM_TOLERANCE = 0.002
HUM_MIN_DBFS = -95.0
HUM_HARMONICS = 16
HUM_NOTCHED_AT_LEAST = 6  # to 300 Hz (360 Hz): where mains hum's harmonics are strongest, seen or not


def _db(power: np.ndarray | float) -> np.ndarray | float:
    return 10 * np.log10(np.maximum(power, 1e-12))


def find_hum(spectrum: np.ndarray) -> Hum | None:
    """Mains hum in a 1 Hz-resolution power spectrum (of Hann windows of 1 s).

    Hum is there when at least two harmonics of 50 (or 60) Hz stand HUM_PROMINENCE_DB above the spectrum around
    them, at their frequency. Then every harmonic up to the highest of those, and at least the first
    HUM_NOTCHED_AT_LEAST, is notched (a voice can hide them from this spectrum: they are there all the same),
    and the ones above for as long as each next one still stands out by half as much: nothing is notched
    above where the hum stops (a lone line far up is the voice, not hum)."""
    norm = (np.hanning(SPECTRUM).sum() / 2) ** 2  # a full-scale sine's line
    best = None
    for mains in (50.0, 60.0):
        lines: dict[int, tuple[float, float, float]] = {}  # k -> (Hz, prominence dB, level dBFS)
        for k in range(1, HUM_HARMONICS + 1):
            centre = int(mains * k)
            if centre + 12 >= len(spectrum):
                break
            near = spectrum[centre - 1:centre + 2]
            around = np.concatenate([spectrum[centre - 12:centre - 3], spectrum[centre + 4:centre + 13]])
            hz = _peak_frequency(spectrum, centre - 1 + int(np.argmax(near)))
            if abs(hz - mains * k) <= 0.5 + HUM_TOLERANCE * mains * k:
                lines[k] = (hz, float(_db(near.max()) - _db(max(float(np.median(around)), 1e-20))),
                            float(_db(near.max() / norm)))
        strong = [k for k, (_, prominence, level) in lines.items()
                  if prominence >= HUM_PROMINENCE_DB and level >= HUM_MIN_DBFS]
        if len(strong) >= 2 and (best is None or len(strong) > len(best[1])):
            best = (mains, strong, lines)
    if best is None:
        return None
    mains, strong, lines = best
    fundamental = float(np.median([lines[k][0] / k for k in strong]))
    highest = max(HUM_NOTCHED_AT_LEAST, *strong)
    while highest + 1 in lines and lines[highest + 1][1] >= HUM_PROMINENCE_DB / 2:
        highest += 1
    harmonics = tuple(round(fundamental * k, 2) for k in range(1, highest + 1))
    return Hum(mains_hz=mains, harmonics_hz=harmonics, level_dbfs=round(max(lines[k][2] for k in strong), 1))


def hum_share(steady: np.ndarray | None, hum: Hum | None) -> float | None:
    """The share of the steady spectrum's power in the hum's lines (each line less the spectrum around it)."""
    if steady is None or hum is None:
        return None
    lines = 0.0
    for hz in hum.harmonics_hz:
        centre = int(round(hz))
        around = float(np.median(np.concatenate([steady[centre - 12:centre - 3], steady[centre + 4:centre + 13]])))
        lines += float(np.maximum(steady[centre - 2:centre + 3] - around, 0.0).sum())
    return round(float(_db(lines / max(float(steady.sum()), 1e-20))), 2)


STEADY_BIAS_DB = 9.8  # a stationary noise's 10th-percentile power per bin lies this far below its mean


def band_dbfs(spectrum: np.ndarray, low_hz: int, high_hz: int, hum: Hum | None, steady: bool = False) -> float:
    """Mean-square level (dBFS) of the band in the signal the spectrum was measured on, the hum's lines left
    out (and their bins counted at the band's mean); `steady`: the spectrum is the 10th-percentile one."""
    keep = np.ones(len(spectrum), dtype=bool)
    for hz in hum.harmonics_hz if hum else ():
        keep[max(0, int(hz) - 2):int(hz) + 3] = False
    band = spectrum[low_hz:high_hz][keep[low_hz:high_hz]]
    if not len(band):
        return -120.0
    window = np.hanning(SPECTRUM)
    power = 2 * band.mean() * (high_hz - low_hz) / (SPECTRUM * float((window ** 2).sum()))
    return round(float(_db(power)) + (STEADY_BIAS_DB if steady else 0.0), 2)


def _peak_frequency(spectrum: np.ndarray, i: int) -> float:
    """The line's frequency between bins (parabolic interpolation of the log power)."""
    a, b, c = (float(_db(spectrum[j])) for j in (i - 1, i, i + 1))
    denominator = a - 2 * b + c
    shift = 0.5 * (a - c) / denominator if denominator else 0.0
    return (i + max(-0.5, min(0.5, shift))) * RATE / SPECTRUM
