"""A producer's changes to the episode basics podcast hosts have (workspace.release): the publish time, season,
number and type, the episode's own artwork, and taking an episode down (unpublish) and putting it back.

Like review.edits, each change is made under the episode's lock on a fresh read of episode.toml; a save from
the page is a compare-and-swap on `basics_version` (StaleEdit when someone saved meanwhile). What goes out
follows at the next publish: the caller starts one (the web app queues it; the command line says so).
A change to season, number, type or artwork after an approval withdraws it (workspace.digest, "details").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..fsutil import atomic_path, sha256_text
from ..localtime import format_local
from ..localtime import zone_name as zone_name_of
from ..workspace import Episode, Workspace
from ..workspace.config import time_zone
from ..workspace.layout import EPISODE_ARTWORK_NAME
from ..workspace.release import parse_number, parse_publish_at, parse_type, publish_time
from ..workspace.shows import check_artwork
from ..workspace.state import episode_lock
from .edits import LOCK_WAIT_S, StaleEdit

KEEP = None  # a field of Basics left as it is


@dataclass(frozen=True)
class Basics:
    """The basics as a producer gives them (text from a form or options); None: leave that one as it is."""

    publish_at: str | None = KEEP  # local time in the show's zone, or with an offset; "": no schedule
    season: str | None = KEEP
    number: str | None = KEEP
    episode_type: str | None = KEEP  # full, trailer or bonus


def basics_version(episode: Episode) -> str:
    """The version of the basics as the page shows them (its form's `based_on`)."""
    return sha256_text(json.dumps([episode.sha256, episode.publish_at, episode.unpublished_at, episode.artwork,
                                   episode.season, episode.number, episode.episode_type]))


def _update(workspace: Workspace, episode_id: str, change, wait: float | None, based_on: str | None) -> Episode:
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    with episode_lock(folder, wait):
        episode = workspace.episode(episode_id)
        if based_on is not None and based_on != basics_version(episode):
            raise StaleEdit(f"{episode.id} was changed since this page was opened: reload it and edit again")
        change(episode, folder)
        workspace.save_episode(episode)
    return episode


def update_basics(workspace: Workspace, episode_id: str, basics: Basics, wait: float | None = LOCK_WAIT_S,
                  based_on: str | None = None) -> Episode:
    """Write the publish time, season, number and type (those not None); BadInput for a value a feed cannot
    carry, StaleEdit when `based_on` is no longer the episode's basics_version."""
    zone = workspace.show(workspace.episode(episode_id).show).timezone
    checked: dict[str, object] = {}  # only the fields given
    if basics.publish_at is not None:
        checked["publish_at"] = parse_publish_at(basics.publish_at, zone)
    if basics.season is not None:
        checked["season"] = parse_number(basics.season, "season")
    if basics.number is not None:
        checked["number"] = parse_number(basics.number, "episode number")
    if basics.episode_type is not None:
        checked["episode_type"] = parse_type(basics.episode_type)

    def change(episode: Episode, _folder: Path) -> None:
        for name, value in checked.items():
            setattr(episode, name, value)

    return _update(workspace, episode_id, change, wait, based_on)


def set_artwork(workspace: Workspace, episode_id: str, source: Path, wait: float | None = LOCK_WAIT_S,
                based_on: str | None = None) -> Episode:
    """Make `source` the episode's own artwork, checked by the show artwork's rule (square JPEG or PNG,
    1400-3000 px); it is copied into the episode folder as artwork.jpg or artwork.png."""
    suffix = check_artwork(Path(source))  # absurd dimensions too: refused like any other size outside the rule
    name = EPISODE_ARTWORK_NAME + suffix

    def change(episode: Episode, folder: Path) -> None:
        with atomic_path(folder / name) as temp:
            shutil.copyfile(source, temp)
        if episode.artwork and episode.artwork != name:
            (folder / episode.artwork).unlink(missing_ok=True)
        episode.artwork = name

    return _update(workspace, episode_id, change, wait, based_on)


def remove_artwork(workspace: Workspace, episode_id: str, wait: float | None = LOCK_WAIT_S,
                   based_on: str | None = None) -> Episode:
    """The episode goes out with the show's artwork again."""
    def change(episode: Episode, folder: Path) -> None:
        if episode.artwork:
            (folder / episode.artwork).unlink(missing_ok=True)
        episode.artwork = ""

    return _update(workspace, episode_id, change, wait, based_on)


def unpublish(workspace: Workspace, episode_id: str, now: dt.datetime | None = None,
              wait: float | None = LOCK_WAIT_S, based_on: str | None = None) -> Episode:
    """Take the episode down: the next publish leaves it out of the feed, the site and its search."""
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)

    def change(episode: Episode, _folder: Path) -> None:
        if not episode.unpublished_at:
            episode.unpublished_at = moment.isoformat(timespec="seconds")

    return _update(workspace, episode_id, change, wait, based_on)


def restore(workspace: Workspace, episode_id: str, wait: float | None = LOCK_WAIT_S,
            based_on: str | None = None) -> Episode:
    """Put an unpublished episode back: the next publish carries it again (at its publish time, if any)."""
    def change(episode: Episode, _folder: Path) -> None:
        episode.unpublished_at = ""

    return _update(workspace, episode_id, change, wait, based_on)


def artwork_upload_path(workspace: Workspace, episode_id: str) -> Path:
    """A hidden file in the episode folder for an uploaded artwork until it is checked (never under a final name)."""
    folder = workspace.episode_dir(workspace.episode(episode_id).id)
    return folder / f".artwork-upload-{os.getpid()}-{dt.datetime.now().timestamp():.6f}"


def check_not_empty(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        raise BadInput("no image was sent: choose a JPEG or PNG file")


@dataclass(frozen=True)
class BasicsView:
    """The basics as the episode page shows them, in the show's zone and the page's language."""

    status: str  # now, scheduled, due, unpublished
    when: str  # the publish or unpublish time as people read it ("" for none)
    publish_local: str  # YYYY-MM-DDTHH:MM in the show's zone, for the form's datetime-local field
    zone: str  # WIB, WITA, WIT (or UTC+hh:mm)
    version: str  # basics_version: the forms' `based_on`


def basics_view(episode: Episode, zone_name: str, lang: str, now: dt.datetime | None = None) -> BasicsView:
    zone = time_zone(zone_name)
    now = now or dt.datetime.now(dt.timezone.utc)
    moment = publish_time(episode.publish_at) if episode.publish_at else None
    local = moment.astimezone(zone) if moment else None
    if episode.unpublished_at:
        status, when = "unpublished", format_local(dt.datetime.fromisoformat(episode.unpublished_at), zone, lang)
    elif moment:
        status, when = ("due" if moment <= now else "scheduled"), format_local(moment, zone, lang)
    else:
        status, when = "now", ""
    return BasicsView(status=status, when=when, publish_local=local.strftime("%Y-%m-%dT%H:%M") if local else "",
                      zone=zone_name_of(now.astimezone(zone)), version=basics_version(episode))
