"""The workspace-wide settings the web app's settings pages change: the site's public address (base_url) and
the office behind it (its name and logo). Each change is made under a lock and written atomically."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from ..errors import BadInput
from ..fsutil import atomic_path, file_lock
from .config import Settings, check_public_address, save_settings
from .layout import OFFICE_LOGO_STEM, SETTINGS_LOCK_FILE
from .shows import Problem, ShowRefused
from .tree import Workspace

LOGO_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}
LOGO_MIN_PX = 32  # its shorter side
LOGO_MAX_PX = 2000  # its longer side
MAX_OFFICE_NAME = 120


class SettingRefused(ShowRefused):
    """A workspace setting refused: one Problem per field (base_url, office_name, office_logo)."""


def _refused(field_name: str, code: str, message: str, **values) -> SettingRefused:
    return SettingRefused([Problem(field_name, code, message, values)])


def _change(workspace: Workspace, **changes) -> Settings:
    with file_lock(workspace.root / SETTINGS_LOCK_FILE):
        settings = replace(workspace.settings, **changes)
        save_settings(workspace.settings_path, settings)
    return settings


def set_public_address(workspace: Workspace, url: str) -> Settings:
    """base_url: the address listeners reach the published site at (checked: http(s), a host, no ?, # or space)."""
    try:
        address = check_public_address(url)
    except BadInput as exc:
        raise _refused("base_url", "base_url", str(exc)) from None
    return _change(workspace, base_url=address)


def check_logo(path: Path) -> str:
    """Validate the office's logo (PNG or JPEG, LOGO_MIN_PX..LOGO_MAX_PX); return its file suffix."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise _refused("office_logo", "logo.unreadable", f"{path.name}: not a readable image ({exc})") from None
    if fmt not in LOGO_FORMATS:
        raise _refused("office_logo", "logo.format", f"{path.name}: the logo must be PNG or JPEG, not {fmt}",
                       format=fmt)
    if min(width, height) < LOGO_MIN_PX or max(width, height) > LOGO_MAX_PX:
        raise _refused("office_logo", "logo.size", f"{path.name}: the logo must be {LOGO_MIN_PX} to {LOGO_MAX_PX} px, "
                       f"not {width}x{height}", min=LOGO_MIN_PX, max=LOGO_MAX_PX, width=width, height=height)
    return LOGO_FORMATS[fmt]


def set_office(workspace: Workspace, name: str, logo: Path | None = None, remove_logo: bool = False) -> Settings:
    """The office's name and, when given, its new logo (checked, copied to the workspace's root as
    office-logo.png or .jpg); `remove_logo` drops the logo."""
    name = " ".join(name.split())
    if len(name) > MAX_OFFICE_NAME:
        raise _refused("office_name", "office_name", f"office name: at most {MAX_OFFICE_NAME} characters",
                       max=MAX_OFFICE_NAME)
    old = workspace.settings.office_logo
    file_name = "" if remove_logo else old
    if logo is not None:
        file_name = OFFICE_LOGO_STEM + check_logo(logo)
        with atomic_path(workspace.root / file_name) as temp:
            shutil.copyfile(logo, temp)
    settings = _change(workspace, office_name=name, office_logo=file_name)
    if old and old != file_name and Path(old).name == old:  # only a logo this module put there is removed
        (workspace.root / old).unlink(missing_ok=True)
    return settings
