"""The episode page's speakers: each voice the machine found with a sample to hear, and the producer's
changes (a name, two speakers merged, a line moved to another speaker, a named voice kept for the show).

A change is written into speakers.json under the episode's lock, on a fresh read of it, and is a
compare-and-swap: the form carries the version of the speakers it showed (`based_on`), and a change made
on an older page is refused (StaleEdit). The text stage then runs at once in the same hold of the lock
(seconds, never the model): every output (VTT, SRT, JSON, TXT) carries the new names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import BadInput
from ..fsutil import sha256_text
from ..media.ffmpeg import FFmpeg
from ..pipeline.context import open_episode
from ..pipeline.options import ProcessOptions
from ..pipeline.text import make_text
from ..progress import Reporter
from ..workspace import Workspace
from ..workspace.speakers import (
    Move,
    SpeakerLayer,
    clean_name,
    episode_speakers,
    load_layer,
    load_voices,
    save_layer,
    save_voice,
)
from ..workspace.transcript import read_cues
from .edits import LOCK_WAIT_S, StaleEdit


@dataclass
class ShownSpeaker:
    speaker: int  # the machine's number (after merges: the one the others were merged into)
    label: str  # "Pembicara 1"
    name: str  # the producer's name, "" when none
    sample: tuple[float, float] | None  # a few seconds of the longest turn (start, end)
    seconds: float  # how long this voice speaks in all
    merged: list[int] = field(default_factory=list)  # the machine's speakers merged into this one
    known: bool = False  # the show keeps this voice (named by itself in the next episodes)

    @property
    def shown_name(self) -> str:
        return self.name or self.label

    @property
    def merged_labels(self) -> str:
        return ", ".join(f"Pembicara {m + 1}" for m in self.merged)


@dataclass
class SpeakersPanel:
    speakers: list[ShownSpeaker]
    based_on: str  # the version of the speakers as shown: the `based_on` of a change

    def by_number(self, speaker: int) -> ShownSpeaker | None:
        return next((s for s in self.speakers if s.speaker == speaker), None)


def layer_version(layer: SpeakerLayer) -> str:
    return sha256_text(json.dumps(layer.to_dict(), sort_keys=True))


def speakers_panel(workspace: Workspace, episode_id: str) -> SpeakersPanel | None:
    """The panel's speakers; None before the speakers stage ran (or when it found nobody speaking)."""
    folder = workspace.episode_dir(episode_id)
    found = episode_speakers(folder)
    if found is None or not found.machine:
        return None
    layer = found.layer
    known = load_voices(workspace.feeds_dir, workspace.episode(episode_id).show)
    shown = []
    for speaker in found.shown:
        seconds = sum(b - a for a, b, s in found.turns.turns if layer.root(s) == speaker)
        name = layer.names.get(speaker, "")
        shown.append(ShownSpeaker(speaker, f"Pembicara {speaker + 1}", name, found.sample(speaker), round(seconds, 1),
                                  [s for s in found.machine if s != speaker and layer.root(s) == speaker],
                                  bool(name) and name in known))
    return SpeakersPanel(shown, layer_version(layer))


def _change(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, based_on: str | None, change,
            wait: float | None = LOCK_WAIT_S) -> None:
    """Apply `change(layer, speakers, folder)` to speakers.json under the lock, then relabel the outputs."""
    with open_episode(workspace, ffmpeg, episode_id, Reporter(quiet=True), ProcessOptions(wait=wait)) as ctx:
        found = episode_speakers(ctx.folder)
        if found is None:
            raise BadInput(f"{episode_id} has no speakers yet: process it first")
        layer = load_layer(ctx.folder)
        if based_on is not None and based_on != layer_version(layer):
            raise StaleEdit(f"{episode_id}: the speakers changed since this page was opened: reload it")
        change(layer, found, ctx.folder)
        layer.prints = layer.prints or dict(found.prints)  # the voices these numbers are (names follow them)
        save_layer(ctx.folder, layer)
        if ctx.files.raw_transcript.is_file():
            make_text(ctx)


def _check(found, speaker: int) -> None:
    if speaker not in found.machine:
        raise BadInput(f"there is no speaker {speaker + 1}")


def rename_speaker(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, speaker: int, name: str,
                   based_on: str | None = None) -> None:
    """Name a speaker ("" gives the "Pembicara N" back)."""
    name = clean_name(name)

    def change(layer: SpeakerLayer, found, folder) -> None:
        _check(found, speaker)
        root = layer.root(speaker)
        if name:
            layer.names[root] = name
        else:
            layer.names.pop(root, None)

    _change(workspace, ffmpeg, episode_id, based_on, change)


def merge_speakers(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, speaker: int, into: int,
                   based_on: str | None = None) -> None:
    """Merge `speaker` (two voices the machine split) into `into`: from then on both are `into`'s."""

    def change(layer: SpeakerLayer, found, folder) -> None:
        _check(found, speaker)
        _check(found, into)
        source, target = layer.root(speaker), layer.root(into)
        if source == target:
            raise BadInput("a speaker cannot be merged into itself")
        for other, root in list(layer.merges.items()):
            if root == source:
                layer.merges[other] = target
        layer.merges[source] = target
        if source in layer.names and target not in layer.names:
            layer.names[target] = layer.names[source]
        layer.names.pop(source, None)

    _change(workspace, ffmpeg, episode_id, based_on, change)


def move_line(workspace: Workspace, ffmpeg: FFmpeg, episode_id: str, index: int, speaker: int,
              based_on: str | None = None) -> None:
    """Say that the transcript's line (cue) `index` is `speaker`'s."""

    def change(layer: SpeakerLayer, found, folder) -> None:
        _check(found, speaker)
        cues = read_cues(folder)
        if not 0 <= index < len(cues):
            raise BadInput(f"line {index + 1} does not exist (the transcript has {len(cues)} lines)")
        cue = cues[index]
        layer.moves = [m for m in layer.moves if not cue.start <= m.at < cue.end]
        layer.moves.append(Move(round((cue.start + cue.end) / 2, 3), layer.root(speaker)))

    _change(workspace, ffmpeg, episode_id, based_on, change)


def remember_voice(workspace: Workspace, episode_id: str, speaker: int) -> str:
    """Keep a named speaker's voice print as one of the show's known voices; the name it is kept under."""
    folder = workspace.episode_dir(episode_id)
    found = episode_speakers(folder)
    if found is None:
        raise BadInput(f"{episode_id} has no speakers yet: process it first")
    root = found.layer.root(speaker)
    name = found.layer.names.get(root)
    if not name:
        raise BadInput("name the speaker before keeping their voice")
    voice = found.prints.get(root)
    if not voice:
        raise BadInput("this speaker has no voice print to keep")
    save_voice(workspace.feeds_dir, workspace.episode(episode_id).show, name, voice)
    return name
