"""Who says each word and each cue: speaker turns laid over word and cue times (knows no episode).

A turn is (start, end, speaker) in seconds; a speaker is a number (the diarization's, 0-based). A word or
cue gets the speaker whose turns cover most of it; one that no turn touches gets the nearest turn's.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

Turn = tuple[float, float, int]


@dataclass(frozen=True)
class Turns:
    """Speaker turns sorted by start, for quick look-ups of who speaks over a span of time."""

    turns: tuple[Turn, ...]

    @classmethod
    def of(cls, turns) -> "Turns":
        return cls(tuple(sorted((float(a), float(b), int(s)) for a, b, s in turns if b > a)))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [t[0] for t in self.turns])
        longest = 0.0
        for a, b, _ in self.turns:
            longest = max(longest, b - a)
        object.__setattr__(self, "_longest", longest)

    def speaker_at(self, start: float, end: float) -> int | None:
        """The speaker whose turns cover most of [start, end]; the nearest turn's when none covers any of it;
        None without turns."""
        if not self.turns:
            return None
        end = max(end, start)
        first = bisect.bisect_left(self._starts, start - self._longest)
        last = bisect.bisect_right(self._starts, end)
        cover: dict[int, float] = {}
        for a, b, speaker in self.turns[first:last]:
            overlap = min(b, end) - max(a, start)
            if overlap > 0 or (overlap == 0 and a <= start <= b):
                cover[speaker] = cover.get(speaker, 0.0) + max(overlap, 0.0)
        if cover:
            return max(cover.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        middle = (start + end) / 2
        near = max(0, min(len(self.turns) - 1, bisect.bisect_left(self._starts, middle)))
        candidates = self.turns[max(0, near - 1) : near + 1] or self.turns[-1:]
        best = min(candidates, key=lambda t: max(t[0] - middle, middle - t[1], 0.0))
        return best[2]

    def longest_turn(self, speaker: int) -> Turn | None:
        """The speaker's longest turn (where a sample of their voice is heard best)."""
        own = [t for t in self.turns if t[2] == speaker]
        return max(own, key=lambda t: t[1] - t[0]) if own else None
