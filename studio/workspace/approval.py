"""Four eyes: a show with `require_approval = true` publishes an episode only after a producer other than
its uploader approved it.

The record is the episode's `.studio/approval.json`: who uploaded the recording, and who approved which
recording (its sha256), when. An approval is for that recording only: a replaced recording needs a new one.
It is a file of its own (not state.json), so approving never races with `process` rewriting its state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import BadInput
from ..fsutil import read_json, write_json
from ..progress import Reporter
from . import users as users_mod
from .config import Show
from .episode import Episode
from .index import EpisodeRow
from .layout import APPROVAL_FILE
from .tree import Workspace


@dataclass(frozen=True)
class Approval:
    uploaded_by: str = ""
    approved_by: str = ""
    approved_at: str = ""
    sha256: str = ""  # the recording approved

    def covers(self, episode: Episode) -> bool:
        return bool(self.approved_by) and self.sha256 == episode.sha256


def read_approval(workspace: Workspace, episode_id: str) -> Approval:
    data = read_json(workspace.episode_dir(episode_id) / APPROVAL_FILE, default={})
    if not isinstance(data, dict):
        return Approval()
    return Approval(**{k: str(data.get(k, "")) for k in ("uploaded_by", "approved_by", "approved_at", "sha256")})


def _write(workspace: Workspace, episode_id: str, approval: Approval) -> None:
    write_json(workspace.episode_dir(episode_id) / APPROVAL_FILE, approval.__dict__)
    workspace.index.refresh_episode(episode_id)


def record_uploader(workspace: Workspace, episode: Episode, user: str) -> None:
    """Remember who uploaded the episode's recording (the web upload does this)."""
    _write(workspace, episode.id, Approval(uploaded_by=user))


def approve(workspace: Workspace, episode: Episode, user: str) -> Approval:
    """`user` approves `episode`: a producer, and not the one who uploaded it (BadInput otherwise)."""
    found = users_mod.get_user(workspace, user)
    if found is None or found.role != "producer":
        raise BadInput(f"{user!r} is not a producer: only a producer can approve (add one with "
                       "`studio user add NAME --role producer`)")
    current = read_approval(workspace, episode.id)
    if current.uploaded_by == user:
        raise BadInput(f"{episode.id} was uploaded by {user}: another producer must approve it (four eyes)")
    approval = Approval(uploaded_by=current.uploaded_by, approved_by=user,
                        approved_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        sha256=episode.sha256)
    _write(workspace, episode.id, approval)
    return approval


def publishable(rows: list[EpisodeRow], shows: dict[str, Show], reporter: Reporter | None = None) -> list[EpisodeRow]:
    """The episodes that may go out: their show needs no approval, or they have one for their recording.
    Each one held back for want of an approval is said in one line."""
    kept = []
    for row in rows:
        show = shows.get(row.show)
        if show is None or not show.require_approval or row.approved_by:
            kept.append(row)
        elif reporter:
            reporter.info(f"{row.id}: not published, waiting for approval (`studio approve {row.id}`)")
    return kept
