"""The delivery log: every broadcast file the pull API sent, for a scheduler to see what each station received.

`studio serve` appends one JSON line per 200 or 206 answer to a WAV under
/radio/ (time, station, file, bytes sent, client address, status), once the
answer is over, to
`logs/radio-deliveries.jsonl` in the workspace. Each line is one O_APPEND
write, so the lines of concurrent requests never interleave. A push to a
station's playout system (`studio radio push`, radio.push.run) appends a
line too, with the kind of station and the id the station gave the file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..fsutil import append_line
from ..workspace.layout import RADIO_DELIVERIES_FILE
from ..workspace.tree import Workspace


@dataclass(frozen=True)
class Delivery:
    time: str  # ISO 8601, UTC
    station: str
    file: str  # path in the radio target, e.g. kpu/2024-01-10-dpt.wav
    bytes: int  # sent: the file or range asked for (206), less when the station broke off; a push: the file
    client: str  # the client's address ("push" for a push)
    status: int
    kind: str = ""  # a push: the station's kind (azuracast, libretime, rivendell); "": pulled
    episode: str = ""  # a push: the episode id
    remote_id: str = ""  # a push: the station's id for the file (media id, file id, drop-box name)

    def line(self, when: str = "") -> str:
        """One line for `studio radio log`; `when`: the time as people read it (default: as stored, UTC)."""
        when = when or self.time
        size = f"{self.bytes} bytes" + (" (range)" if self.status == 206 else "")
        if self.kind:
            return f"{when}  {self.station}  {self.file}  {size}  pushed to {self.kind} as {self.remote_id}"
        return f"{when}  {self.station}  {self.file}  {size}  {self.client}"


def log_path(workspace: Workspace) -> Path:
    return workspace.root / RADIO_DELIVERIES_FILE


def record(path: Path, station: str, file: str, sent: int, client: str, status: int,
           now: dt.datetime | None = None) -> Delivery:
    """Append one delivery of `sent` bytes to the log at `path` (OSError when it cannot be written)."""
    when = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    delivery = Delivery(time=when, station=station, file=file, bytes=sent, client=client, status=status)
    path.parent.mkdir(parents=True, exist_ok=True)
    append_line(path, json.dumps(asdict(delivery), ensure_ascii=False))
    return delivery


def record_push(path: Path, station: str, kind: str, file: str, size: int, episode: str, remote_id: str,
                now: dt.datetime | None = None) -> Delivery:
    """Append one push to the log at `path` (OSError when it cannot be written)."""
    when = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    delivery = Delivery(time=when, station=station, file=file, bytes=size, client="push", status=200, kind=kind,
                        episode=episode, remote_id=remote_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    append_line(path, json.dumps(asdict(delivery), ensure_ascii=False))
    return delivery


def read(path: Path, station: str | None = None) -> list[Delivery]:
    """The deliveries in the log, oldest first (only `station`'s when given); unreadable lines are skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            delivery = Delivery(**json.loads(line))
        except (ValueError, TypeError):
            continue
        if station is None or delivery.station == station:
            found.append(delivery)
    return found
