"""A producer's changes to an episode's episode.toml: its metadata and air window, its highlights.

Each change is made under the episode's lock on a fresh read of episode.toml,
so it never undoes a change another process made meanwhile (a clip added, a
replace). The lock is waited for `wait` seconds at most: a page must not hang
while a long stage runs; the producer is told who holds it and tries again.
The changes take effect in the outputs at the next `process` (new tags,
cart dates, clips), which the caller starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadInput
from ..pipeline.ingest import (
    check_air_window,
    clean_field,
    clean_paragraphs,
    parse_time,
)
from ..pipeline.session import choose_highlights
from ..workspace.state import episode_lock
from ..workspace.tree import Episode, Workspace

LOCK_WAIT_S = 5.0


@dataclass(frozen=True)
class Metadata:
    """What a producer may change about an episode (the recording date is part of its id: not here)."""

    title: str
    description: str = ""
    source: str = ""
    air_from: str = ""  # ISO date or date-time; a missing zone is local time
    air_until: str = ""


def clean_metadata(metadata: Metadata) -> Metadata:
    """The metadata as ingest would store it; BadInput for an empty title or a bad air window."""
    title = clean_field(metadata.title)
    if not title:
        raise BadInput("the title is empty")
    air_from = parse_time(metadata.air_from.strip(), "air-from") if metadata.air_from.strip() else ""
    air_until = parse_time(metadata.air_until.strip(), "air-until") if metadata.air_until.strip() else ""
    check_air_window(air_from, air_until)
    return Metadata(title=title, description=clean_paragraphs(metadata.description),
                    source=clean_field(metadata.source), air_from=air_from, air_until=air_until)


def update_metadata(workspace: Workspace, episode_id: str, metadata: Metadata,
                    wait: float | None = LOCK_WAIT_S) -> Episode:
    """Write `metadata` into the episode's episode.toml; returns the episode as saved."""
    clean = clean_metadata(metadata)
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        episode.title, episode.description, episode.source = clean.title, clean.description, clean.source
        episode.air_from, episode.air_until = clean.air_from, clean.air_until
        workspace.save_episode(episode)
    return episode


def remove_highlight(workspace: Workspace, episode_id: str, index: int,
                     wait: float | None = LOCK_WAIT_S) -> Episode:
    """Remove the highlight at `index` (0-based) of those the clips are made from, the producer's or an
    automatic pick. From then on the episode's highlights are the producer's list: nothing is picked
    again, even when the list is empty."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        current = choose_highlights(workspace, episode, workspace.show(episode.show))
        if not 0 <= index < len(current):
            raise BadInput(f"{episode.id} has no highlight {index + 1} (it has {len(current)})")
        del current[index]
        episode.highlights = current
        episode.highlights_from = "producer"
        workspace.save_episode(episode)
    return episode
