"""The approval digest: what an approval covers, as content hashes, worked out in this one place.

An approval (workspace.approval) covers everything that will be published about an episode. At approval
the digest of each part is recorded; when any part's digest is no longer the recorded one, the approval
is withdrawn (the episode index says so, publish holds the episode back, the episode page says what
changed). The parts:

    recording    the original's sha256 (the renditions are made from it and the metadata below)
    title        the title
    description  the description
    transcript   the bytes of each transcript file (VTT, SRT, JSON, text)
    chapters     the producer's chapters and the bytes of chapters.json
    clips        which highlights, and each rendered clip: its render key (a hash of everything its
                 bytes depend on), its files and their sizes
    air_window   air_from and air_until
    details      season, episode number and type, and the bytes of the episode's own artwork (an approval
                 recorded before this part existed covers the defaults: none of them set)

Clips are not read byte by byte (they are large and the index works this out for every approved
episode it reads); their render key and size stand for them. Everything else is hashed whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from ..fsutil import write_json
from .episode import Episode
from .layout import APPROVAL_FILE, CHAPTERS_FILE, TRANSCRIPT_FILES

PARTS = ("recording", "title", "description", "transcript", "chapters", "clips", "air_window", "details")


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _clips(folder: Path, episode: Episode, state: dict) -> str:
    made = []
    for entry in state.get("clips", []) if isinstance(state.get("clips"), list) else []:
        if not isinstance(entry, dict):
            continue
        files = entry.get("files") if isinstance(entry.get("files"), dict) else {}
        sizes = {}
        for fmt, name in sorted(files.items()):
            try:
                sizes[fmt] = [str(name), os.stat(folder / str(name)).st_size]
            except OSError:
                sizes[fmt] = [str(name), None]
        made.append({"key": entry.get("key"), "start": entry.get("start"), "end": entry.get("end"),
                     "title": entry.get("title"), "files": sizes})
    return _hash({"highlights": episode.highlights, "from": episode.highlights_from, "made": made})


def _details(folder: Path | None, episode: Episode | None) -> str:
    if episode is None or folder is None:
        return _hash([None, None, "", ""])
    artwork = _file_hash(folder / episode.artwork) if episode.artwork else ""
    return _hash([episode.season, episode.number, episode.episode_type, artwork])


# What a part's digest is when an approval was recorded before the part existed (the part as it then was).
ADDED_LATER = {"details": _details(None, None)}


def approval_digest(folder: Path, episode: Episode, state: dict) -> dict[str, str]:
    """The digest of each part of the episode that goes out (PARTS), from its folder now; `state` is its
    .studio/state.json."""
    folder = Path(folder)
    return {
        "recording": episode.sha256,
        "title": _hash(episode.title),
        "description": _hash(episode.description),
        "transcript": _hash([_file_hash(folder / name) for name in TRANSCRIPT_FILES.values()]),
        "chapters": _hash([episode.chapters, _file_hash(folder / CHAPTERS_FILE)]),
        "clips": _clips(folder, episode, state),
        "air_window": _hash([episode.air_from, episode.air_until]),
        "details": _details(folder, episode),
    }


def changed_parts(recorded: object, now: dict[str, str]) -> list[str]:
    """The parts whose digest is not the recorded one (every part when nothing usable was recorded)."""
    if not isinstance(recorded, dict):
        return list(PARTS)
    return [part for part in PARTS if recorded.get(part, ADDED_LATER.get(part)) != now.get(part)]


def digest_token(digest: dict[str, str]) -> str:
    """One hash of a whole digest: what the approve button was shown (its `based_on`)."""
    return _hash(digest)


def withdrawn_parts(folder: Path, episode: Episode, state: dict, approval: dict) -> list[str]:
    """What changed since the approval recorded in `approval` (an approval.json as read): [] while it still
    covers everything that goes out. An approval recorded before approvals covered everything (the
    recording's sha256 only) is taken to cover the episode as this first read finds it, and written down
    once: a change from then on withdraws it, and an archive already approved does not leave its feeds."""
    if approval.get("sha256") != episode.sha256:
        return ["recording"]
    now = approval_digest(folder, episode, state)
    if "digest" not in approval:
        adopted = {**approval, "digest": now, "digest_adopted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with contextlib.suppress(OSError):  # a read-only workspace: adopted again at the next read
            write_json(folder / APPROVAL_FILE, adopted)
        return []
    return changed_parts(approval["digest"], now)
