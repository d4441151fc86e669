"""What the scheduler's page shows of the radio side: each broadcast file as stations get it (where to listen to
it, its cue points and cart chunk) and what a station's administrator sets up on their side (the exact
`studio radio pull` command for a pull station, the `rdimport` command of a Rivendell drop box, the settings an
AzuraCast or LibreTime station is pushed with)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..media.cart import Cart, read_cart
from ..workspace.config import DEFAULT_NAME_PATTERN, Station
from ..workspace.layout import BROADCAST_FILE
from ..workspace.tree import Workspace
from .push.run import EDGE_FADE_S

IMPORT_FOLDER = "/srv/radio/import"  # the placeholder of the station's import folder in the pull command


@dataclass(frozen=True)
class BroadcastFile:
    """One manifest entry as the page shows it: the file to play (the radio target's copy, else the workspace's),
    the cue points stations are given (Studio's trim: the programme is the whole file, short fades at its edges)
    and the cart chunk read from the file (None when the file has none or cannot be read)."""

    entry: dict
    path: Path | None
    cue_in: float
    cue_out: float
    fade: float
    cart: Cart | None


def broadcast_path(workspace: Workspace, entry: dict) -> Path | None:
    """The WAV a manifest entry names: the published copy in a folder radio target, else the episode's own."""
    target = workspace.settings.radio_to
    relative = str(entry.get("path", ""))
    if "://" not in target and relative and ".." not in relative.split("/"):
        published = workspace.root / target / relative
        if published.is_file():
            return published
    try:
        own = workspace.episode_dir(str(entry.get("episode", ""))) / BROADCAST_FILE
    except BadInput:
        return None
    return own if own.is_file() else None


def broadcast_file(workspace: Workspace, entry: dict) -> BroadcastFile:
    path = broadcast_path(workspace, entry)
    try:
        cart = read_cart(path) if path else None
    except (BadInput, OSError):
        cart = None
    duration = float(entry.get("duration") or 0.0)
    return BroadcastFile(entry=entry, path=path, cue_in=0.0, cue_out=duration, fade=EDGE_FADE_S, cart=cart)


def pull_command(base_url: str, station: str, token: str, dest: str = IMPORT_FOLDER) -> str:
    """The command a pull station runs (from cron) to fetch its files with its token."""
    return " ".join(["studio radio pull", "--from", shlex.quote(base_url.rstrip("/") or "http://127.0.0.1:8000"),
                     "--dest", shlex.quote(dest), "--station", shlex.quote(station), "--token", shlex.quote(token)])


def rdimport_command(station: Station) -> str:
    """The `rdimport` a Rivendell station runs over the drop folder Studio writes into (docs/radio/rivendell.md)."""
    parts = ["rdimport --drop-box", f"--metadata-pattern={shlex.quote(station.name_pattern or DEFAULT_NAME_PATTERN)}"]
    if station.scheduler_code:
        parts.append(f"--add-scheduler-code={shlex.quote(station.scheduler_code)}")
    parts += ["--delete-cuts", "--normalization-level=0 --autotrim-level=0", shlex.quote(station.group or "STUDIO"),
              shlex.quote(f"{station.drop_folder.rstrip('/')}/*.wav")]
    return " ".join(parts)


def station_settings(station: Station) -> list[tuple[str, str]]:
    """(setting, value) pairs of a push station, as its administrator checks them on their side: keys of the
    page's strings (radio.side.<name>) and the values; the API key is never among them."""
    rows = [("kind", station.kind)]
    if station.kind in ("azuracast", "libretime"):
        rows.append(("url", station.base_url))
        if station.kind == "azuracast":
            rows.append(("station_id", station.station_id))
    if station.kind == "rivendell":
        rows += [("drop_folder", station.drop_folder), ("group", station.group),
                 ("carts", f"{station.cart_first}–{station.cart_last}")]
    rows.append(("timezone", station.timezone or "–"))
    return rows
