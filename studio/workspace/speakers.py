"""An episode's speakers: the machine's turns (.studio/speakers.raw.json), the producer's layer over them
(speakers.json: names, merges, lines moved to another speaker) and a show's known voices
(feeds/<show>.voices.json: name → voice print).

The layer is applied to cues without running the model again, like a transcript edit: each cue gets the
speaker its words were said by (or the one it was moved to), merged speakers become the one they were
merged into, and the name is the producer's, else "Pembicara N" (N = the machine's number + 1).
The layer keeps the voice prints its numbers refer to: when the recording is replaced (or the engine
changes) and the machine numbers its speakers anew, names and merges follow the voices (rebase).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..captions.cues import Cue
from ..captions.voices import Turns
from ..errors import BadInput
from ..fsutil import write_text
from .layout import SHOW_VOICES_SUFFIX, SPEAKERS_FILE, SPEAKERS_RAW_FILE

DEFAULT_NAME = "Pembicara {n}"
MAX_NAME_CHARS = 60
Recognize = Callable[[dict[int, list[float]], dict[str, list[float]]], dict[int, str]]


@dataclass(frozen=True)
class Move:
    at: float  # a time inside the moved cue (its middle), seconds
    speaker: int


@dataclass
class SpeakerLayer:
    """The producer's changes over the machine's speakers (speakers.json)."""

    names: dict[int, str] = field(default_factory=dict)
    merges: dict[int, int] = field(default_factory=dict)  # speaker → the speaker it was merged into
    moves: list[Move] = field(default_factory=list)
    prints: dict[int, list[float]] = field(default_factory=dict)  # the voices the numbers above are

    def root(self, speaker: int) -> int:
        seen = set()
        while speaker in self.merges and speaker not in seen:
            seen.add(speaker)
            speaker = self.merges[speaker]
        return speaker

    def name(self, speaker: int) -> str:
        root = self.root(speaker)
        return self.names.get(root) or DEFAULT_NAME.format(n=root + 1)

    def to_dict(self) -> dict:
        return {"names": {str(k): v for k, v in sorted(self.names.items())},
                "merges": {str(k): v for k, v in sorted(self.merges.items())},
                "moves": [{"at": m.at, "speaker": m.speaker} for m in self.moves],
                "prints": {str(k): v for k, v in sorted(self.prints.items())}}

    @classmethod
    def from_dict(cls, data: dict) -> "SpeakerLayer":
        return cls(names={int(k): str(v) for k, v in data.get("names", {}).items()},
                   merges={int(k): int(v) for k, v in data.get("merges", {}).items()},
                   moves=[Move(float(m["at"]), int(m["speaker"])) for m in data.get("moves", [])],
                   prints={int(k): list(v) for k, v in data.get("prints", {}).items()})


@dataclass(frozen=True)
class Speakers:
    """An episode's speakers as the outputs show them: the machine's turns under the producer's layer."""

    turns: Turns
    layer: SpeakerLayer
    prints: dict[int, list[float]]

    @property
    def machine(self) -> list[int]:
        return sorted({t[2] for t in self.turns.turns})

    @property
    def shown(self) -> list[int]:
        """The speakers left after merges, in the machine's order."""
        return sorted({self.layer.root(s) for s in self.machine})

    def speaker_of(self, start: float, end: float) -> str | None:
        """A word's speaker (the machine's number, as text: build_cues cuts cues where it changes)."""
        speaker = self.turns.speaker_at(start, end)
        return None if speaker is None else str(speaker)

    def cue_speaker(self, cue: Cue, machine: bool) -> int | None:
        """The cue's speaker after the layer: moved, else its words' (machine cues), else the turns'."""
        for move in self.layer.moves:
            if cue.start <= move.at < max(cue.end, cue.start + 0.001):
                return self.layer.root(move.speaker)
        if machine and cue.speaker is not None and cue.speaker.isdigit():
            return self.layer.root(int(cue.speaker))
        speaker = self.turns.speaker_at(cue.start, cue.end)
        return None if speaker is None else self.layer.root(speaker)

    def label(self, cues: list[Cue], machine: bool = False) -> list[Cue]:
        """The cues with their speakers' names (machine: cues from build_cues with speaker_of). A recording
        with one voice the producer has not named is left unlabelled (a bulletin is not a conversation)."""
        alone = len(self.shown) <= 1 and not any(self.layer.names.get(s) for s in self.shown)
        out = []
        for cue in cues:
            speaker = None if alone else self.cue_speaker(cue, machine)
            name = None if speaker is None else self.layer.name(speaker)
            out.append(replace(cue, lines=list(cue.lines), speaker=name))
        return out

    def sample(self, speaker: int) -> tuple[float, float] | None:
        """A few seconds of the speaker's (and whoever was merged into them) longest turn."""
        turns = [t for t in self.turns.turns if self.layer.root(t[2]) == speaker]
        if not turns:
            return None
        a, b, _ = max(turns, key=lambda t: t[1] - t[0])
        middle = (a + b) / 2
        return round(max(a, middle - 3.0), 3), round(min(b, middle + 3.0), 3)


# -- the files -----------------------------------------------------------------------------------------

def load_raw(folder: Path) -> dict | None:
    """The machine's speakers (Diarization.to_dict()), None when the stage has not run."""
    try:
        return json.loads((Path(folder) / SPEAKERS_RAW_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def load_layer(folder: Path) -> SpeakerLayer:
    """The producer's layer (an empty one when there is none)."""
    path = Path(folder) / SPEAKERS_FILE
    try:
        return SpeakerLayer.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return SpeakerLayer()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"{SPEAKERS_FILE} cannot be read ({exc}); fix or remove it") from None


def save_layer(folder: Path, layer: SpeakerLayer) -> None:
    write_text(Path(folder) / SPEAKERS_FILE, json.dumps(layer.to_dict(), ensure_ascii=False, indent=1) + "\n")


def episode_speakers(folder: Path) -> Speakers | None:
    """The episode's speakers, None before the speakers stage ran."""
    raw = load_raw(folder)
    if raw is None:
        return None
    turns = Turns.of((t["start"], t["end"], t["speaker"]) for t in raw.get("turns", []))
    prints = {int(k): v for k, v in raw.get("prints", {}).items()}
    return Speakers(turns, load_layer(folder), prints)


def clean_name(name: str) -> str:
    name = " ".join(name.replace("<", "").replace(">", "").replace("&", "dan").split())
    if len(name) > MAX_NAME_CHARS:
        raise BadInput(f"a speaker's name is at most {MAX_NAME_CHARS} characters")
    return name


def voices_path(feeds_dir: Path, show: str) -> Path:
    return Path(feeds_dir) / f"{show}{SHOW_VOICES_SUFFIX}"


def load_voices(feeds_dir: Path, show: str) -> dict[str, list[float]]:
    """A show's known voices: name → voice print ({} when none were saved)."""
    try:
        data = json.loads(voices_path(feeds_dir, show).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BadInput(f"{show}{SHOW_VOICES_SUFFIX} cannot be read ({exc}); fix or remove it") from None
    return {str(k): list(v) for k, v in data.get("voices", {}).items()}


def save_voice(feeds_dir: Path, show: str, name: str, voice: list[float]) -> None:
    """Keep `voice` as the show's known voice `name` (replacing one of that name)."""
    voices = load_voices(feeds_dir, show)
    voices[name] = voice
    write_text(voices_path(feeds_dir, show), json.dumps({"voices": voices}, ensure_ascii=False) + "\n")


# -- a new diarization -------------------------------------------------------------------------------

def rebase(layer: SpeakerLayer, prints: dict[int, list[float]], recognize: Recognize,
           known: dict[str, list[float]]) -> SpeakerLayer:
    """The layer for a diarization with voice prints `prints`: when the layer was made on other prints, its
    names and merges follow the voices they belong to (moves, tied to the old times, are dropped); speakers
    still without a name that are among the show's `known` voices get that name."""
    layer = SpeakerLayer(dict(layer.names), dict(layer.merges), list(layer.moves), dict(layer.prints))
    if layer.prints and layer.prints != prints:
        referenced = set(layer.names) | set(layer.merges) | set(layer.merges.values())
        old = {str(k): v for k, v in layer.prints.items() if k in referenced}
        found = recognize(prints, old) if old and prints else {}
        new_of = {int(old_key): new for new, old_key in found.items()}
        layer.names = {new_of[k]: v for k, v in layer.names.items() if k in new_of}
        layer.merges = {new_of[k]: new_of[v] for k, v in layer.merges.items()
                        if k in new_of and v in new_of and new_of[k] != new_of[v]}
        layer.moves = []
    layer.prints = dict(prints)
    unnamed = {k: v for k, v in prints.items() if k not in layer.names and k not in layer.merges}
    if known and unnamed:
        taken = set(layer.names.values())
        for speaker, name in sorted(recognize(unnamed, known).items()):
            if name not in taken:
                layer.names[speaker] = name
                taken.add(name)
    return layer
