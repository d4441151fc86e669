"""Who may sign in to the web app: users with a role and an argon2 password hash, in the workspace.

`.studio/users.json` holds {name: {role, hash, created_at, shows, session}}; passwords are never stored.
`shows` limits a producer or scheduler to those shows (none listed: every show; an admin sees all).
`session` is the user's session version: every signed-in session carries it, and a new one (sign-out, a
new password) ends them all. Changes are made under a file lock and written atomically.

Failed sign-ins are counted per name in `.studio/login-failures.json` (LoginFailures): after MAX_FAILURES
wrong passwords the name is locked for LOCKOUT_S seconds (even for the right password). Unknown names
count too and cost the same password hashing, so neither the answer nor its time tells which names exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import BadInput, ResourceError
from ..fsutil import file_lock, read_json, write_json
from .layout import LOGIN_FAILURES_FILE, USERS_FILE, USERS_LOCK_FILE
from .tree import Workspace

ROLES = ("producer", "scheduler", "admin")
MAX_FAILURES = 5
LOCKOUT_S = 15 * 60
MAX_UNKNOWN_NAMES = 1000  # failed sign-ins kept for names that are no user (newest first)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str = ""
    shows: tuple[str, ...] = ()  # the shows this user may see; () is every show
    session: str = field(default="", repr=False)  # the session version: signed-in sessions carry it


class LoginLocked(BadInput):
    """Too many wrong passwords for this name: try again later."""


def _path(workspace: Workspace, name: str) -> Path:
    return workspace.root / name


def _locked(workspace: Workspace):
    return file_lock(_path(workspace, USERS_LOCK_FILE))


def _records(workspace: Workspace) -> dict[str, dict]:
    data = read_json(_path(workspace, USERS_FILE), default={})
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def _changing(workspace: Workspace, name: str) -> Iterator[dict]:
    """User `name`'s record, written back (atomically, under the lock) when the block ends without error."""
    with _locked(workspace):
        records = _records(workspace)
        if not isinstance(records.get(name), dict):
            raise BadInput(f"unknown user {name!r}")
        yield records[name]
        write_json(_path(workspace, USERS_FILE), records)


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadInput(f"invalid user name {name!r}: use lower-case letters, digits, '.', '_' and '-' (up to 32)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r} (use {', '.join(ROLES)})")
    return role


def check_shows(workspace: Workspace, shows: Iterable[str]) -> tuple[str, ...]:
    """`shows` without repeats, each one a show of the workspace (BadInput otherwise)."""
    known = workspace.shows()
    found = tuple(dict.fromkeys(s.strip() for s in shows if s.strip()))
    for slug in found:
        if slug not in known:
            raise BadInput(f"unknown show {slug!r} (shows: {', '.join(known) or 'none yet'})")
    return found


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"password too short: use at least {MIN_PASSWORD} characters")
    return password


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _new_session() -> str:
    return secrets.token_urlsafe(12)


def add_user(workspace: Workspace, name: str, role: str, password: str | None = None,
             shows: Iterable[str] = ()) -> str:
    """Add user `name` with `role` (limited to `shows`, if any); returns the password (a new random one
    when none is given)."""
    check_name(name)
    check_role(role)
    limited = check_shows(workspace, shows)
    password = check_password(password if password is not None else new_password())
    with _locked(workspace):
        records = _records(workspace)
        if name in records:
            raise BadInput(f"user {name!r} already exists")
        records[name] = {"role": role, "hash": _hasher.hash(password), "shows": list(limited),
                         "session": _new_session(),
                         "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        write_json(_path(workspace, USERS_FILE), records)
    return password


def set_role(workspace: Workspace, name: str, role: str) -> None:
    check_role(role)
    with _changing(workspace, name) as record:
        record["role"] = role


def set_shows(workspace: Workspace, name: str, shows: Iterable[str]) -> tuple[str, ...]:
    """Limit user `name` to `shows` (none: every show); takes effect at their next request."""
    limited = check_shows(workspace, shows)
    with _changing(workspace, name) as record:
        record["shows"] = list(limited)
    return limited


def reset_password(workspace: Workspace, name: str, password: str | None = None) -> str:
    """A new password for `name` (a random one when none is given); every session of theirs ends."""
    password = check_password(password if password is not None else new_password())
    with _changing(workspace, name) as record:
        record["hash"] = _hasher.hash(password)
        record["session"] = _new_session()
    return password


class WrongPassword(BadInput):
    """The current password given to change one's own is not theirs."""


def change_password(workspace: Workspace, name: str, current: str, new: str) -> User:
    """User `name`'s own new password, given their `current` one (WrongPassword otherwise); every session of
    theirs ends (the session version rule): returns the user with their new session version, to sign this
    session in again."""
    check_password(new)
    with _changing(workspace, name) as record:
        stored = record.get("hash")
        if not _verify(stored if isinstance(stored, str) else None, current):
            raise WrongPassword("the current password is wrong")
        record["hash"] = _hasher.hash(new)
        record["session"] = _new_session()
        changed = _user(name, record)
    assert changed is not None
    return changed


def end_sessions(workspace: Workspace, name: str) -> None:
    """Every signed-in session of `name` ends (sign-out): their cookies, copied or not, no longer work."""
    with _changing(workspace, name) as record:
        record["session"] = _new_session()


def remove_user(workspace: Workspace, name: str) -> None:
    with _locked(workspace):
        records = _records(workspace)
        if name not in records:
            raise BadInput(f"unknown user {name!r}")
        del records[name]
        write_json(_path(workspace, USERS_FILE), records)


def _user(name: str, record: object) -> User | None:
    if not isinstance(record, dict) or record.get("role") not in ROLES:
        return None
    shows = record.get("shows") or ()
    return User(name=name, role=record["role"], created_at=str(record.get("created_at", "")),
                shows=tuple(str(s) for s in shows) if isinstance(shows, list) else (),
                session=str(record.get("session", "")))


def get_user(workspace: Workspace, name: str) -> User | None:
    return _user(name, _records(workspace).get(name))


def list_users(workspace: Workspace) -> list[User]:
    records = _records(workspace)
    return [u for u in (_user(n, records[n]) for n in sorted(records)) if u]


def session_matches(user: User, session: str) -> bool:
    """Whether a session carrying `session` is still one of `user`'s (not ended by a sign-out or new password)."""
    return bool(session) and secrets.compare_digest(user.session.encode(), session.encode())


def can_access(user: User | None, show: str) -> bool:
    """The one check of show limits: an admin and a user with no limit see every show, others their own."""
    return user is not None and (user.role == "admin" or not user.shows or show in user.shows)


def check_access(workspace: Workspace, name: str, show: str) -> User:
    """User `name`, who may act on `show` (BadInput otherwise: an unknown user, or a show not theirs)."""
    found = get_user(workspace, name)
    if found is None:
        raise BadInput(f"unknown user {name!r} (see `studio user list`)")
    if not can_access(found, show):
        raise BadInput(f"user {name} is limited to {', '.join(found.shows)}: show {show!r} is not theirs")
    return found


# -- signing in --------------------------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    """A hash made like every stored one, verified for unknown names: the same work, the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with nothing stored (an unknown name) a dummy hash is verified
    all the same and the answer is False."""
    try:
        if stored is None:
            _hasher.verify(_dummy_hash(), password)
            return False
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class LoginFailures:
    """The failed sign-ins per name: `.studio/login-failures.json`, and, while that cannot be written (a full
    disk), the record in memory, so failures keep counting toward the lockout. One per web app.

    Each entry is {count, until, at}: wrong passwords since the last lockout, the end of the lockout, the
    last change. Entries quiet for LOCKOUT_S are dropped; names that are no user keep at most
    MAX_UNKNOWN_NAMES entries, the newest, so a stream of invented names cannot grow the record."""

    def __init__(self) -> None:
        self.unsaved: dict[str, dict] | None = None  # what the file could not take

    def read(self, workspace: Workspace) -> dict[str, dict]:
        data = read_json(_path(workspace, LOGIN_FAILURES_FILE), default={})
        found = {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
        for name, entry in (self.unsaved or {}).items():  # what could not be written, unless the file is newer
            if _when(entry) >= _when(found.get(name)):
                found[name] = entry
        return found

    def save(self, workspace: Workspace, failures: dict[str, dict], users: dict[str, dict], now: float) -> None:
        kept = bounded(failures, users, now)
        try:
            write_json(_path(workspace, LOGIN_FAILURES_FILE), kept)
        except (ResourceError, OSError):
            self.unsaved = kept
        else:
            self.unsaved = None


def _when(entry: dict | None) -> float:
    return float(entry.get("at", 0)) if entry else -1.0


def bounded(failures: dict[str, dict], users: dict[str, dict], now: float) -> dict[str, dict]:
    """`failures` without entries quiet for LOCKOUT_S (unless still locked) and with at most
    MAX_UNKNOWN_NAMES names that are no user."""
    live = {n: e for n, e in failures.items() if e.get("until", 0) > now or _when(e) > now - LOCKOUT_S}
    unknown = sorted((n for n in live if n not in users), key=lambda n: _when(live[n]), reverse=True)
    for name in unknown[MAX_UNKNOWN_NAMES:]:
        del live[name]
    return live


def authenticate(workspace: Workspace, name: str, password: str, now: float | None = None,
                 failures: LoginFailures | None = None) -> User | None:
    """The user when `password` is right; None when it is wrong. LoginLocked while the name is locked out.

    Unknown names count failures too, so a locked name does not tell whether it exists. `failures`: the
    web app's record (kept in memory while the disk is full); without one a new record is used."""
    now = time.time() if now is None else now
    failures = failures or LoginFailures()
    with _locked(workspace):
        record = failures.read(workspace)
        entry = record.get(name, {})
        if entry.get("until", 0) > now:
            minutes = max(1, round((entry["until"] - now) / 60))
            raise LoginLocked(f"too many wrong passwords: sign-in locked for {minutes} min")
        users = _records(workspace)
        found = _user(name, users.get(name))
        stored = users[name].get("hash") if found is not None else None
        if _verify(stored if isinstance(stored, str) else None, password) and found is not None:
            if name in record:
                record[name] = {"count": 0, "until": 0, "at": now}
                failures.save(workspace, record, users, now)
            return found
        count = int(entry.get("count", 0)) + 1
        record[name] = ({"count": 0, "until": now + LOCKOUT_S, "at": now} if count >= MAX_FAILURES
                        else {"count": count, "until": 0, "at": now})
        failures.save(workspace, record, users, now)
        return None
