"""The pull client: a station brings its playout import folder up to date with the radio manifest.

A station runs `pull` (from cron, say) against the radio files,
served over HTTP with a bearer token or reached as a
folder, and gets every new or changed file in its playout import folder,
which never shows a partial file under a final name.

Choices a scheduler should know about:
- Files land flat in the import folder as `<show>--<slug>.wav` (drop-box
  watchers such as Rivendell's usually do not descend into folders).
- A file whose air window has not started yet is delivered anyway: Rivendell
  reads the start and end dates from the cart chunk and holds the cut back
  itself. A file whose window has ended is never delivered.
- What was delivered is remembered in `.studio-pull.json` in the import folder,
  by name and sha256. A file is not sent again because the playout system has
  moved it away (drop boxes often delete what they import); it is sent again
  when its sha256 changes. Delete its entry (or the state file) to force it.
- Expired files are removed only if this client delivered them, and only
  files, never folders; a file that has since been replaced by someone else
  (different size) is left alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from ..errors import BadInput
from ..fsutil import CHUNK, commit, read_json, sha256_file, write_json
from ..workspace.episode import air_time
from .manifest import MANIFEST_NAME
from .sources import DirSource, HttpSource, PullError, Restart, check_entry, open_source, parse_manifest, why

STATE_NAME = ".studio-pull.json"
LOCK_NAME = ".studio-pull.lock"
TOKEN_ENV = "STUDIO_RADIO_TOKEN"
ATTEMPTS = 3  # network attempts per file in one run, each resuming where the last stopped



# -- the pull client --------------------------------------------------------------

@dataclass
class Failure:
    name: str
    reason: str


@dataclass
class PullReport:
    source: str
    dest: str
    delivered: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # delivered, continuing an interrupted download
    skipped: list[str] = field(default_factory=list)  # delivered before, unchanged
    expired: list[str] = field(default_factory=list)  # air window over: not delivered
    removed: list[str] = field(default_factory=list)  # delivered before, window over: removed
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    locked: bool = False  # another pull holds the import folder: nothing was done

    @property
    def outcome(self) -> str:
        return "locked" if self.locked else ("failed" if self.failed else "ok")

    @property
    def exit_code(self) -> int:
        # A pull that finds another one running is not a failure: from cron every minute, a long
        # download overlaps the next run, which should not raise an alert.
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        return {**asdict(self), "outcome": self.outcome}

    def summary(self) -> str:
        if self.locked:
            return f"another pull is running in {self.dest}; nothing done"
        parts = [f"{len(self.delivered)} delivered" + (f" ({len(self.resumed)} resumed)" if self.resumed else ""),
                 f"{len(self.skipped)} unchanged", f"{len(self.expired)} expired", f"{len(self.removed)} removed",
                 f"{len(self.failed)} failed"]
        lines = [", ".join(parts)]
        lines += [f"failed: {f.name}: {f.reason}" for f in self.failed]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def resolve_token(token: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """--token, else STUDIO_RADIO_TOKEN."""
    return token or (environ if environ is not None else os.environ).get(TOKEN_ENV) or None


def _dest_name(entry: dict) -> str:
    return f"{entry['show']}--{entry['path'].rsplit('/', 1)[-1]}"


def _ended(air_until: str | None, now: dt.datetime) -> bool:
    return bool(air_until) and air_time(air_until) <= now


def _part_path(dest: Path, name: str, sha256: str) -> Path:
    # The sha256 in the name means a partial download is only ever continued with the same content.
    return dest / f".{name}.{sha256[:16]}.part"


class _LocalError(Exception):
    """Writing into the import folder failed (full, read-only): not worth retrying now."""


def _transfer(source: DirSource | HttpSource, path: str, part: Path, have: int, expected: int) -> bool:
    """Append the rest of `path` to `part`; True when it continued from a non-zero offset."""
    with source.open(path, have) as (stream, start):
        try:
            out = open(part, "ab")
        except OSError as exc:
            raise _LocalError(exc.strerror or str(exc)) from None
        with out:
            if start != have:
                out.truncate(start)  # the server sent the whole file: start again
            written = start
            while block := stream.read(CHUNK):
                written += len(block)
                if written > expected:
                    part.unlink()
                    raise PullError(f"longer than the {expected} bytes the manifest lists; not delivered")
                try:
                    out.write(block)
                except OSError as exc:
                    raise _LocalError(exc.strerror or str(exc)) from None
    return start > 0


def _fetch(source: DirSource | HttpSource, entry: dict, dest: Path, name: str) -> bool:
    """Download one file to its hidden .part name, verify it, rename it into place; True when it resumed."""
    expected, sha256 = entry["bytes"], entry["sha256"]
    part = _part_path(dest, name, sha256)
    resumed = retried_fresh = False
    attempts = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have > expected:
            part.unlink()
            have = 0
        if have < expected or not part.exists():
            try:
                resumed = _transfer(source, entry["path"], part, have, expected) or resumed
            except Restart:
                part.unlink(missing_ok=True)
                resumed = False
                attempts += 1
                if attempts >= ATTEMPTS:
                    raise PullError("the server would not send the file from the start") from None
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                attempts += 1  # cut off mid-file: what arrived stays in .part and the next attempt continues it
                if attempts >= ATTEMPTS:
                    raise PullError(f"download interrupted ({why(exc)}); the next run resumes it") from None
                resumed = resumed or part.exists()
                continue
            size = part.stat().st_size if part.exists() else 0
            if size < expected:
                attempts += 1
                if attempts >= ATTEMPTS:
                    raise PullError(f"only {size} of {expected} bytes arrived; the next run resumes it")
                continue
        else:
            resumed = True  # a complete part left by an earlier run
        if sha256_file(part) != sha256:
            part.unlink()
            if resumed and not retried_fresh:  # the kept part may be what was wrong: once more from the start
                retried_fresh, resumed = True, False
                continue
            raise PullError("sha256 does not match the manifest (corrupted in transfer or at the source); "
                            "not delivered, the next run fetches it again")
        commit(part, dest / name)
        return resumed


@contextlib.contextmanager
def _dest_lock(dest: Path) -> Iterator[bool]:
    try:
        fd = os.open(dest / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BadInput(f"--dest {dest}: cannot write there ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def _load_state(dest: Path, report: PullReport) -> dict:
    state = read_json(dest / STATE_NAME, default=None)
    if state is None and (dest / STATE_NAME).exists():
        report.warnings.append(f"{STATE_NAME} was unreadable; starting a new one")
    if not isinstance(state, dict) or not isinstance(state.get("files"), dict):
        state = {"version": 1, "files": {}}
    return state


def pull(source: str, dest: Path, station: str | None = None, token: str | None = None,
         remove_expired: bool = True, now: dt.datetime | None = None) -> PullReport:
    """Bring the playout import folder `dest` up to date with the radio manifest at `source`.

    `source` is a `studio serve` URL (the pull API under /radio/, token
    required) or the radio target folder (`radio_to`, manifest.json at its
    root; a workspace holding the default `radio/` folder also works). Raises BadInput for unusable arguments; everything else ends
    up in the report (`report.exit_code` is 1 when anything failed).
    """
    dest = Path(dest)
    if not dest.is_dir():
        raise BadInput(f"--dest {dest}: no such folder (create the playout import folder first)")
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.astimezone()
    origin = open_source(source, token, station)
    report = PullReport(source=origin.describe(), dest=str(dest))
    if isinstance(origin, HttpSource) and origin.base.startswith("http://") and token:
        host = urllib.parse.urlsplit(origin.base).hostname or ""
        if host not in ("localhost", "127.0.0.1", "::1"):
            report.warnings.append("the token travels unencrypted over http://; use https:// across networks")
    with _dest_lock(dest) as acquired:
        if not acquired:
            report.locked = True
            return report
        state = _load_state(dest, report)
        loaded = json.dumps(state, sort_keys=True)
        files: dict = state["files"]
        listed: dict[str, dict] = {}
        try:
            entries = parse_manifest(origin.read_manifest())
        except PullError as exc:
            report.failed.append(Failure(MANIFEST_NAME, str(exc)))
            entries = None
        for index, raw in enumerate(entries or []):
            try:
                entry = check_entry(raw)
            except ValueError as exc:
                report.failed.append(Failure(f"{MANIFEST_NAME} entry {index}", str(exc)))
                continue
            name = _dest_name(entry)
            if name in listed:
                report.failed.append(Failure(name, "listed twice in the manifest"))
                continue
            listed[name] = entry
            known = files.get(name)
            if _ended(entry.get("air_until"), now):
                if not known:
                    report.expired.append(name)
                continue
            if known and known.get("sha256") == entry["sha256"]:
                known["air_until"] = entry.get("air_until")  # the window may have moved
                report.skipped.append(name)
                continue
            try:
                resumed = _fetch(origin, entry, dest, name)
            except PullError as exc:
                report.failed.append(Failure(name, str(exc)))
                continue
            except (_LocalError, OSError) as exc:  # the import folder itself: full, read-only...
                report.failed.append(Failure(name, f"cannot write into {dest}: {exc}"))
                continue
            files[name] = {"episode": entry.get("episode"), "sha256": entry["sha256"], "bytes": entry["bytes"],
                           "air_until": entry.get("air_until"),
                           "delivered_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            write_json(dest / STATE_NAME, state)  # after each file: an interrupted run keeps what it did
            report.delivered.append(name)
            if resumed:
                report.resumed.append(name)
        if remove_expired:
            _remove_expired(dest, files, listed, now, report)
        if json.dumps(state, sort_keys=True) != loaded:
            write_json(dest / STATE_NAME, state)
        if entries is not None:  # without a manifest, every partial download may still be wanted
            _clean_parts(dest, listed, report)
    return report


def _remove_expired(dest: Path, files: dict, listed: dict[str, dict], now: dt.datetime, report: PullReport) -> None:
    for name, known in list(files.items()):
        air_until = listed[name].get("air_until") if name in listed else known.get("air_until")
        if not _ended(air_until, now):
            continue
        path = dest / name
        if path.is_file() and not path.is_symlink():
            if path.stat().st_size != known.get("bytes"):
                report.warnings.append(f"{name}: air window over, but the file was changed by someone else; left")
            else:
                path.unlink()
                report.removed.append(name)
        del files[name]


def _clean_parts(dest: Path, listed: dict[str, dict], report: PullReport) -> None:
    """Drop partial downloads nothing will continue; keep those of files that failed for a retry."""
    keep = {_part_path(dest, name, e["sha256"]).name for name, e in listed.items()
            if any(f.name == name for f in report.failed)}
    for part in dest.glob(".*.part"):
        if part.name not in keep and part.is_file():
            with contextlib.suppress(OSError):
                part.unlink()
