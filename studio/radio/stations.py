"""Radio stations: those that pull broadcast files, each with its own bearer token, and those Studio pushes to.

A pull station: only the token's sha256 is kept (in studio.toml,
[stations.<name>]); the token itself is shown once when the station is added.
A lost token is replaced by removing the station and adding it again.

A push station (azuracast, libretime, rivendell) keeps its settings in
studio.toml; the API key of azuracast and libretime is kept apart, in
.studio/station-keys/<name>, readable by its owner only (0600), and is never
printed, logged, published or put in a job's record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import zoneinfo
from dataclasses import fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import BadInput
from ..fsutil import commit
from ..workspace.config import STATION_KINDS, Station, check_slug, save_settings, with_changes
from ..workspace.layout import STATION_KEYS_DIR
from ..workspace.tree import Workspace

TOKEN_BYTES = 32
API_KINDS = ("azuracast", "libretime")  # the kinds with an API key
PUSH_FIELDS = {f.name for f in fields(Station)} - {"name", "token_sha256", "kind"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_workspace(workspace: Workspace) -> None:
    if not workspace.settings_path.is_file():
        raise BadInput(f"{workspace.root} is not a Studio workspace (no studio.toml); run `studio init` first")


def list_stations(workspace: Workspace) -> list[Station]:
    return sorted(workspace.settings.stations, key=lambda s: s.name)


def add_station(workspace: Workspace, name: str) -> str:
    """Register station `name` that pulls; return its new token (shown to the user once, never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    _add(workspace, Station(name, hash_token(token)))
    return token


def add_push_station(workspace: Workspace, name: str, kind: str, key: str | None = None, **settings) -> Station:
    """Register station `name` that Studio pushes to (`kind`: azuracast, libretime, rivendell) with its
    settings (Station's fields); `key`: the API key of azuracast and libretime, kept in its own 0600 file."""
    if kind not in STATION_KINDS or kind == "pull":
        raise BadInput(f"unknown station kind {kind!r} (kinds: {', '.join(STATION_KINDS)})")
    unknown = sorted(set(settings) - PUSH_FIELDS)
    if unknown:
        raise BadInput(f"unknown station setting(s) {', '.join(unknown)}")
    station = check_station(replace(Station(name, kind=kind), **{k: v for k, v in settings.items() if v is not None}))
    key = (key or "").strip()
    if kind in API_KINDS and not key:
        raise BadInput(f"a {kind} station needs its API key (typed at the prompt, or --key-stdin)")
    if kind not in API_KINDS and key:
        raise BadInput(f"a {kind} station takes no API key")
    _add(workspace, station, key)
    return station


def check_station(station: Station) -> Station:
    """The settings each kind needs, checked (BadInput naming the one missing or wrong)."""
    if station.kind in API_KINDS:
        url = urlsplit(station.base_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise BadInput(f"a {station.kind} station needs --url, its web address (https://radio.example.go.id)")
        if station.kind == "azuracast" and not station.station_id:
            raise BadInput("an azuracast station needs --station-id (its id or short name, under Stations in "
                           "AzuraCast's administration)")
    if station.kind == "rivendell":
        if not station.drop_folder:
            raise BadInput("a rivendell station needs --drop-folder, the folder its rdimport --drop-box watches")
        if not (0 < station.cart_first <= station.cart_last <= 999999):
            raise BadInput("a rivendell station needs --cart-first and --cart-last, the cart numbers Studio may "
                           "use (1..999999, first <= last)")
        from .push.rivendell import check_pattern

        check_pattern(station.name_pattern)
    if station.timezone:
        try:
            zoneinfo.ZoneInfo(station.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise BadInput(f"unknown time zone {station.timezone!r} (use a name such as Asia/Makassar)") from None
    return station


def _add(workspace: Workspace, station: Station, key: str = "") -> None:
    check_slug(station.name, "station")
    _require_workspace(workspace)
    settings = workspace.settings
    if any(s.name == station.name for s in settings.stations):
        raise BadInput(f"station {station.name!r} already exists (remove it first to issue a new token or key)")
    if key:
        _write_key(workspace, station.name, key)
    stations = tuple(sorted((*settings.stations, station), key=lambda s: s.name))
    save_settings(workspace.settings_path, with_changes(settings, stations=stations))


def key_path(workspace: Workspace, name: str) -> Path:
    return workspace.root / STATION_KEYS_DIR / name


def _write_key(workspace: Workspace, name: str, key: str) -> None:
    """The key in its own file, 0600 from its first byte (in a 0700 folder), renamed into place."""
    final = key_path(workspace, name)
    final.parent.mkdir(parents=True, exist_ok=True)
    final.parent.chmod(0o700)
    temp = final.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key + "\n")
        commit(temp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def read_key(workspace: Workspace, station: Station) -> str:
    """The station's API key (BadInput when its file is missing: add the station again)."""
    try:
        return key_path(workspace, station.name).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise BadInput(f"station {station.name}: its API key is missing (remove the station and add it again)") \
            from None


def find_station(workspace: Workspace, name: str) -> Station:
    for station in workspace.settings.stations:
        if station.name == name:
            return station
    known = ", ".join(s.name for s in workspace.settings.stations) or "none"
    raise BadInput(f"unknown station {name!r} (known: {known})")


def remove_station(workspace: Workspace, name: str) -> None:
    _require_workspace(workspace)
    settings = workspace.settings
    if not any(s.name == name for s in settings.stations):
        known = ", ".join(s.name for s in settings.stations) or "none"
        raise BadInput(f"unknown station {name!r} (known: {known})")
    stations = tuple(s for s in settings.stations if s.name != name)
    save_settings(workspace.settings_path, with_changes(settings, stations=stations))
    with contextlib.suppress(FileNotFoundError):
        key_path(workspace, name).unlink()
