"""`studio radio push`: each broadcast file whose air window is current or future, to each push station.

The items are the episodes publish sends (four eyes where a show asks for them) that have a broadcast file,
taken from the radio manifest (sha256, duration, air window). One push runs at a time in a workspace (a
file lock): a second one waits, then finds everything delivered. For each station and item:

- unchanged (the record holds the same sha256 and the same fingerprint: title, air window, cue points,
  cart): nothing is sent, the pusher is not even asked;
- otherwise the station's Pusher delivers it (replacing its copy when the file changed), given the Remote it
  holds and a journal folder kept across runs (.studio/radio-push-journal/<station>/<episode>/) so an upload
  cut off by a kill resumes; the journal is emptied after success;
- a failure (PushError, or anything else) is one line for that station and item; the others go on.

Each delivery is recorded (records.py) and appended to the delivery log. `expire` takes items whose air
window has ended out of the station's playlist (the file too only when asked).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import zoneinfo
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

from ...errors import BadInput, explain
from ...workspace.approval import publishable
from ...workspace.config import Station
from ...workspace.tree import Workspace
from .. import deliveries
from ..manifest import radio_delivery
from ..stations import check_station, find_station, read_key
from . import records as records_mod
from .base import Pusher, PushError, PushItem, Remote

EDGE_FADE_S = 0.02  # the broadcast rendition's fade in and out at its trimmed edges (media.loudness)


def _azuracast(workspace: Workspace, station: Station) -> Pusher:
    from .azuracast import AzuraCast

    return AzuraCast(station.base_url, station.station_id, read_key(workspace, station))


def _libretime(workspace: Workspace, station: Station) -> Pusher:
    from .libretime import LibreTime

    return LibreTime(station.base_url, read_key(workspace, station))


def _rivendell(workspace: Workspace, station: Station) -> Pusher:
    from .rivendell import Rivendell

    return Rivendell(workspace.root / station.drop_folder, station.name_pattern, station.group)


# Each push kind's Pusher, made from the station's settings (its module imported only when used).
KINDS: dict[str, Callable[[Workspace, Station], Pusher]] = {
    "azuracast": _azuracast, "libretime": _libretime, "rivendell": _rivendell}


@dataclass
class Outcome:
    """What happened to one item at one station."""

    station: str
    episode: str
    file: str
    state: str  # delivered | unchanged | failed | expired
    reason: str = ""  # of a failure: PushError's reason
    message: str = ""
    bytes_sent: int = 0
    remote_id: str = ""

    def line(self) -> str:
        if self.state == "failed":
            return f"error: {self.station}: {self.episode}: {self.message}"
        what = {"delivered": f"delivered ({self.bytes_sent} bytes sent, {self.remote_id})",
                "unchanged": "unchanged", "expired": "expired"}[self.state]
        return f"{self.station}: {self.episode}: {what}"


@dataclass
class PushReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)  # the push stations looked at

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.state == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def per_station(self) -> list[str]:
        """One line per station: how many delivered, unchanged, expired, failed."""
        lines = []
        for name in self.stations:
            mine = [o for o in self.outcomes if o.station == name]
            counts = {state: sum(o.state == state for o in mine) for state in ("delivered", "unchanged", "expired",
                                                                               "failed")}
            shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "nothing to push"
            lines.append(f"{name}: {shown}")
        return lines

    def to_dict(self) -> dict:
        return {"stations": self.stations, "outcomes": [asdict(o) for o in self.outcomes],
                "failed": len(self.failed)}


def push_stations(workspace: Workspace, names: list[str] | tuple[str, ...] = ()) -> list[Station]:
    """The stations Studio pushes to (only `names`, when given: BadInput for an unknown one or a pull station)."""
    if names:
        chosen = [find_station(workspace, name) for name in names]
        if pulls := [s.name for s in chosen if not s.pushes]:
            raise BadInput(f"station {pulls[0]} pulls its files (`studio radio pull`): nothing is pushed to it")
        return chosen
    return [s for s in sorted(workspace.settings.stations, key=lambda s: s.name) if s.pushes]


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def broadcast_items(workspace: Workspace, episodes: list[str] | tuple[str, ...] = ()) -> list[PushItem]:
    """Every broadcast file publish sends (only `episodes`' when given), as a PushItem without a station's
    cart or time zone; BadInput for an episode that has none."""
    rows = publishable([r for r in workspace.index.rows() if not r.broken], workspace.shows())
    if episodes:
        wanted = set(episodes)
        rows = [r for r in rows if r.id in wanted]
    delivery = radio_delivery(workspace, rows=rows)
    shows = workspace.shows()
    items = []
    for (source, _), entry in zip(delivery.files, delivery.manifest["files"]):
        show = shows.get(entry["show"])
        name = show.title if show else entry["show"]
        items.append(PushItem(
            show=entry["show"], episode=entry["episode"], path=source, sha256=entry["sha256"], bytes=entry["bytes"],
            duration=entry["duration"], title=entry["title"], artist=name, album=name,
            cue_in=0.0, cue_out=entry["duration"], fade_in=EDGE_FADE_S, fade_out=EDGE_FADE_S,
            air_from=_moment(entry["air_from"]), air_until=_moment(entry["air_until"])))
    if missing := sorted(set(episodes) - {i.episode for i in items}):
        raise BadInput(f"{missing[0]}: no broadcast file to push (unknown, not processed, or waiting for approval)")
    return items


def current(item: PushItem, now: dt.datetime) -> bool:
    """Its air window is current or future (no window: always)."""
    return item.air_until is None or item.air_until > now


def for_station(item: PushItem, station: Station, record: records_mod.Record | None, carts: set[int]) -> PushItem:
    """`item` as `station` gets it: its air window in the station's time zone, a Rivendell cart number (the one
    it was given before, else the first free one of the station's range; None when the range is full)."""
    changes: dict = {}
    if station.timezone:
        zone = zoneinfo.ZoneInfo(station.timezone)
        changes.update(air_from=item.air_from.astimezone(zone) if item.air_from else None,
                       air_until=item.air_until.astimezone(zone) if item.air_until else None)
    if station.kind == "rivendell":
        cart = record.cart if record and record.cart is not None else next(
            (n for n in range(station.cart_first, station.cart_last + 1) if n not in carts), None)
        changes.update(cart=cart, scheduler_code=station.scheduler_code)
    return replace(item, **changes)


def fingerprint(item: PushItem) -> str:
    """Everything a station is given about `item` but the file's place on this machine."""
    data = {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in asdict(item).items() if k != "path"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _file(item: PushItem) -> str:
    """Its path in the radio target (manifest.broadcast_key): <show>/<slug>.wav."""
    return f"{item.episode}.wav"


def push(workspace: Workspace, stations: list[str] | tuple[str, ...] = (),
         episodes: list[str] | tuple[str, ...] = (), now: dt.datetime | None = None,
         say: Callable[[Outcome], None] | None = None) -> PushReport:
    """Deliver every current or future broadcast file (only `episodes`') to every push station (only
    `stations`). Never raises for one station or item: its failure is an Outcome."""
    now = now or dt.datetime.now(dt.timezone.utc)
    chosen = push_stations(workspace, stations)
    report = PushReport(stations=[s.name for s in chosen])
    if not chosen:
        return report
    items = [i for i in broadcast_items(workspace, episodes) if current(i, now)]
    with records_mod.push_lock(workspace):
        records = records_mod.load(workspace)

        def done(outcome: Outcome) -> None:
            report.outcomes.append(outcome)
            if say:
                say(outcome)

        for station in chosen:
            _push_station(workspace, station, items, records, now, done)
    return report


def _pusher(workspace: Workspace, station: Station) -> Pusher:
    try:
        return KINDS[station.kind](workspace, station)
    except ImportError:
        raise PushError("refused", f"this Studio cannot push to {station.kind} (its module is missing)") from None


def _push_station(workspace: Workspace, station: Station, items: list[PushItem], records: records_mod.Records,
                  now: dt.datetime, done: Callable[[Outcome], None]) -> None:
    try:
        check_station(station)  # studio.toml edited by hand: a wrong setting fails this station's items only
    except BadInput as exc:
        for item in items:
            done(Outcome(station.name, item.episode, _file(item), "failed", "refused", str(exc)))
        return
    pusher: Pusher | None = None
    for base_item in items:
        record = records.get(station.name, base_item.episode)
        item = for_station(base_item, station, record, records.carts(station.name))
        key = fingerprint(item)
        if record and record.state == "delivered" and record.sha256 == item.sha256 and record.fingerprint == key:
            done(Outcome(station.name, item.episode, _file(item), "unchanged",
                         remote_id=(record.remote or {}).get("media_id", "")))
            continue
        previous = record.remote_obj() if record else None
        journal = records_mod.journal_dir(workspace, station.name, item.episode)
        sent = [0]

        def progress(so_far: int, total: int) -> None:
            sent[0] = max(sent[0], so_far)

        try:
            pusher = pusher or _pusher(workspace, station)
            remote = pusher.push(item, previous, journal, progress)
        except Exception as exc:  # noqa: BLE001 - one station's or item's failure never stops the others
            reason = exc.reason if isinstance(exc, PushError) else "refused"
            message = str(exc) if isinstance(exc, PushError) else explain(exc)[0]
            failed = records_mod.Record(
                state="failed", file=_file(item), sha256=record.sha256 if record else "",
                fingerprint=record.fingerprint if record else "", remote=asdict(previous) if previous else None,
                cart=item.cart, air_until=_iso(item.air_until), reason=reason, message=message,
                time=records_mod.now_iso(now))
            records.put(station.name, item.episode, failed)
            done(Outcome(station.name, item.episode, _file(item), "failed", reason, message))
            continue
        shutil.rmtree(journal, ignore_errors=True)
        bytes_sent = sent[0] or (item.bytes if remote != previous else 0)
        records.put(station.name, item.episode, records_mod.Record(
            state="delivered", file=_file(item), sha256=remote.sha256, fingerprint=key, remote=asdict(remote),
            cart=item.cart, air_until=_iso(item.air_until), time=records_mod.now_iso(now), bytes_sent=bytes_sent))
        _log(workspace, station, item, bytes_sent, remote, now)
        done(Outcome(station.name, item.episode, _file(item), "delivered", bytes_sent=bytes_sent,
                     remote_id=remote.media_id))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _log(workspace: Workspace, station: Station, item: PushItem, size: int, remote: Remote, now: dt.datetime) -> None:
    try:
        deliveries.record_push(deliveries.log_path(workspace), station.name, station.kind, _file(item), size,
                               item.episode, remote.media_id, now)
    except OSError:
        pass  # the record holds the delivery; a log that cannot be written never fails one


def expire(workspace: Workspace, stations: list[str] | tuple[str, ...] = (), delete_files: bool = False,
           now: dt.datetime | None = None, say: Callable[[Outcome], None] | None = None) -> PushReport:
    """Take every delivered item whose air window has ended out of its station's playlist (its file too with
    `delete_files`)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    chosen = push_stations(workspace, stations)
    report = PushReport(stations=[s.name for s in chosen])
    with records_mod.push_lock(workspace):
        records = records_mod.load(workspace)
        for station in chosen:
            pusher: Pusher | None = None
            for episode, record in sorted(records.stations.get(station.name, {}).items()):
                ended = record.air_until and dt.datetime.fromisoformat(record.air_until) <= now
                remote = record.remote_obj()
                if record.state == "expired" or not ended or remote is None:
                    continue  # (a failed replace still leaves the station's older copy to take out)
                try:
                    pusher = pusher or _pusher(workspace, station)
                    pusher.expire(remote, delete_files)
                except Exception as exc:  # noqa: BLE001 - the others go on
                    message = str(exc) if isinstance(exc, PushError) else explain(exc)[0]
                    outcome = Outcome(station.name, episode, record.file, "failed",
                                      exc.reason if isinstance(exc, PushError) else "refused", message)
                else:
                    record.state, record.time = "expired", records_mod.now_iso(now)
                    records.put(station.name, episode, record)
                    outcome = Outcome(station.name, episode, record.file, "expired", remote_id=remote.media_id)
                report.outcomes.append(outcome)
                if say:
                    say(outcome)
    return report


@dataclass(frozen=True)
class StationItem:
    """One row of the scheduler's page: an item at a station and where it stands."""

    episode: str
    file: str
    state: str  # delivered | failed | pending | expired
    reason: str = ""
    time: str = ""
    remote_id: str = ""


def station_items(workspace: Workspace, station: Station, items: list[PushItem] | None = None,
                  now: dt.datetime | None = None) -> list[StationItem]:
    """Each item the station has or should have: its record's state, or pending (a current item not delivered
    as it is now). `items`: broadcast_items(workspace), when the caller has them."""
    now = now or dt.datetime.now(dt.timezone.utc)
    records = records_mod.load(workspace).stations.get(station.name, {})
    items = broadcast_items(workspace) if items is None else items
    rows = {}
    for item in items:
        record = records.get(item.episode)
        if not current(item, now) or (record and record.state == "failed"):
            continue  # a failure shows as its record says
        if record is None or record.sha256 != item.sha256 or record.state == "expired":
            rows[item.episode] = StationItem(item.episode, _file(item), "pending")
    for episode, record in records.items():
        if episode not in rows:
            rows[episode] = StationItem(episode, record.file, record.state, record.reason, record.time,
                                        (record.remote or {}).get("media_id", ""))
    return [rows[k] for k in sorted(rows)]
