"""Who may sign in to the web app: users with a role and an argon2 password hash, in the workspace.

`.studio/users.json` holds {name: {role, hash, created_at}}; passwords are never
stored. Changes are made under a file lock and written atomically. Failed sign-ins
are counted per name in `.studio/login-failures.json`: after MAX_FAILURES wrong
passwords the name is locked for LOCKOUT_S seconds (even for the right password).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import BadInput
from ..fsutil import read_json, write_json
from .layout import LOGIN_FAILURES_FILE, USERS_FILE, USERS_LOCK_FILE
from .tree import Workspace

ROLES = ("producer", "scheduler", "admin")
MAX_FAILURES = 5
LOCKOUT_S = 15 * 60
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str = ""


class LoginLocked(BadInput):
    """Too many wrong passwords for this name: try again later."""


def _path(workspace: Workspace, name: str) -> Path:
    return workspace.root / name


@contextlib.contextmanager
def _locked(workspace: Workspace) -> Iterator[None]:
    path = _path(workspace, USERS_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _records(workspace: Workspace) -> dict[str, dict]:
    data = read_json(_path(workspace, USERS_FILE), default={})
    return data if isinstance(data, dict) else {}


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadInput(f"invalid user name {name!r}: use lower-case letters, digits, '.', '_' and '-' (up to 32)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r} (use {', '.join(ROLES)})")
    return role


def new_password() -> str:
    return secrets.token_urlsafe(12)


def add_user(workspace: Workspace, name: str, role: str, password: str | None = None) -> str:
    """Add user `name` with `role`; returns the password (a new random one when none is given)."""
    check_name(name)
    check_role(role)
    password = password if password is not None else new_password()
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"password too short: use at least {MIN_PASSWORD} characters")
    with _locked(workspace):
        records = _records(workspace)
        if name in records:
            raise BadInput(f"user {name!r} already exists")
        records[name] = {"role": role, "hash": _hasher.hash(password),
                         "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        write_json(_path(workspace, USERS_FILE), records)
    return password


def set_role(workspace: Workspace, name: str, role: str) -> None:
    check_role(role)
    with _locked(workspace):
        records = _records(workspace)
        if name not in records:
            raise BadInput(f"unknown user {name!r}")
        records[name]["role"] = role
        write_json(_path(workspace, USERS_FILE), records)


def reset_password(workspace: Workspace, name: str, password: str | None = None) -> str:
    password = password if password is not None else new_password()
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"password too short: use at least {MIN_PASSWORD} characters")
    with _locked(workspace):
        records = _records(workspace)
        if name not in records:
            raise BadInput(f"unknown user {name!r}")
        records[name]["hash"] = _hasher.hash(password)
        write_json(_path(workspace, USERS_FILE), records)
    return password


def remove_user(workspace: Workspace, name: str) -> None:
    with _locked(workspace):
        records = _records(workspace)
        if name not in records:
            raise BadInput(f"unknown user {name!r}")
        del records[name]
        write_json(_path(workspace, USERS_FILE), records)


def get_user(workspace: Workspace, name: str) -> User | None:
    record = _records(workspace).get(name)
    if not isinstance(record, dict) or record.get("role") not in ROLES:
        return None
    return User(name=name, role=record["role"], created_at=record.get("created_at", ""))


def list_users(workspace: Workspace) -> list[User]:
    return [u for u in (get_user(workspace, n) for n in sorted(_records(workspace))) if u]


def authenticate(workspace: Workspace, name: str, password: str, now: float | None = None) -> User | None:
    """The user when `password` is right; None when it is wrong. LoginLocked while the name is locked out.

    Unknown names count failures too, so a locked name does not tell whether it exists."""
    now = time.time() if now is None else now
    with _locked(workspace):
        failures = read_json(_path(workspace, LOGIN_FAILURES_FILE), default={})
        failures = failures if isinstance(failures, dict) else {}
        entry = failures.get(name, {"count": 0, "until": 0})
        if entry.get("until", 0) > now:
            minutes = max(1, round((entry["until"] - now) / 60))
            raise LoginLocked(f"too many wrong passwords: sign-in locked for {minutes} min")
        record = _records(workspace).get(name)
        ok = False
        if isinstance(record, dict):
            try:
                ok = _hasher.verify(record.get("hash", ""), password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        if ok:
            if name in failures:
                del failures[name]
                write_json(_path(workspace, LOGIN_FAILURES_FILE), failures)
            return get_user(workspace, name)
        count = entry.get("count", 0) + 1
        failures[name] = {"count": 0, "until": now + LOCKOUT_S} if count >= MAX_FAILURES else {"count": count, "until": 0}
        write_json(_path(workspace, LOGIN_FAILURES_FILE), failures)
        return None
