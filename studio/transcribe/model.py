"""What transcription produces: the transcript with word timings, its JSON, and its errors.

Light on purpose (no numpy, no faster-whisper): captions, status and feeds import it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..errors import BadInput, ProcessingError, StudioError


class TranscriptionError(StudioError):
    """A model that cannot be loaded or audio that cannot be transcribed (one of the two below)."""


class ModelNotFound(TranscriptionError, BadInput):
    """A model name that names no model, or a model folder that is absent or holds no model: exit 2."""


class TranscriptionFailed(TranscriptionError, ProcessingError):
    """A model that fails to load or a recording that fails to decode: exit 1."""


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float
    spoken: str | None = None  # what was said, where text normalization rewrote it ("dua ribu" for "2000")


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        for segment in data["segments"]:
            for word in segment["words"]:
                if word["spoken"] is None:
                    del word["spoken"]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> "Transcript":
        raw = json.loads(data)
        return cls(
            language=raw["language"],
            duration=float(raw["duration"]),
            segments=[
                Segment(
                    start=float(s["start"]),
                    end=float(s["end"]),
                    text=s["text"],
                    words=[Word(**w) for w in s.get("words", [])],
                )
                for s in raw.get("segments", [])
            ],
        )
