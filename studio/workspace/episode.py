"""An episode: what a producer knows about one recording (episode.toml), and what its metadata becomes
in the files made from it (the air window, the broadcast file's cart chunk)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..media.cart import OPEN_END, Cart, cut_id
from .config import Show

_LINE_BREAKS = re.compile(r"\s*[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+\s*")
_JOINERS = {"\u200c", "\u200d"}  # format characters that some scripts and emoji need
DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
END_OF_DAY = dt.time(23, 59, 59)  # a date-only air window's end: the last second of that local day


@dataclass
class Episode:
    """episode.toml: what a producer knows about one recording."""

    show: str
    slug: str  # YYYY-MM-DD-slug
    title: str
    original: str  # file name of the untouched recording inside the episode folder
    sha256: str
    size: int
    duration: float
    ingested_at: str
    description: str = ""
    recorded_on: str = ""
    source: str = ""
    source_name: str = ""
    air_from: str = ""
    air_until: str = ""
    highlights: list[dict] = field(default_factory=list)
    chapters: list[dict] = field(default_factory=list)  # the producer's [[chapters]]: start, title
    # "": highlights are picked automatically while there are none; "producer": only `highlights`
    # (the producer removed a pick, so an empty list stays empty)
    highlights_from: str = ""
    # who last reviewed the transcript and when (a saved correction or "Transkrip sudah diperiksa"); until
    # then the listener site calls the transcript automatic
    transcript_reviewed_by: str = ""
    transcript_reviewed_at: str = ""
    # The episode basics podcast hosts have (workspace.release): when it goes out, whether a producer took it
    # down, its own artwork (a file in the episode folder), season, number and type (itunes:episodeType).
    publish_at: str = ""  # ISO date-time with its offset; "": as soon as it is ready
    unpublished_at: str = ""  # when a producer took it down (UTC); "": it goes out
    artwork: str = ""  # EPISODE_ARTWORK_NAME + suffix, in the episode folder; "": the show's
    season: int | None = None
    number: int | None = None
    episode_type: str = ""  # full (""), trailer or bonus

    @property
    def id(self) -> str:
        return f"{self.show}/{self.slug}"


# -- metadata as a producer gives it ---------------------------------------------

def clean_field(text: str) -> str:
    """Metadata as one line of text: line breaks and tabs become a space, other control characters go.

    Titles and descriptions end up in ID3 tags, a broadcast WAV's cart chunk and feeds,
    where a newline or an escape sequence breaks the record or the screen.
    """
    text = _LINE_BREAKS.sub(" ", text)
    return "".join(ch for ch in text if ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def clean_paragraphs(text: str) -> str:
    """Metadata that may run over several lines (a description): line breaks stay (as \\n), other control
    characters go, as in clean_field."""
    lines = re.split(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]", text)
    return "\n".join(clean_field(line) for line in lines).strip()


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug[:48].rstrip("-") or "episode"


def episode_slug(recorded_on: str, title: str, file_name: str) -> str:
    """The episode part of an id: the recording date and a slug of the title (else the file's name)."""
    return f"{recorded_on}-{slugify(title or Path(file_name).stem)}"


def parse_date(value: str, option: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadInput(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _moment(value: str, zone: dt.tzinfo | None, end_of_day: bool) -> dt.datetime:
    """`value` (an ISO date or date-time) as an aware datetime: a missing offset is `zone`'s (None: the
    machine's); a date alone is that day's start in `zone`, or with `end_of_day` its last second (23:59:59),
    so a window "until 5 December" runs to the end of that day where the show is, not 00:00 UTC.
    ValueError (TypeError for a value that is not text) when it is neither."""
    if isinstance(value, str) and DATE_ONLY_RE.match(value.strip()):
        day = dt.date.fromisoformat(value.strip())
        moment = dt.datetime.combine(day, END_OF_DAY if end_of_day else dt.time(0))
    else:
        moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def parse_time(value: str, option: str, zone: dt.tzinfo | None = None, end_of_day: bool = False) -> str:
    """An ISO date or date-time as stored (with its offset); a missing zone means the show's `zone` (None: the
    machine's), a date alone the start of that day there, or its end with `end_of_day` (an air window's end)."""
    try:
        moment = _moment(value, zone, end_of_day)
    except (TypeError, ValueError):
        raise BadInput(f"{option}: {value!r} is not an ISO date or date-time (e.g. 2026-12-01T06:00+08:00)") from None
    return moment.isoformat(timespec="seconds")


def check_air_window(air_from: str, air_until: str) -> None:
    if air_from and air_until and dt.datetime.fromisoformat(air_until) <= dt.datetime.fromisoformat(air_from):
        raise BadInput(f"--air-until ({air_until}) must be after --air-from ({air_from})")



# -- the air window and the broadcast file's cart chunk ---------------------------

def air_time(value: str, zone: dt.tzinfo | None = None, end_of_day: bool = False) -> dt.datetime:
    """An air-window bound from episode.toml; one without a zone is in `zone` (the show's; None: the machine's),
    a date alone that day's start (or its end with `end_of_day`) there (see _moment).

    ValueError (TypeError for a value that is not text) when it is not an ISO date or date-time.
    """
    return _moment(value, zone, end_of_day)


def episode_air_time(episode: Episode, field: str, zone: dt.tzinfo | None = None) -> dt.datetime:
    """The episode's `air_from` or `air_until` (a date alone in `air_until`: the end of that day in `zone`, the
    show's); BadInput when the producer's episode.toml holds no date there."""
    value = getattr(episode, field)
    try:
        return air_time(value, zone, end_of_day=field == "air_until")
    except (TypeError, ValueError):
        raise BadInput(f"{episode.id}: {field} = {value!r} in episode.toml is not an ISO date or date-time "
                       "in quotes (e.g. \"2026-12-01T06:00+08:00\")") from None


def _date_time(moment: dt.datetime) -> tuple[str, str]:
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")


def cart_for_episode(episode: Episode, show: Show) -> Cart:
    """The cart chunk Studio writes into an episode's broadcast WAV.

    Start and end come from the air window as the producer wrote it (wall-clock
    time in the offset given at ingest; playout systems compare it with the
    station's local clock). With no window, the cut starts on the day the
    episode was ingested and never ends (9999-12-31 23:59:59). The ingest day
    rather than the day of processing keeps the file's bytes, and so its
    sha256, the same when it is rendered again.
    """
    zone = show.zone
    if episode.air_from:
        start = _date_time(episode_air_time(episode, "air_from", zone))
    else:
        start = (episode.ingested_at[:10] or episode.recorded_on, "00:00:00")
    end = _date_time(episode_air_time(episode, "air_until", zone)) if episode.air_until else OPEN_END
    return Cart(
        title=episode.title,
        artist=show.title,
        cut_id=cut_id(episode.id),
        client_id=show.author,
        classification=show.slug,
        start_date=start[0], start_time=start[1],
        end_date=end[0], end_time=end[1],
        url=show.link,
        tag_text=episode.description,
    )


def podcast_tags(episode: Episode, show: Show) -> dict[str, str]:
    """The podcast rendition's ID3 tags."""
    return {
        "title": episode.title,
        "artist": show.author or show.title,
        "album_artist": show.author or show.title,
        "album": show.title,
        "date": episode.recorded_on[:4],
        "genre": "Podcast",
        "comment": episode.description,
        "language": show.language,
    }
