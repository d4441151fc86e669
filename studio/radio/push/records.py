"""The delivery record: what each push station holds of each episode (.studio/radio-push.json).

One JSON file, rewritten atomically after every item, read and written only under the push lock
(`studio radio push` holds it for the whole run). For each station and episode: the state of the last push
("delivered", "failed", "expired"), the Remote the station holds (kept across a failed replace, so the next
push replaces it), the sha256 and fingerprint of what was delivered, the Rivendell cart number, the air
window's end (for --expire), the last failure's reason and one-line message, and when.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from ...fsutil import file_lock, read_json, write_json
from ...workspace.layout import RADIO_PUSH_FILE, RADIO_PUSH_JOURNAL_DIR, RADIO_PUSH_LOCK_FILE
from ...workspace.tree import Workspace
from .base import Remote

RECORD_VERSION = 1
STATES = ("delivered", "failed", "expired")


@dataclass
class Record:
    """One station's copy of one episode."""

    state: str  # one of STATES
    file: str  # the broadcast file's path in the radio target (show/slug.wav)
    sha256: str = ""  # of the file delivered ("" while nothing was)
    fingerprint: str = ""  # of everything pushed with it (title, air window, cue points, cart)
    remote: dict | None = None  # asdict(Remote) of what the station holds
    cart: int | None = None  # Rivendell: the cart number given to this episode, kept for good
    air_until: str | None = None  # ISO; when --expire takes it out
    reason: str = ""  # the last failure's PushError reason
    message: str = ""  # its one line
    time: str = ""  # ISO 8601 UTC of the last push or expire
    bytes_sent: int = 0

    def remote_obj(self) -> Remote | None:
        return Remote(**self.remote) if self.remote else None

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Records:
    """Every station's records, by station name, then episode id."""

    path: Path
    stations: dict[str, dict[str, Record]] = field(default_factory=dict)

    def get(self, station: str, episode: str) -> Record | None:
        return self.stations.get(station, {}).get(episode)

    def put(self, station: str, episode: str, record: Record) -> None:
        self.stations.setdefault(station, {})[episode] = record
        self.save()

    def save(self) -> None:
        write_json(self.path, {"version": RECORD_VERSION, "stations": {
            name: {episode: asdict(record) for episode, record in sorted(items.items())}
            for name, items in sorted(self.stations.items())}})

    def carts(self, station: str) -> set[int]:
        return {r.cart for r in self.stations.get(station, {}).values() if r.cart is not None}


def load(workspace: Workspace) -> Records:
    """The records (empty when none were written yet, or the file is unreadable)."""
    path = workspace.root / RADIO_PUSH_FILE
    data = read_json(path, default={})
    stations: dict[str, dict[str, Record]] = {}
    if isinstance(data, dict) and isinstance(data.get("stations"), dict):
        for name, items in data["stations"].items():
            if isinstance(items, dict):
                stations[name] = {episode: Record.from_dict(rec) for episode, rec in items.items()
                                  if isinstance(rec, dict) and "state" in rec and "file" in rec}
    return Records(path, stations)


@contextlib.contextmanager
def push_lock(workspace: Workspace) -> Iterator[None]:
    """One push at a time in a workspace (across processes): a second one waits, then finds the work done."""
    with file_lock(workspace.root / RADIO_PUSH_LOCK_FILE):
        yield


def journal_dir(workspace: Workspace, station: str, episode: str) -> Path:
    """The folder an upload of `episode` to `station` keeps across runs until it succeeded."""
    return workspace.root / RADIO_PUSH_JOURNAL_DIR / station / episode


def now_iso(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
