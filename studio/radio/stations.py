"""Radio stations allowed to pull broadcast files, each with its own bearer token.

Only the token's sha256 is kept (in studio.toml, [stations.<name>]); the token
itself is shown once when the station is added. A lost token is replaced by
removing the station and adding it again.
"""

from __future__ import annotations

import hashlib
import secrets

from ..errors import BadInput
from ..workspace.config import Station, check_slug, save_settings, with_changes
from ..workspace.tree import Workspace

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_workspace(workspace: Workspace) -> None:
    if not workspace.settings_path.is_file():
        raise BadInput(f"{workspace.root} is not a Studio workspace (no studio.toml); run `studio init` first")


def list_stations(workspace: Workspace) -> list[Station]:
    return sorted(workspace.settings.stations, key=lambda s: s.name)


def add_station(workspace: Workspace, name: str) -> str:
    """Register station `name`; return its new token (shown to the user once, never stored)."""
    check_slug(name, "station")
    _require_workspace(workspace)
    settings = workspace.settings
    if any(s.name == name for s in settings.stations):
        raise BadInput(f"station {name!r} already exists (remove it first to issue a new token)")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    stations = tuple(sorted((*settings.stations, Station(name, hash_token(token))), key=lambda s: s.name))
    save_settings(workspace.settings_path, with_changes(settings, stations=stations))
    return token


def remove_station(workspace: Workspace, name: str) -> None:
    _require_workspace(workspace)
    settings = workspace.settings
    if not any(s.name == name for s in settings.stations):
        known = ", ".join(s.name for s in settings.stations) or "none"
        raise BadInput(f"unknown station {name!r} (known: {known})")
    stations = tuple(s for s in settings.stations if s.name != name)
    save_settings(workspace.settings_path, with_changes(settings, stations=stations))
