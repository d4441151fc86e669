"""The library's one-line errors as a page shows them: in the page's language, saying what to do, never a
path, an errno or a traceback.

The library speaks English to the command line (studio.errors); the web edge maps each line it knows onto a
strings key (strings/messages.py), by the line's shape, the figures it names kept. A line it does not know is
never shown as it is: `message.unknown` (bad input) or `message.processing` (a failure on the server).
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import BadInput, StudioError
from ..workspace.state import EpisodeBusy

Translate = Callable[[str], str]

_NUM = r"(-?[0-9.]+)"
# (pattern, key, names of the groups' values in the key's text); searched in order, first match wins
RULES: tuple[tuple[re.Pattern, str, tuple[str, ...]], ...] = tuple((re.compile(p), k, v) for p, k, v in (
    (r"was changed (since this page was opened|while saving)", "transcript.stale", ()),
    (r"the highlights changed since this page was opened", "edit.stale", ()),
    (r"^cue (\d+) does not exist", "line.missing", ("n",)),
    (r"^cue (\d+): the text is empty", "line.empty", ("n",)),
    (r"^cue (\d+): it must end after it starts", "line.order", ("n",)),
    (rf"^cue (\d+): ends at {_NUM} s, after the recording \({_NUM} s\)", "line.after_end", ("n", "", "end")),
    (rf"^cue (\d+): starts at {_NUM} s, before cue (\d+) ends \({_NUM} s\)", "line.overlap_before",
     ("n", "", "other", "time")),
    (rf"^cue (\d+): ends at {_NUM} s, after cue (\d+) starts \({_NUM} s\)", "line.overlap_after",
     ("n", "", "other", "time")),
    (r"has no transcript yet", "transcript.none", ()),
    (r"^clip start .* before the beginning", "clip.before_start", ()),
    (r"^clip end .* is not after its start", "clip.order", ()),
    (rf"^clip end .* past the end of the episode \({_NUM} s\)", "clip.after_end", ("duration",)),
    (rf"^clip is {_NUM} s long; clips are at most {_NUM} s", "clip.too_long", ("length", "limit")),
    (rf"^clip is {_NUM} s long; clips are at least {_NUM} s", "clip.too_short", ("length", "limit")),
    (r"has no highlight \d+", "clip.missing", ()),
    (r"has no podcast rendition yet", "clip.no_podcast", ()),
    (r"^the clip title is empty", "clip.title_empty", ()),
    (r"^the title is empty", "edit.title_empty", ()),
    (r"^-*air-from: '(.*)' is not an ISO date", "air.bad_time", ("value",)),
    (r"^-*air-until: '(.*)' is not an ISO date", "air.bad_time", ("value",)),
    (r"^--air-until \(.*\) must be after --air-from", "air.order", ()),
    (r"^[-\w]+: '(.*)' is not a date \(use YYYY-MM-DD\)", "date.bad", ("value",)),
    (r": file is empty$", "recording.empty", ()),
    (r": video has no audio track", "recording.no_audio", ()),
    (r": truncated", "recording.truncated", ()),
    (rf": recording is {_NUM} s long; at least", "recording.too_short", ("seconds",)),
    (r": recording is silent", "recording.silent", ()),
    (rf"at most {_NUM} h is accepted", "recording.too_long", ("hours",)),
    (r"(corrupt|unreadable|not a readable audio|no audio stream|no sample (format|rate)|implausible sample rate)",
     "recording.unreadable", ()),
    (r"bytes arrived but \d+ were declared", "recording.size", ()),
    (r": no such file$", "recording.gone", ()),
    (r"changed while it was being ingested", "recording.changed", ()),
    (r"^episode .* already exists", "recording.exists", ()),
    (r"^invalid station slug", "station.bad_name", ()),
    (r"is not a producer: only a producer can approve", "approve.not_producer", ()),
    (r"was uploaded by (\S+): another producer must approve it", "approve.own_upload", ("name",)),
    (r"invalid episode file|episode\.toml", "episode.broken", ()),
    (r"original recording .* is missing", "episode.no_original", ()),
    (r"^station '([^']*)' already exists", "station.exists", ("name",)),
    (r"^unknown station '([^']*)'", "station.unknown", ("name",)),
    (r"^invalid user name", "user.bad_name", ()),
    (r"^user '([^']*)' already exists", "user.exists", ("name",)),
    (r"^unknown user '([^']*)'", "user.unknown", ("name",)),
    (r"^unknown role", "user.bad_role", ()),
    (r"^password too short: use at least (\d+)", "user.short_password", ("n",)),
    (r"^unknown show '([^']*)'", "show.unknown", ("name",)),
))
_FIELDS = {"air-from": "air.field.from", "air-until": "air.field.until"}


def _figure(value: str, mark: str) -> str:
    """A figure as a page writes it: whole numbers without decimals, else one decimal (`mark`: the language's)."""
    try:
        number = float(value)
    except ValueError:
        return value
    text = f"{number:.0f}" if abs(number - round(number)) < 0.05 else f"{number:.1f}"
    return text.replace(".", mark)


def library_message(line: str, t: Translate, bad_input: bool = True) -> str:
    """What a page shows for the library's one-line error `line`, in `t`'s language."""
    text = " ".join(str(line).split())
    for pattern, key, names in RULES:
        found = pattern.search(text)
        if not found:
            continue
        values = {name: value if name in ("name", "value") else _figure(value, t("message.decimal_mark"))
                  for name, value in zip(names, found.groups()) if name}
        if key == "air.bad_time":
            values["field"] = t(_FIELDS["air-until" if "air-until" in text.split(":")[0] else "air-from"])
        return t(key).format(**values)
    return t("message.unknown" if bad_input else "message.processing")


def error_message(exc: BaseException, t: Translate) -> str:
    """What a page shows for a failure the library raised."""
    if isinstance(exc, EpisodeBusy):
        return t("message.busy")
    if isinstance(exc, StudioError):
        return library_message(str(exc), t, isinstance(exc, BadInput))
    return t("message.processing")
