"""A producer's changes to an episode: its metadata and air window, its highlights (episode.toml), and
corrections to its cues (transcript.vtt).

Each change to episode.toml is made under the episode's lock on a fresh read of it, so it never undoes
a change another process made meanwhile (a clip added, a replace). A save from a form is a compare-and-swap:
the form carries the version of what it showed (`based_on`: metadata_version), and when the episode is
no longer that (another producer saved, or `ingest --replace` brought a new recording) the save is refused
(StaleEdit) and nothing is written. The lock is waited for `wait`
seconds at most: a page must not hang while a long stage runs; the producer is told who holds it and
tries again. The changes take effect in the outputs at the next `process` (new tags, cart dates,
clips), which the caller starts.

`save_cue_edits` takes the changed cues (by their position in the transcript, new text and, when moved,
new times), checks them, and writes transcript.vtt with them. A VTT that Studio did not write is the
producer's edit (see studio.workspace.transcript): later runs of `process` keep it, nothing is
transcribed again, and it flows into the SRT, JSON and text files (written here at once, as `process`
would) and from there into clips and the feed. Each edited line carries the version of the line its editor
showed (`CueEdit.based_on`: cue_version, a hash of its text and times): the save is refused (LineConflict,
naming the line's text now) only when that line changed since, so two producers correcting different lines
of an hour's transcript both succeed, the second save merged into the file the first wrote. The read, the
check and the write are one step under the episode's edit lock (workspace.state.edit_lock), so of two saves
of the same line at the same moment exactly one is written and the other is told what it now reads. An edit
without a line version is checked against the whole VTT instead (`based_on`, its sha256), as before: any
change since refuses it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..captions import Cue
from ..errors import BadInput
from ..fsutil import sha256_text
from ..pipeline.clips import current_highlights
from ..workspace import Episode, Workspace
from ..workspace.episode import check_air_window, clean_field, clean_paragraphs, parse_time
from ..workspace.state import episode_lock
from ..workspace.transcript import edit_cues

LOCK_WAIT_S = 5.0
TIME_SLACK_S = 0.001  # timings are written to the millisecond


@dataclass(frozen=True)
class Metadata:
    """What a producer may change about an episode (the recording date is part of its id: not here)."""

    title: str
    description: str = ""
    source: str = ""
    air_from: str = ""  # ISO date or date-time; a missing zone is local time
    air_until: str = ""


def clean_metadata(metadata: Metadata, zone: dt.tzinfo | None = None) -> Metadata:
    """The metadata as ingest would store it; BadInput for an empty title or a bad air window. An air window
    without an offset is in `zone` (the show's; None: the machine's), and a date alone as its end is the end of
    that day there."""
    title = clean_field(metadata.title)
    if not title:
        raise BadInput("the title is empty")
    air_from = parse_time(metadata.air_from.strip(), "air-from", zone) if metadata.air_from.strip() else ""
    air_until = (parse_time(metadata.air_until.strip(), "air-until", zone, end_of_day=True)
                 if metadata.air_until.strip() else "")
    check_air_window(air_from, air_until)
    return Metadata(title=title, description=clean_paragraphs(metadata.description),
                    source=clean_field(metadata.source), air_from=air_from, air_until=air_until)


class StaleEdit(BadInput):
    """What the edit was made on is no longer there: someone else saved meanwhile (reload and edit again)."""


def metadata_version(episode: Episode) -> str:
    """The version of an episode's metadata as a form shows it (the form's `based_on`): its fields, and the
    recording they belong to (a page opened before `ingest --replace` is stale)."""
    return sha256_text(json.dumps([episode.sha256, episode.ingested_at, episode.title, episode.description,
                                   episode.source, episode.air_from, episode.air_until]))


def update_metadata(workspace: Workspace, episode_id: str, metadata: Metadata,
                    wait: float | None = LOCK_WAIT_S, based_on: str | None = None) -> Episode:
    """Write `metadata` into the episode's episode.toml; returns the episode as saved. `based_on`: the
    metadata_version the form showed; when the episode is no longer that, StaleEdit and nothing is written
    (None: no check, for the command line)."""
    current = workspace.episode(episode_id)
    clean = clean_metadata(metadata, workspace.show(current.show).zone)
    folder = workspace.episode_dir(current.id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        if based_on is not None and based_on != metadata_version(episode):
            raise StaleEdit(f"{episode.id} was changed since this page was opened: reload it and edit again")
        episode.title, episode.description, episode.source = clean.title, clean.description, clean.source
        episode.air_from, episode.air_until = clean.air_from, clean.air_until
        workspace.save_episode(episode)
    return episode


def highlights_version(highlights: list[dict]) -> str:
    """The version of the highlights as a page lists them (the remove form's `based_on`)."""
    return sha256_text(json.dumps(highlights, sort_keys=True))


def _change_highlight(workspace: Workspace, episode_id: str, index: int, change: Callable[[list[dict], int], None],
                      wait: float | None, based_on: str | None) -> Episode:
    """Apply `change` to the highlight at `index` (0-based) of those the clips are made from, the producer's
    or an automatic pick, and write the list into episode.toml: from then on the episode's highlights are
    the producer's list (the automatic picks kept in it as they are; nothing is picked again, even when the
    list is empty). `based_on`: the highlights_version the page listed; when the list is no longer that
    (the `index` may name another highlight now), StaleEdit and nothing is written."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        current = current_highlights(workspace, episode, workspace.show(episode.show))
        if based_on is not None and based_on != highlights_version(current):
            raise StaleEdit(f"{episode.id}: the highlights changed since this page was opened: reload it")
        if not 0 <= index < len(current):
            raise BadInput(f"{episode.id} has no highlight {index + 1} (it has {len(current)})")
        change(current, index)
        episode.highlights = current
        episode.highlights_from = "producer"
        workspace.save_episode(episode)
    return episode


def remove_highlight(workspace: Workspace, episode_id: str, index: int,
                     wait: float | None = LOCK_WAIT_S, based_on: str | None = None) -> Episode:
    """Remove the highlight at `index` and its clips (see _change_highlight)."""
    return _change_highlight(workspace, episode_id, index, lambda found, i: found.pop(i), wait, based_on)


def rename_highlight(workspace: Workspace, episode_id: str, index: int, title: str,
                     wait: float | None = LOCK_WAIT_S, based_on: str | None = None) -> Episode:
    """Give the highlight at `index` the title `title` (its clips are made again with it at the next `process`:
    the title is in the picture). BadInput for an empty title."""
    clean = clean_field(title)
    if not clean:
        raise BadInput("the clip title is empty")

    def rename(found: list[dict], i: int) -> None:
        found[i]["title"] = clean
    return _change_highlight(workspace, episode_id, index, rename, wait, based_on)


def publish_highlight(workspace: Workspace, episode_id: str, index: int, publish: bool,
                      wait: float | None = LOCK_WAIT_S, based_on: str | None = None) -> Episode:
    """Keep the highlight at `index` from publishing (`publish` False: its clips stay in the app, out of the
    feed and the site) or let it out again."""
    def mark(found: list[dict], i: int) -> None:
        if publish:
            found[i].pop("publish", None)
        else:
            found[i]["publish"] = False
    return _change_highlight(workspace, episode_id, index, mark, wait, based_on)


# -- the transcript --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CueEdit:
    text: str  # one or more lines
    start: float | None = None  # None: keep the cue's time
    end: float | None = None
    based_on: str | None = None  # cue_version of the line as the editor showed it; None: the whole VTT is checked


def cue_version(cue: Cue) -> str:
    """The version of one line of the transcript as a page shows it (its text and times): the `based_on` of
    its correction."""
    return sha256_text(json.dumps([round(cue.start, 3), round(cue.end, 3), cue.lines]))[:16]


@dataclass
class SavedTranscript:
    cues: list[Cue]
    changed: list[int]  # positions of the cues whose text or times changed
    sha256: str  # of transcript.vtt as written (the `based_on` of the next save)


class TranscriptChanged(StaleEdit):
    """transcript.vtt is no longer the one the edit was made on."""


class LineConflict(TranscriptChanged):
    """A line was changed (by another producer, or a new transcript) since its editor was opened: `index`
    (0-based) and its text now (`theirs`)."""

    def __init__(self, index: int, theirs: str):
        super().__init__(f"line {index + 1} was changed since it was opened; it now reads: {theirs}")
        self.index, self.theirs = index, theirs


def clean_lines(text: str) -> list[str]:
    """A cue's text as lines: spaces collapsed, blank lines dropped, nothing that would end a VTT cue."""
    lines = [" ".join(line.replace("-->", "->").split()) for line in text.replace("\r\n", "\n").split("\n")]
    return [line for line in lines if line]


def apply_edits(cues: list[Cue], edits: dict[int, CueEdit],
                duration: float | None = None) -> tuple[list[Cue], list[int]]:
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
    files made from it. When every edit carries its line's version (CueEdit.based_on), only those lines are
    checked (LineConflict for one changed since) and the edits are merged into the transcript as it is now;
    else `based_on` is the sha256 of the VTT the edits were made on (see vtt_sha256).

    BadInput when there is no transcript, an edit is invalid, or what it was made on changed
    (TranscriptChanged, LineConflict). Nothing is written then.
    """
    folder = Path(folder)
    per_line = bool(edits) and all(edit.based_on is not None for edit in edits.values())
    made: dict = {}

    def change(cues: list[Cue], seen: str) -> list[Cue] | None:  # under the edit lock, on the VTT as it is now
        if per_line:
            for index, edit in sorted(edits.items()):
                if 0 <= index < len(cues) and cue_version(cues[index]) != edit.based_on:
                    raise LineConflict(index, cues[index].body)
        elif based_on != seen:
            raise TranscriptChanged("the transcript was changed since this page was opened: reload it and edit again")
        made["cues"], made["changed"] = apply_edits(cues, edits, duration)
        return made["cues"] if made["changed"] else None

    try:
        written, sha = edit_cues(folder, change)
    except FileNotFoundError:
        raise BadInput(f"{folder.parent.name}/{folder.name} has no transcript yet") from None
    if made["changed"] and not written:
        raise TranscriptChanged("the transcript was changed while saving: reload it and edit again")
    return SavedTranscript(made["cues"], made["changed"], sha)
