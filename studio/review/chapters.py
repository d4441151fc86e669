"""A producer's review of an episode's transcript and chapters from the episode page: the chapters shown and
edited (titles and start times), and the mark that a producer reviewed the transcript.

Saved chapters become the producer's `[[chapters]]` in episode.toml, which every later run of the chapters
stage keeps (studio.pipeline.chapters); chapters.json is written from them at once, so the feed and the site
carry them at the next publish without waiting for `process`. A save is a compare-and-swap like the other
forms (studio.review.edits): the form carries the version of the chapters it showed.

The transcript counts as reviewed once a producer saved a correction or pressed "Transkrip sudah
diperiksa": who and when are kept in episode.toml (Episode.transcript_reviewed_by/_at), and until then the
listener site calls the transcript automatic.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from ..errors import BadInput
from ..fsutil import sha256_text, write_text
from ..text.chapters import Chapter, parse_seconds, producer_chapters, read_chapters, render_json
from ..workspace import Episode, Workspace
from ..workspace.episode import clean_field
from ..workspace.state import episode_lock
from .edits import LOCK_WAIT_S, StaleEdit

MAX_TITLE = 120


@dataclass(frozen=True)
class ShownChapters:
    chapters: list[Chapter]
    source: str  # "producer", "auto" (chapters.json from the transcript) or "" (none yet)
    version: str  # the `based_on` of the form that shows them


class ChapterError(BadInput):
    """A chapter row the page cannot save: `row` (1-based) and what is wrong (`kind`: time, outside, twice)."""

    def __init__(self, row: int, kind: str, message: str):
        super().__init__(message)
        self.row, self.kind = row, kind


def chapters_version(chapters: list[Chapter]) -> str:
    return sha256_text(json.dumps([[c.start, c.title] for c in chapters]))[:16]


def shown_chapters(workspace: Workspace, episode: Episode) -> ShownChapters:
    """The chapters the episode has now: the producer's (episode.toml), else those chapters.json holds."""
    found: list[Chapter] = []
    source = ""
    if episode.chapters:
        try:
            found, source = producer_chapters(episode.chapters, episode.duration, episode.id), "producer"
        except BadInput:  # an episode.toml edited by hand into something invalid: show what was published
            found = []
    if not source:
        found = read_chapters(workspace.files(episode.id).chapters)
        source = "auto" if found else ""
    return ShownChapters(found, source, chapters_version(found))


def parse_rows(rows: list[tuple[str, str]], duration: float) -> list[Chapter]:
    """The form's rows (start as [H:]MM:SS or seconds, title) as chapters, sorted; a row without a title is
    left out (that is how a chapter is removed). ChapterError for a bad or repeated time."""
    found: list[Chapter] = []
    for number, (start_text, title_text) in enumerate(rows, start=1):
        title = clean_field(title_text)[:MAX_TITLE].strip()
        if not title:
            continue
        start = parse_seconds(start_text.strip().replace(",", ".")) if start_text.strip() else None
        if start is None or not math.isfinite(start) or start < 0:
            raise ChapterError(number, "time", f"chapter {number}: {start_text!r} is not a time (MM:SS)")
        if duration and start >= duration:
            raise ChapterError(number, "outside", f"chapter {number}: {start_text} is after the recording ends")
        if any(abs(c.start - start) < 1.0 for c in found):
            raise ChapterError(number, "twice", f"chapter {number}: another chapter starts at {start_text}")
        found.append(Chapter(start=round(start, 3), title=title))
    return sorted(found, key=lambda c: c.start)


def save_chapters(workspace: Workspace, episode_id: str, rows: list[tuple[str, str]], based_on: str | None = None,
                  wait: float | None = LOCK_WAIT_S) -> ShownChapters:
    """Make `rows` the episode's chapters (the producer's from now on; no rows: automatic again at the next
    `process`) and write chapters.json from them. `based_on`: the version of the chapters the form showed;
    StaleEdit when they are no longer those (None: no check)."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        found = parse_rows(rows, episode.duration)
        if based_on is not None and based_on != shown_chapters(workspace, episode).version:
            raise StaleEdit(f"{episode.id}: the chapters changed since this page was opened: reload it")
        episode.chapters = [{"start": c.start, "title": c.title} for c in found]
        workspace.save_episode(episode)
        if found:
            write_text(workspace.files(episode.id).chapters, render_json(found))
    return shown_chapters(workspace, episode)


def mark_transcript_reviewed(workspace: Workspace, episode_id: str, user: str,
                             wait: float | None = LOCK_WAIT_S) -> Episode:
    """Record that `user` reviewed the episode's transcript now (the listener site's note goes away)."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        episode.transcript_reviewed_by = user
        episode.transcript_reviewed_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        workspace.save_episode(episode)
    return episode
