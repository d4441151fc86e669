"""The office behind the listener site (Settings.office_name, office_logo): its name in every page's header
instead of "Podcast", and its logo, made small, published as a site asset (publish.layout.OFFICE_LOGO_KEY)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ..layout import OFFICE_LOGO_KEY

LOGO_BOX = (320, 96)  # the largest a logo is drawn (px; twice the header's size, for sharp screens)


@dataclass(frozen=True)
class Office:
    name: str = ""
    logo: str | None = None  # the logo's published key, when there is one
    logo_png: bytes = b""

    @property
    def signature(self) -> str:
        """What the pages are made from (a change renders every page again)."""
        return f"{self.name}\n{hashlib.sha256(self.logo_png).hexdigest() if self.logo else ''}"


def logo_png(source: Path) -> bytes:
    """The logo as a PNG no larger than LOGO_BOX (transparency kept)."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGBA")
        image.thumbnail(LOGO_BOX)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def office_of(workspace) -> Office:
    """The workspace's office; a logo that is missing or not a picture is left out (the name still shows)."""
    settings = workspace.settings
    name = " ".join(settings.office_name.split())
    if not settings.office_logo:
        return Office(name)
    path = Path(settings.office_logo)
    path = path if path.is_absolute() else Path(workspace.root) / path
    try:
        data = logo_png(path)
    except (OSError, ValueError, SyntaxError):  # PIL: not an image it can read
        return Office(name)
    return Office(name, OFFICE_LOGO_KEY, data)
