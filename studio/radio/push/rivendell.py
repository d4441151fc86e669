"""A Rivendell drop box: the broadcast WAV written into the folder that `rdimport --drop-box` watches.

The file's name carries what rdimport's `--metadata-pattern` wildcards read
(by default `%n_%a_%t.`: cart number, artist, title); the WAV already
carries the AES46 cart chunk (title, artist, the air window as start and end
date-times) and the bext chunk. The bytes go to a hidden name that rdimport's
`*.wav` does not match (`.studio-<sha>.part`), are fsync'd and renamed: rdimport
never sees a part of a file. A copy cut off (a kill) is resumed from the
bytes already in the part file, and the whole file is checked against its
sha256 before the rename.

What it can and cannot do: rdimport takes the file (and deletes it) when it
imports it; until then `expire` removes it from the drop box. Once imported,
the cart is Rivendell's: Studio cannot take it out of the library or a log,
and the cut's end date-time (from the cart chunk, the air window's end) is
what keeps it off the air.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from ...fsutil import CHUNK, commit, sha256_file
from ...workspace.config import DEFAULT_NAME_PATTERN
from .base import Progress, PushError, PushItem, Remote

# The wildcards Studio fills, and rdimport reads from a name (its --metadata-pattern's; Rivendell's
# docs/manpages/rdimport.xml). Others (%s song id, %u user defined, ...) Studio has nothing for.
WILDCARDS = {"a": "artist", "t": "title", "n": "cart", "g": "group", "l": "album",
             "q": "start date", "Q": "end date", "k": "start time", "K": "end time"}
PART_SUFFIX = ".part"  # never .wav: rdimport's `*.wav` does not match a file being written
JOURNAL_FILE = "rivendell.json"


def _tokens(pattern: str) -> list[tuple[str, str]]:
    """("field", code) and ("text", character) in order; ValueError on a wildcard Studio cannot fill."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "%":
            code = pattern[i + 1:i + 2]
            if code == "%":
                out.append(("text", "%"))
            elif code in WILDCARDS:
                out.append(("field", code))
            else:
                raise ValueError(f"%{code}" if code else "a lone % at the end")
            i += 2
        else:
            out.append(("text", pattern[i]))
            i += 1
    return out


def check_pattern(pattern: str) -> str:
    """The station's name pattern (the default for ""), checked: known wildcards, %n and %t in it, a character
    between any two wildcards (rdimport reads a field up to the next one), ending in "." (before "wav")."""
    from ...errors import BadInput

    pattern = pattern or DEFAULT_NAME_PATTERN
    try:
        tokens = _tokens(pattern)
    except ValueError as exc:
        raise BadInput(f"name pattern {pattern!r}: {exc} is not a wildcard Studio fills (use "
                       f"{', '.join('%' + c for c in WILDCARDS)})") from None
    codes = [value for kind, value in tokens if kind == "field"]
    if "n" not in codes or "t" not in codes:
        raise BadInput(f"name pattern {pattern!r} needs %n (the cart number) and %t (the title)")
    if len(set(codes)) != len(codes):
        raise BadInput(f"name pattern {pattern!r} uses a wildcard twice")
    if any(a[0] == b[0] == "field" for a, b in zip(tokens, tokens[1:])):
        raise BadInput(f"name pattern {pattern!r}: put a character between two wildcards (rdimport reads a "
                       "field up to the next character of the pattern)")
    if not pattern.endswith(".") or pattern.endswith("%."):
        raise BadInput(f"name pattern {pattern!r} must end in '.' (the name ends in .wav)")
    if "/" in pattern:
        raise BadInput(f"name pattern {pattern!r} cannot hold '/'")
    return pattern


def _clean(value: str, separators: set[str]) -> str:
    """A field as a file name can hold it and rdimport reads it back whole: no separator of the pattern, no '/',
    no control character; runs of spaces as one."""
    text = "".join(" " if ch in separators or ch in "/%\\" or ord(ch) < 32 else ch for ch in value)
    return re.sub(r"\s+", " ", text).strip() or "-"


def file_name(pattern: str, item: PushItem, group: str = "") -> str:
    """The drop-box name of `item` by `pattern` (rdimport --metadata-pattern wildcards), ending in .wav."""
    tokens = _tokens(check_pattern(pattern))
    separators = {value for kind, value in tokens if kind == "text"}
    start, end = item.air_from, item.air_until
    values = {"a": item.artist, "t": item.title, "n": f"{item.cart:06d}" if item.cart is not None else "",
              "g": group, "l": item.album,
              "q": start.strftime("%Y-%m-%d") if start else "", "k": start.strftime("%H:%M:%S") if start else "",
              "Q": end.strftime("%Y-%m-%d") if end else "", "K": end.strftime("%H:%M:%S") if end else ""}
    name = "".join(value if kind == "text" else _clean(values[value], separators) for kind, value in tokens)
    return name + "wav"


def parse_name(pattern: str, name: str) -> dict[str, str]:
    """What rdimport reads from `name` by `pattern`: each wildcard's text up to the pattern's next character
    (the inverse of file_name; ValueError when the name does not match)."""
    tokens = _tokens(check_pattern(pattern))
    values, at = {}, 0
    for index, (kind, value) in enumerate(tokens):
        if kind == "text":
            if name[at:at + 1] != value:
                raise ValueError(f"{name!r} does not match {pattern!r} at {at}")
            at += 1
            continue
        stop = tokens[index + 1][1] if index + 1 < len(tokens) else None
        end = name.find(stop, at) if stop else len(name)
        if end < 0:
            raise ValueError(f"{name!r} does not match {pattern!r}")
        values[value], at = name[at:end], end
    return values


class Rivendell:
    """The Pusher for a drop folder (a local folder, or one mounted from the Rivendell machine)."""

    def __init__(self, drop_folder: Path, name_pattern: str = "", group: str = "") -> None:
        self.folder = Path(drop_folder)
        self.pattern = check_pattern(name_pattern)
        self.group = group
        self.resumed_from = 0  # bytes of the last push found in its part file, not sent again

    def push(self, item: PushItem, previous: Remote | None, journal: Path, progress: Progress | None = None) -> Remote:
        if item.cart is None:
            raise PushError("refused", f"{item.episode}: no cart number left in the station's range")
        name = file_name(self.pattern, item, self.group)
        if previous and previous.sha256 == item.sha256 and previous.media_id == name:
            return previous  # delivered already (in the drop box still, or imported by rdimport)
        if not self.folder.is_dir():
            raise PushError("unreachable", f"the drop folder {self.folder} is not there (is it mounted?)")
        try:
            self._write(item, self.folder / name, journal, progress)
            if previous and previous.media_id != name:  # renamed (a new title): the old file, if rdimport left it
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / previous.media_id).unlink()
        except OSError as exc:
            raise PushError("unreachable", f"the drop folder {self.folder} cannot be written: "
                                           f"{exc.strerror or exc}") from None
        return Remote(sha256=item.sha256, media_id=name, extra={"cart": item.cart})

    def _write(self, item: PushItem, final: Path, journal: Path, progress: Progress | None) -> None:
        """Copy to the part file (resuming one the journal names for the same bytes), check, rename."""
        part = self.folder / f".studio-{item.sha256[:16]}{PART_SUFFIX}"
        journal.mkdir(parents=True, exist_ok=True)
        note = journal / JOURNAL_FILE
        try:
            noted = json.loads(note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            noted = {}
        offset = part.stat().st_size if noted.get("part") == part.name and part.is_file() else 0
        if offset > item.bytes:
            offset = 0
        note.write_text(json.dumps({"part": part.name, "sha256": item.sha256}), encoding="utf-8")
        digest = hashlib.sha256()
        with open(item.path, "rb") as source, open(part, "r+b" if offset else "wb") as target:
            source.seek(offset)
            target.seek(offset)
            target.truncate()
            sent = offset
            while block := source.read(CHUNK):
                target.write(block)
                digest.update(block)
                sent += len(block)
                if progress:
                    progress(sent, item.bytes)
            target.flush()
            os.fsync(target.fileno())
        if (sha256_file(part) if offset else digest.hexdigest()) != item.sha256:
            part.unlink()
            raise PushError("refused", f"{item.episode}: the copy in the drop box does not match its sha256 "
                                       "(the broadcast file changed while it was copied?); push again")
        commit(part, final)
        self.resumed_from = offset  # what a test (and a log) can see: the bytes not sent again

    def expire(self, remote: Remote, delete_file: bool = False) -> None:
        """Take the file back out of the drop box if rdimport has not imported it yet (then it was never in the
        library); an imported cart stays Rivendell's (its cut ends at the air window's end)."""
        with contextlib.suppress(FileNotFoundError):
            (self.folder / remote.media_id).unlink()
