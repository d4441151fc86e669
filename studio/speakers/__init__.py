"""Who speaks when: a recording's speaker turns and each speaker's voice print; knows no episode.

The interface the pipeline builds on (pipeline/speakers.py). The engine (embeddings on onnxruntime from the
bundled CAM++ model, clustering with the number of speakers found) lives in this package's modules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

SPEAKERS_VERSION = 1  # bump when the turns a recording gets can change (part of the stage's cache key)


@dataclass
class SpeakerTurn:
    start: float  # seconds
    end: float
    speaker: int  # 0, 1, ... in order of first appearance


@dataclass
class Diarization:
    """The turns of the whole recording and a voice print (mean embedding, L2-normalised) per speaker."""

    duration: float
    turns: list[SpeakerTurn] = field(default_factory=list)
    prints: dict[int, list[float]] = field(default_factory=dict)

    @property
    def speakers(self) -> list[int]:
        return sorted({t.speaker for t in self.turns})

    def to_dict(self) -> dict:
        return {"duration": self.duration, "turns": [asdict(t) for t in self.turns],
                "prints": {str(k): v for k, v in self.prints.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Diarization":
        return cls(duration=data["duration"], turns=[SpeakerTurn(**t) for t in data["turns"]],
                   prints={int(k): v for k, v in data.get("prints", {}).items()})


def diarize(source: Path, *, min_speakers: int = 1, max_speakers: int = 6, ffmpeg=None,
            progress=None) -> Diarization:
    """Speaker turns of `source` (any audio ffmpeg reads), streamed at 16 kHz. Stub: one speaker throughout."""
    raise NotImplementedError


def recognize(prints: dict[int, list[float]], known: dict[str, list[float]]) -> dict[int, str]:
    """The known voices (name → print) recognised among `prints` (speaker → print): speaker → name."""
    raise NotImplementedError
