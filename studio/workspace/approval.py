"""Four eyes: a show with `require_approval = true` publishes an episode only after a producer other than
its uploader approved it.

The record is the episode's `.studio/approval.json`: who uploaded the recording, and who approved it,
when, and what they approved: the approval digest (workspace.digest) of everything that goes out about
the episode (recording, title, description, transcript, chapters, clips, air window). Any change to one of
those afterwards withdraws the approval: the index no longer counts it, publish holds the episode back
and says so, and the episode page says who had approved and what changed. `ingest --replace` keeps who
uploaded. It is a file of its own (not state.json), so approving never races with `process` rewriting
its state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..fsutil import read_json, write_json
from ..progress import Reporter
from . import users as users_mod
from .config import Show
from .digest import approval_digest, digest_token
from .episode import Episode
from .index import EpisodeRow
from .layout import APPROVAL_FILE
from .state import load_state
from .tree import Workspace


class ApprovalStale(BadInput):
    """The episode changed since the approving producer's page showed it."""


@dataclass(frozen=True)
class Approval:
    uploaded_by: str = ""
    approved_by: str = ""
    approved_at: str = ""
    sha256: str = ""  # the recording approved
    digest: dict = field(default_factory=dict)  # workspace.digest: what was approved, part by part

    def covers(self, episode: Episode) -> bool:
        """Whether an approval is recorded for this recording (whether it still covers everything about
        the episode is the index's `approved_by`, from workspace.digest)."""
        return bool(self.approved_by) and self.sha256 == episode.sha256


def from_record(data: object) -> Approval:
    """The approval in an approval.json as read (an empty one when it is not a JSON object)."""
    if not isinstance(data, dict):
        return Approval()
    digest = data.get("digest")
    return Approval(**{k: str(data.get(k, "")) for k in ("uploaded_by", "approved_by", "approved_at", "sha256")},
                    digest=digest if isinstance(digest, dict) else {})


def read_approval(workspace: Workspace, episode_id: str) -> Approval:
    return from_record(read_json(workspace.episode_dir(episode_id) / APPROVAL_FILE, default={}))


def current_token(workspace: Workspace, episode: Episode, state: dict | None = None) -> str:
    """One hash of everything that would go out about the episode now: the approve form carries it.
    `state`: its .studio/state.json when the caller has just read it."""
    folder = workspace.episode_dir(episode.id)
    return digest_token(approval_digest(folder, episode, load_state(folder) if state is None else state))


def _write(workspace: Workspace, episode_id: str, approval: Approval) -> None:
    write_json(workspace.episode_dir(episode_id) / APPROVAL_FILE, asdict(approval))
    workspace.index.refresh_episode(episode_id)


def record_uploader(workspace: Workspace, episode: Episode, user: str) -> None:
    """Remember who uploaded the episode's recording (the web upload does this)."""
    _write(workspace, episode.id, Approval(uploaded_by=user))


def keep_uploader(old_folder: Path, new_folder: Path) -> None:
    """A replaced episode (`ingest --replace`): the new folder keeps who uploaded the first recording (and
    nothing of the old approval: the new recording needs its own)."""
    uploader = from_record(read_json(old_folder / APPROVAL_FILE, default={})).uploaded_by
    if uploader:
        write_json(new_folder / APPROVAL_FILE, asdict(Approval(uploaded_by=uploader)))


def approve(workspace: Workspace, episode: Episode, user: str, based_on: str | None = None) -> Approval:
    """`user` approves `episode` as it is now: a producer, and not the one who uploaded it (BadInput
    otherwise). `based_on`: the current_token() of the page the producer approved from; when the episode
    changed since, ApprovalStale (they would approve what they have not seen)."""
    found = users_mod.get_user(workspace, user)
    if found is None or found.role != "producer":
        raise BadInput(f"{user!r} is not a producer: only a producer can approve (add one with "
                       "`studio user add NAME --role producer`)")
    current = read_approval(workspace, episode.id)
    if current.uploaded_by == user:
        raise BadInput(f"{episode.id} was uploaded by {user}: another producer must approve it (four eyes)")
    episode = workspace.episode(episode.id)  # as it is now
    folder = workspace.episode_dir(episode.id)
    digest = approval_digest(folder, episode, load_state(folder))
    if based_on is not None and based_on != digest_token(digest):
        raise ApprovalStale(f"{episode.id} was changed since this page was opened: reload it, look again "
                            "and approve")
    approval = Approval(uploaded_by=current.uploaded_by, approved_by=user,
                        approved_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                        sha256=episode.sha256, digest=digest)
    _write(workspace, episode.id, approval)
    return approval


def publishable(rows: list[EpisodeRow], shows: dict[str, Show], reporter: Reporter | None = None) -> list[EpisodeRow]:
    """The episodes that may go out: their show needs no approval, or they have one that covers everything
    about them as it is now. Each one held back is said in one line: waiting for approval, or for approval
    again (who had approved, what changed since)."""
    kept = []
    for row in rows:
        show = shows.get(row.show)
        if show is None or not show.require_approval or row.approved_by:
            kept.append(row)
        elif reporter and row.withdrawn_by:
            reporter.info(f"{row.id}: not published, waiting for approval again: {', '.join(row.withdrawn)} "
                          f"changed since {row.withdrawn_by} approved it (`studio approve {row.id} --by NAME`)")
        elif reporter:
            reporter.info(f"{row.id}: not published, waiting for approval (`studio approve {row.id}`)")
    return kept
