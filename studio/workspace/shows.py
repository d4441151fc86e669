"""Shows: adding one, with its artwork checked the way podcast directories check it; a show's time zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

from ..errors import BadInput
from ..localtime import ZONES
from .config import Show, check_slug, time_zone
from .tree import Workspace

ARTWORK_MIN_PX = 1400
ARTWORK_MAX_PX = 3000
ARTWORK_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}


def check_artwork(path: Path) -> str:
    """Validate podcast artwork; return the file suffix for its format."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            fmt, (width, height) = image.format, image.size
            mode = image.mode
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadInput(f"{path.name}: not a readable image ({exc})") from None
    if fmt not in ARTWORK_FORMATS:
        raise BadInput(f"{path.name}: artwork must be JPEG or PNG, not {fmt}")
    if width != height:
        raise BadInput(f"{path.name}: artwork must be square, not {width}x{height}")
    if not ARTWORK_MIN_PX <= width <= ARTWORK_MAX_PX:
        raise BadInput(f"{path.name}: artwork must be {ARTWORK_MIN_PX} to {ARTWORK_MAX_PX} px square, not {width} px")
    if mode not in ("RGB", "L", "P"):
        raise BadInput(f"{path.name}: artwork must be RGB without transparency (mode is {mode})")
    return ARTWORK_FORMATS[fmt]


def add_show(workspace: Workspace, slug: str, *, title: str, artwork: Path | None = None, replace: bool = False,
             **fields: str) -> Show:
    check_slug(slug)
    if not title.strip():
        raise BadInput("--title must not be empty")
    if (workspace.feeds_dir / f"{slug}.toml").exists() and not replace:
        raise BadInput(f"show {slug!r} already exists (use --replace to overwrite its settings)")
    artwork_name = ""
    if artwork:
        artwork_name = f"{slug}{check_artwork(artwork)}"
    if "timezone" in fields:
        fields["timezone"] = check_timezone(fields["timezone"])
    show = Show(slug=slug, title=title.strip(), artwork=artwork_name, **fields)
    workspace.feeds_dir.mkdir(parents=True, exist_ok=True)
    if artwork:
        from ..fsutil import atomic_path

        with atomic_path(workspace.feeds_dir / artwork_name) as temp:
            shutil.copyfile(artwork, temp)
    workspace.save_show(show)
    return show


def check_timezone(name: str) -> str:
    """A show's time zone as stored: an IANA name (WIB, WITA and WIT name Indonesia's three), "" for the
    machine's; BadInput for a name that is no zone."""
    name = name.strip()
    by_short = {short.lower(): iana for iana, short in ZONES.items()}
    name = by_short.get(name.lower(), name)
    time_zone(name)  # BadInput when unknown
    return name


def show_zone(workspace: Workspace, slug: str) -> dt.tzinfo:
    """Show `slug`'s clock; the machine's for an unknown show (or one whose zone is unknown)."""
    try:
        return workspace.show(slug).zone
    except BadInput:
        return time_zone("")


def set_timezone(workspace: Workspace, slug: str, name: str) -> Show:
    """Give show `slug` the time zone `name` (see check_timezone); returns the show as saved."""
    show = dataclasses.replace(workspace.show(slug), timezone=check_timezone(name))
    workspace.save_show(show)
    return show
