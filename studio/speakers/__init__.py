"""Who speaks when: a recording's speaker turns and each speaker's voice print; knows no episode.

The interface the pipeline builds on (pipeline/speakers.py). The engine (embeddings on onnxruntime from the
bundled CAM++ model, clustering with the number of speakers found) lives in this package's modules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

SPEAKERS_VERSION = 1  # bump when the turns a recording gets can change (part of the stage's cache key)
# recognize(): a print this similar (cosine) to a known voice is that voice. Corpus prints: the same speaker from
# other files 0.92-0.98, different speakers 0.36-0.63 (scripts/bench-speakers, docs/speakers.md): the middle.
RECOGNIZE_COS = 0.78


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
            progress=None, speech: list[list[float]] | None = None) -> Diarization:
    """Speaker turns of `source` (any audio ffmpeg reads), streamed at 16 kHz; the number of speakers found
    within [min_speakers, max_speakers]. `speech`: the [start, end] seconds of its speech when already known
    (SoundAnalysis.speech, the same VAD), else the VAD runs here. Opens no connection: the model is bundled."""
    from .engine import diarize_file

    return diarize_file(source, min_speakers=min_speakers, max_speakers=max_speakers, ffmpeg=ffmpeg,
                        progress=progress, speech=speech)


def recognize(prints: dict[int, list[float]], known: dict[str, list[float]],
              threshold: float = RECOGNIZE_COS) -> dict[int, str]:
    """The known voices (name → print) recognised among `prints` (speaker → print): speaker → name.
    Cosine similarity of at least `threshold`; the most similar pairs first, each name and speaker used once."""
    pairs = []
    for speaker, voice in prints.items():
        for name, print_ in known.items():
            pairs.append((_cosine(voice, print_), speaker, name))
    named: dict[int, str] = {}
    for score, speaker, name in sorted(pairs, reverse=True):
        if score >= threshold and speaker not in named and name not in named.values():
            named[speaker] = name
    return named


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5
    return dot / norm if norm else 0.0
