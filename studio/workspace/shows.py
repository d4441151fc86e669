"""Shows: adding and changing one, with its settings and artwork checked by the one set of rules the CLI
(`studio show add`) and the web app's settings pages share.

A refused value raises ShowRefused: one Problem per field, each with a code the web app words in its own
language next to the field, and an English message for the CLI's one line."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import BadInput
from ..localtime import ZONES
from .config import SLUG_RE, LoudnessTargets, Show, time_zone
from .tree import Workspace

ARTWORK_MIN_PX = 1400
ARTWORK_MAX_PX = 3000
ARTWORK_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")  # BCP 47 as feeds write it: id, en, jv, en-US
MAX_GLOSSARY_TERM = 100
# Loudness targets a show may set (LUFS, dBTP): podcast -24..-10 (Apple, Spotify: -16..-14), broadcast -31..-14
# (EBU R128: -23), true peak -9..0
PODCAST_LUFS = (-24.0, -10.0)
BROADCAST_LUFS = (-31.0, -14.0)
TRUE_PEAK_DBTP = (-9.0, 0.0)


@dataclass(frozen=True)
class Problem:
    """One refused value: `field` (a Show field, "artwork", or "loudness.<name>"), `code` (what the web app
    words), `values` (the figures its words name) and `message` (the CLI's English)."""

    field: str
    code: str
    message: str
    values: dict = field(default_factory=dict)


class ShowRefused(BadInput):
    """A show's settings or artwork refused: every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def _refused(field_name: str, code: str, message: str, **values) -> ShowRefused:
    return ShowRefused([Problem(field_name, code, message, values)])


def check_artwork(path: Path) -> str:
    """Validate podcast artwork; return the file suffix for its format (ShowRefused on field "artwork")."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise _refused("artwork", "artwork.missing", f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            fmt, (width, height) = image.format, image.size
            mode = image.mode
    except Image.DecompressionBombError:  # absurd dimensions: outside the rule like any other size
        raise _refused("artwork", "artwork.size", f"{path.name}: artwork must be {ARTWORK_MIN_PX} to {ARTWORK_MAX_PX} "
                       "px square, not larger", min=ARTWORK_MIN_PX, max=ARTWORK_MAX_PX, size=f"> {ARTWORK_MAX_PX}") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise _refused("artwork", "artwork.unreadable", f"{path.name}: not a readable image ({exc})") from None
    if fmt not in ARTWORK_FORMATS:
        raise _refused("artwork", "artwork.format", f"{path.name}: artwork must be JPEG or PNG, not {fmt}",
                       format=fmt)
    if width != height:
        raise _refused("artwork", "artwork.square", f"{path.name}: artwork must be square, not {width}x{height}",
                       width=width, height=height)
    if not ARTWORK_MIN_PX <= width <= ARTWORK_MAX_PX:
        raise _refused("artwork", "artwork.size",
                       f"{path.name}: artwork must be {ARTWORK_MIN_PX} to {ARTWORK_MAX_PX} px square, not {width} px",
                       min=ARTWORK_MIN_PX, max=ARTWORK_MAX_PX, size=width)
    if mode not in ("RGB", "L", "P"):
        raise _refused("artwork", "artwork.mode",
                       f"{path.name}: artwork must be RGB without transparency (mode is {mode})")
    return ARTWORK_FORMATS[fmt]


def clean_glossary(terms) -> tuple[str, ...]:
    """The glossary's terms, each stripped, without empty lines or repeats (first kept)."""
    return tuple(dict.fromkeys(t.strip() for t in terms if t.strip()))


def check_show(show: Show) -> Show:
    """`show` with its text stripped and its glossary cleaned, when every value can be used; ShowRefused with
    every problem otherwise."""
    show = replace(show, title=show.title.strip(), description=show.description.strip(), author=show.author.strip(),
                   email=show.email.strip(), link=show.link.strip(), language=show.language.strip(),
                   glossary=clean_glossary(show.glossary), watch_folder=show.watch_folder.strip())
    problems: list[Problem] = []

    def refuse(field_name: str, code: str, message: str, **values) -> None:
        problems.append(Problem(field_name, code, message, values))

    if not SLUG_RE.match(show.slug):
        refuse("slug", "slug", f"invalid show slug {show.slug!r}: use lower-case letters, digits and '-'")
    if not show.title:
        refuse("title", "title.empty", "--title must not be empty")
    if show.email and not EMAIL_RE.match(show.email):
        refuse("email", "email", f"e-mail {show.email!r} is not an address (name@example.go.id)")
    if not LANGUAGE_RE.match(show.language):
        refuse("language", "language", f"language {show.language!r}: use a code such as id or en")
    long_terms = [t for t in show.glossary if len(t) > MAX_GLOSSARY_TERM or "\n" in t]
    if long_terms:
        refuse("glossary", "glossary", f"glossary term {long_terms[0][:40]!r}...: one term a line, "
               f"at most {MAX_GLOSSARY_TERM} characters", max=MAX_GLOSSARY_TERM)
    if show.timezone:
        try:
            time_zone(show.timezone)
        except BadInput as exc:
            refuse("timezone", "timezone", str(exc))
    if show.watch_folder and not show.watch_folder.startswith("/"):
        refuse("watch_folder", "watch_folder",
               f"watch folder {show.watch_folder!r}: give the folder's full path (e.g. /srv/rekaman/kpu)")
    for name, (low, high) in (("podcast_lufs", PODCAST_LUFS), ("broadcast_lufs", BROADCAST_LUFS),
                              ("true_peak_dbtp", TRUE_PEAK_DBTP)):
        value = getattr(show.loudness, name)
        if not (isinstance(value, (int, float)) and low <= value <= high):
            refuse(f"loudness.{name}", "loudness.range", f"loudness {name} {value!r}: use {low:g} to {high:g}",
                   low=f"{low:g}", high=f"{high:g}")
    if problems:
        raise ShowRefused(problems)
    return show


def _store_artwork(workspace: Workspace, slug: str, artwork: Path) -> str:
    """Copy checked `artwork` beside the show's settings (atomically); its file name."""
    from ..fsutil import atomic_path

    name = f"{slug}{check_artwork(artwork)}"
    workspace.feeds_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(workspace.feeds_dir / name) as temp:
        shutil.copyfile(artwork, temp)
    return name


def add_show(workspace: Workspace, slug: str, *, title: str, artwork: Path | None = None, replace: bool = False,
             **fields) -> Show:
    if not SLUG_RE.match(slug):
        raise _refused("slug", "slug", f"invalid show slug {slug!r}: use lower-case letters, digits and '-'")
    if (workspace.feeds_dir / f"{slug}.toml").exists() and not replace:
        raise _refused("slug", "slug.taken",
                       f"show {slug!r} already exists (use --replace to overwrite its settings)", slug=slug)
    if "timezone" in fields:
        fields["timezone"] = zone_by_name(fields["timezone"])
    show = _checked(Show(slug=slug, title=title, **fields), artwork)
    if artwork:
        show = _replace_show(show, artwork=_store_artwork(workspace, slug, artwork))
    workspace.feeds_dir.mkdir(parents=True, exist_ok=True)
    workspace.save_show(show)
    return show


def edit_show(workspace: Workspace, slug: str, artwork: Path | None = None, **changes) -> Show:
    """Show `slug` with `changes` (Show fields; `loudness` a LoudnessTargets) and, when given, new artwork,
    checked and saved (atomically); the old artwork file goes when the new one has another suffix."""
    old = workspace.show(slug)
    if "timezone" in changes:
        changes["timezone"] = zone_by_name(changes["timezone"])
    show = _checked(_replace_show(old, **changes), artwork)
    if artwork:
        show = _replace_show(show, artwork=_store_artwork(workspace, slug, artwork))
    workspace.save_show(show)
    if old.artwork and old.artwork != show.artwork:
        (workspace.feeds_dir / old.artwork).unlink(missing_ok=True)
    return show


def problems_of(show: Show, artwork: Path | None = None) -> list[Problem]:
    """Every problem of `show`'s settings and of `artwork` (none: both can be saved)."""
    problems: list[Problem] = []
    for check, value in ((check_show, show), (check_artwork, artwork)):
        try:
            if value is not None:
                check(value)
        except ShowRefused as exc:
            problems += exc.problems
    return problems


def _checked(show: Show, artwork: Path | None) -> Show:
    """check_show(show), and `artwork` checked too, before anything is written: every problem of both at once."""
    problems = problems_of(show, artwork)
    if problems:
        raise ShowRefused(problems)
    return check_show(show)


def _replace_show(show: Show, **changes) -> Show:
    if "loudness" in changes and isinstance(changes["loudness"], dict):
        changes["loudness"] = LoudnessTargets(**changes["loudness"])
    return replace(show, **changes)


def zone_by_name(name: str) -> str:
    """A time zone as stored: WIB, WITA and WIT become the IANA names of Indonesia's three; others stay
    (check_show refuses a name that is no zone)."""
    name = name.strip()
    return {short.lower(): iana for iana, short in ZONES.items()}.get(name.lower(), name)


def check_timezone(name: str) -> str:
    """A show's time zone as stored (zone_by_name), "" for the machine's; BadInput for a name that is no zone."""
    name = zone_by_name(name)
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
    return edit_show(workspace, slug, timezone=name)
