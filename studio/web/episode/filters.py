"""The episode page's template filters: `clock` (a time in the episode) and `lu` (a loudness figure)."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """1:02:03, 2:03: a time in the episode."""
    total = int(max(0.0, float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def level(value: float, unit: str) -> str:
    """-16.0 LUFS; a dash for silence (-inf)."""
    return "–" if value is None or value <= -120 else f"{value:.1f} {unit}"
