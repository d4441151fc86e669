"""What one run of the stages is asked to do: the command line's choices, over the show's and the
workspace's settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..transcribe.options import DEFAULT_LANGUAGE, DEFAULT_MODEL, ELECTION_GLOSSARY, TranscribeOptions
from ..workspace import Settings, Show

STAGES = ("renditions", "transcript", "speakers", "text", "clips")  # in the order they must run
CLIP_FORMATS = ("vertical", "square", "landscape")


@dataclass(frozen=True)
class ProcessOptions:
    """Choices made on the command line for one run (None: the show's or workspace's setting)."""

    model: str | None = None
    device: str | None = None
    compute_type: str | None = None
    transcribe: bool = True
    clips: bool = True
    wait: float | None = None  # seconds to wait for an episode another process holds (None: for ever)

    def to_params(self) -> dict:
        """These options as a job's parameters (JSON)."""
        params = {"model": self.model, "device": self.device, "compute_type": self.compute_type,
                  "transcribe": self.transcribe, "clips": self.clips}
        return params if self.wait is None else {**params, "wait": self.wait}

    @classmethod
    def from_params(cls, params: dict) -> "ProcessOptions":
        return cls(model=params.get("model"), device=params.get("device"), compute_type=params.get("compute_type"),
                   transcribe=params.get("transcribe", True), clips=params.get("clips", True),
                   wait=params.get("wait"))


def stages_for(options: ProcessOptions) -> list[str]:
    """The stages a run with `options` makes, in order."""
    return [stage for stage in STAGES
            if (stage not in ("transcript", "speakers", "text") or options.transcribe) and (stage != "clips" or options.clips)]


def glossary_of(show: Show) -> list[str]:
    """The terms the model is prompted with and the text rules spell the glossary's way."""
    return list(show.glossary) or list(ELECTION_GLOSSARY)


def transcribe_options(settings: Settings, show: Show, options: ProcessOptions) -> TranscribeOptions:
    return TranscribeOptions(
        model=options.model or show.model or settings.model or DEFAULT_MODEL,
        device=options.device or settings.device or "auto",
        compute_type=options.compute_type or settings.compute_type or None,
        language=show.language or DEFAULT_LANGUAGE,
        glossary=glossary_of(show),
    )
