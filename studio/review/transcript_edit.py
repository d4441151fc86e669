"""A producer's corrections to an episode's cues, saved as a hand edit of transcript.vtt is.

`save_cue_edits` takes the changed cues (by their position in the transcript,
new text and, when moved, new times), checks them, and writes transcript.vtt
with them. A VTT that Studio did not write is the producer's edit (see
studio.captions.cues): later runs of `process` keep it, nothing is transcribed
again, and it flows into the SRT, JSON and text files (written here at once,
as `process` would) and from there into clips and the feed.

The write is a compare-and-swap against the VTT the editor was shown
(`based_on`, its sha256): a save made from a page opened before someone
else's save, or before a new transcript, is refused rather than undoing it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..captions.cues import (
    JSON_NAME,
    SRT_NAME,
    TXT_NAME,
    VTT_NAME,
    Cue,
    _replace_unless_changed,
    read_cues,
    render_json,
    render_srt,
    render_text,
    render_vtt,
    write_atomic,
)
from ..errors import BadInput

TIME_SLACK_S = 0.001  # timings are written to the millisecond


@dataclass(frozen=True)
class CueEdit:
    text: str  # one or more lines
    start: float | None = None  # None: keep the cue's time
    end: float | None = None


@dataclass
class SavedTranscript:
    cues: list[Cue]
    changed: list[int]  # positions of the cues whose text or times changed
    sha256: str  # of transcript.vtt as written (the `based_on` of the next save)


class TranscriptChanged(BadInput):
    """transcript.vtt is no longer the one the edit was made on."""


def vtt_sha256(folder: Path) -> str | None:
    """The sha256 of the episode's transcript.vtt, None when there is none."""
    try:
        return hashlib.sha256((Path(folder) / VTT_NAME).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def clean_lines(text: str) -> list[str]:
    """A cue's text as lines: spaces collapsed, blank lines dropped, nothing that would end a VTT cue."""
    lines = [" ".join(line.replace("-->", "->").split()) for line in text.replace("\r\n", "\n").split("\n")]
    return [line for line in lines if line]


def apply_edits(cues: list[Cue], edits: dict[int, CueEdit], duration: float | None = None) -> tuple[list[Cue], list[int]]:
    """The cues with `edits` applied, and which changed. BadInput for a cue that does not exist,
    empty text, or times out of order (a cue ending before it starts, overlapping its neighbour,
    or past the end of the recording)."""
    edited = [Cue(c.start, c.end, list(c.lines), c.speaker) for c in cues]
    changed = []
    for index in sorted(edits):
        if not 0 <= index < len(edited):
            raise BadInput(f"cue {index + 1} does not exist (the transcript has {len(edited)} cues)")
        edit = edits[index]
        lines = clean_lines(edit.text)
        if not lines:
            raise BadInput(f"cue {index + 1}: the text is empty (a cue needs at least one word)")
        cue = edited[index]
        start = cue.start if edit.start is None else round(edit.start, 3)
        end = cue.end if edit.end is None else round(edit.end, 3)
        if (lines, start, end) != (cue.lines, cue.start, cue.end):
            edited[index] = Cue(start, end, lines, cue.speaker)
            changed.append(index)
    for index in changed:
        cue = edited[index]
        name = f"cue {index + 1}"
        if not (cue.start >= 0 and cue.end > cue.start):
            raise BadInput(f"{name}: it must end after it starts ({cue.start:.3f} s to {cue.end:.3f} s)")
        if duration and cue.end > duration + TIME_SLACK_S:
            raise BadInput(f"{name}: ends at {cue.end:.3f} s, after the recording ({duration:.3f} s)")
        if index > 0 and cue.start < edited[index - 1].end - TIME_SLACK_S:
            raise BadInput(f"{name}: starts at {cue.start:.3f} s, before cue {index} ends "
                           f"({edited[index - 1].end:.3f} s)")
        if index + 1 < len(edited) and cue.end > edited[index + 1].start + TIME_SLACK_S:
            raise BadInput(f"{name}: ends at {cue.end:.3f} s, after cue {index + 2} starts "
                           f"({edited[index + 1].start:.3f} s)")
    return edited, changed


def save_cue_edits(folder: Path, edits: dict[int, CueEdit], based_on: str | None,
                   duration: float | None = None) -> SavedTranscript:
    """Apply `edits` (cue position → edit) to the episode's transcript.vtt and write it and the
    files made from it. `based_on` is the sha256 of the VTT the edits were made on (see vtt_sha256).

    BadInput when there is no transcript, an edit is invalid, or the VTT changed since `based_on`
    (TranscriptChanged). Nothing is written then.
    """
    folder = Path(folder)
    seen = vtt_sha256(folder)
    if seen is None:
        raise BadInput(f"{folder.parent.name}/{folder.name} has no transcript yet")
    if based_on != seen:
        raise TranscriptChanged("the transcript was changed since this page was opened: reload it and edit again")
    cues, changed = apply_edits(read_cues(folder), edits, duration)
    if not changed:
        return SavedTranscript(cues, [], seen)
    vtt = render_vtt(cues).encode("utf-8")
    if not _replace_unless_changed(folder / VTT_NAME, vtt, seen):
        raise TranscriptChanged("the transcript was changed while saving: reload it and edit again")
    write_atomic(folder / SRT_NAME, render_srt(cues))
    write_atomic(folder / JSON_NAME, render_json(cues))
    write_atomic(folder / TXT_NAME, render_text(cues))
    return SavedTranscript(cues, changed, hashlib.sha256(vtt).hexdigest())
