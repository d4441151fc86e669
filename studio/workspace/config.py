"""Typed settings: the workspace's studio.toml and each show's feeds/<show>.toml."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

import tomli_w

from ..errors import BadInput

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class LoudnessTargets:
    podcast_lufs: float = -16.0
    broadcast_lufs: float = -23.0
    true_peak_dbtp: float = -1.0


STATION_KINDS = ("pull", "azuracast", "libretime", "rivendell")  # pull: the station fetches (`studio radio pull`)
DEFAULT_NAME_PATTERN = "%n_%a_%t."  # rdimport --metadata-pattern: cart number, artist, title


@dataclass(frozen=True)
class Processing:
    """A show's [processing]: the sound treatment before the loudness gain (media.processing; docs/sound.md).
    Each part does something only where the recording needs it; all four false give today's renditions."""

    leveler: bool = True  # speakers' turns brought toward one loudness
    noise_reduction: bool = True  # afftdn with the noise learned from the pauses, as strong as the noise asks
    hum_reduction: bool = True  # notches at the 50/60 Hz mains harmonics found
    highpass: bool = True  # a high-pass below the voice band where there is rumble
    highpass_hz: float = 60.0

    @property
    def any(self) -> bool:
        return self.leveler or self.noise_reduction or self.hum_reduction or self.highpass


@dataclass(frozen=True)
class Station:
    """[stations.<name>] in studio.toml: a station that pulls (its token's hash) or one Studio pushes to.

    The API key of azuracast and libretime is never here: it is in .studio/station-keys/<name> (0600)."""

    name: str
    token_sha256: str = ""  # pull: the sha256 of its bearer token
    kind: str = "pull"  # one of STATION_KINDS
    base_url: str = ""  # azuracast, libretime: the station's web address (https://radio.example.go.id)
    station_id: str = ""  # azuracast: the station's id or short name
    timezone: str = ""  # the station's clock for scheduling (IANA name, e.g. Asia/Makassar); "": the air window's
    drop_folder: str = ""  # rivendell: the folder rdimport --drop-box watches
    cart_first: int = 0  # rivendell: the cart numbers Studio may use, first..last
    cart_last: int = 0
    group: str = ""  # rivendell: the group the carts go into
    scheduler_code: str = ""  # rivendell: given to rdimport as --add-scheduler-code (no file-name wildcard holds it)
    name_pattern: str = ""  # rivendell: the file name, in rdimport --metadata-pattern wildcards ("": DEFAULT_NAME_PATTERN)

    @property
    def pushes(self) -> bool:
        return self.kind != "pull"


@dataclass(frozen=True)
class Settings:
    """studio.toml: workspace-wide settings, each with an embedded default."""

    base_url: str = "http://127.0.0.1:8000"
    publish_to: str = "public"
    radio_to: str = "radio"  # broadcast files and their manifest: a folder or s3://bucket/prefix, never public
    model: str = "base"
    device: str = "auto"
    compute_type: str = ""
    cache_dir: str = ".studio-cache"
    # seconds an ffmpeg run may go without any progress before it is stopped as hung
    ffmpeg_stall_timeout: float = 300.0
    # an ffmpeg run that writes files is stopped after this many times its input's duration (at least 60 s),
    # however busy it looks
    ffmpeg_time_factor: float = 10.0
    # longest recording ingest accepts: longer ones are refused before (or while) they are decoded
    max_duration_hours: float = 6.0
    # language of the producer web app's pages: "id" (Bahasa Indonesia) or "en"
    lang: str = "id"
    # Celery broker (redis://host:6379/0); empty: every stage runs in this process or in local workers
    broker_url: str = ""
    # publish writes the listener site (pages, search) beside the feeds; false: feeds and media only
    site: bool = True
    # `studio serve` appends each public media file or page it answers to logs/access/ (listener key and country,
    # never the address: studio.stats.accesslog), for the listener statistics; false: nothing is written
    access_log: bool = True
    # longest a job may run on a Celery worker, seconds (transcription; other stages get a share of it); the
    # broker hands a task whose worker died to another one after 1.25 times this
    job_time_limit: float = 14400.0
    # `studio serve` and `studio web` against slow clients: seconds a connection may take to send a request's
    # headers (from its opening or its last answer); connections one address may keep waiting for a request (its
    # next one closes the longest-waiting); open connections in all
    http_header_timeout: float = 15.0
    http_connections_per_client: int = 10
    http_connection_limit: int = 500
    # seconds a Celery worker may go unheard (its heartbeat in Redis) before its jobs are given to another one
    worker_lost_after: float = 60.0
    # an unfinished web upload untouched this long is removed (at `studio web` start and on upload requests),
    # and so is what is left of a finished one (its record) this long after it was ingested
    upload_expire_hours: float = 24.0
    # a producer's unfinished web uploads at once, and the bytes they declared together (GiB)
    upload_max_open: int = 10
    upload_max_open_gib: float = 20.0
    # off-air recordings (radio.record): seconds a stream may take to come up before the recording fails; a
    # scheduled start found this many seconds late (the machine was off) is reported as missed, not recorded
    record_connect_timeout: float = 60.0
    record_late_after: float = 120.0
    # shows' watch folders (Show.watch_folder): seconds between scans, and scans a file's size and modification time
    # must stay the same in before it is ingested (so a file still being copied in is left alone)
    watch_interval: float = 10.0
    watch_stable_scans: int = 3
    # listener statistics: hours after a counting day ends (WIB) that late logs of it are still taken; then the
    # day is counted for good, its listener keys and salt destroyed (docs/statistics.md)
    stats_late_hours: float = 48.0
    # the office behind the listener site: its name in the site's header and its logo (a file in the workspace)
    office_name: str = ""
    office_logo: str = ""
    stations: tuple[Station, ...] = ()

    def http_limits(self):
        """The bounds on slow clients for `studio serve` and `studio web` (studio.httpserver.Limits)."""
        from ..httpserver import Limits  # loads Waitress: only the servers need it

        return Limits(self.http_header_timeout, self.http_connections_per_client, self.http_connection_limit)


# Monday first (datetime.weekday()); Indonesian names, English three-letter names both accepted
WEEKDAYS_ID = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
WEEKDAYS_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
TITLE_FIELDS = ("date", "iso_date", "weekday", "time", "show")  # what a recording's title pattern may name


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds of "60m", "1h30m", "45s", "1h"; BadInput for anything else (or zero)."""
    m = _DURATION_RE.match(text.strip().lower()) if isinstance(text, str) else None
    if not m or not any(m.groups()):
        raise BadInput(f"{what}: {text!r} is not a duration (e.g. 60m, 1h30m, 90s)")
    hours, minutes, seconds = (int(g or 0) for g in m.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise BadInput(f"{what}: {text!r} is no time at all")
    return float(total)


def weekday_number(name: str) -> int:
    key = name.strip().lower().replace("'", "")
    for names in (WEEKDAYS_ID, WEEKDAYS_EN):
        if key in names:
            return names.index(key)
    raise BadInput(f"weekday {name!r}: use senin..minggu or mon..sun")


def time_zone(name: str) -> dt.tzinfo:
    """The IANA zone `name` (Asia/Makassar); "" is the machine's own zone."""
    if not name:
        return dt.datetime.now().astimezone().tzinfo
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"time zone {name!r} is unknown: use an IANA name such as Asia/Makassar") from None


def check_stream_url(url: str, what: str = "url") -> str:
    """`url` when it can be a station's stream (http or https); BadInput otherwise."""
    if not re.match(r"^https?://[^/\s]+", url or ""):
        raise BadInput(f"{what} {url!r}: use the stream's http:// or https:// address")
    return url


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")  # an address only this machine reaches
_PUBLIC_ADDRESS_RE = re.compile(r"^https?://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d{1,5}))?"
                                r"(?P<path>(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*)/?$")


def check_public_address(url: str) -> str:
    """The site's public address (Settings.base_url) without its trailing slash: http:// or https://, a host, an
    optional port and path; no user name, query, fragment or space. BadInput otherwise."""
    text = (url or "").strip()
    found = _PUBLIC_ADDRESS_RE.match(text)
    if not found or (found["port"] and not 0 < int(found["port"]) < 65536) or ".." in found["host"]:
        raise BadInput(f"public address {url!r}: use http:// or https:// and the host name, e.g. "
                       "https://podcast.example.go.id (a path may follow; no ?, # or spaces)")
    return text.rstrip("/")


def is_local_address(url: str) -> bool:
    """Whether `url` points at this machine only (the default base_url): feeds and links made with it reach no
    listener."""
    try:
        host = urlsplit((url or "").strip()).hostname or ""
    except ValueError:
        return False
    return not host or host in LOCAL_HOSTS or host.endswith(".localhost")


def local_address_warning(url: str) -> str:
    """The one-line warning `studio publish` and `studio doctor` print while base_url is a local address ("" when
    it is not)."""
    if not is_local_address(url):
        return ""
    return (f"warning: base_url is {url} (this machine only): feeds, share links and embed codes will not reach "
            "listeners; set the site's public address in the web app (Pengaturan > Situs) or base_url in studio.toml")


@dataclass(frozen=True)
class Recording:
    """A programme to record off the air ([[recordings]] in a show's toml), on `weekdays` or on `date`."""

    url: str  # the station's stream: Icecast/Shoutcast over HTTP(S), or an HLS playlist (.m3u8)
    start: str  # local start time "HH:MM" (or "HH:MM:SS") in `timezone`
    duration: str  # "60m", "1h30m", "90s"
    title: str = "{show} {date}"  # the episode's title; {date} is the local date as Indonesian writes it
    weekdays: tuple[str, ...] = ()  # "senin".."minggu" (or "mon".."sun"): every week on these days
    date: str = ""  # YYYY-MM-DD: once, on this day
    timezone: str = ""  # IANA name (Asia/Makassar); "" the machine's
    description: str = ""

    @property
    def seconds(self) -> float:
        return parse_duration(self.duration)

    @property
    def zone(self) -> dt.tzinfo:
        return time_zone(self.timezone)

    @property
    def start_time(self) -> dt.time:
        return dt.time.fromisoformat(self.start)

    @property
    def days(self) -> frozenset[int]:
        """The weekdays it is recorded on (0 = Monday)."""
        return frozenset(weekday_number(day) for day in self.weekdays)


def check_recording(recording: Recording, where: str) -> Recording:
    """`recording` when every value can be used; BadInput naming `where` and the value otherwise."""
    try:
        check_stream_url(recording.url)
        try:
            dt.time.fromisoformat(recording.start)
        except (TypeError, ValueError):
            raise BadInput(f"start {recording.start!r}: use HH:MM (24 h)") from None
        recording.seconds, recording.zone, recording.days  # noqa: B018 - each raises BadInput when wrong
        if bool(recording.weekdays) == bool(recording.date):
            raise BadInput("give either weekdays or a date")
        if recording.date:
            try:
                dt.date.fromisoformat(recording.date)
            except ValueError:
                raise BadInput(f"date {recording.date!r}: use YYYY-MM-DD") from None
        try:
            recording.title.format(**{name: "" for name in TITLE_FIELDS})
        except (KeyError, IndexError, ValueError):
            raise BadInput(f"title {recording.title!r}: it may name only {{{'}, {'.join(TITLE_FIELDS)}}}") from None
    except BadInput as exc:
        raise BadInput(f"{where}: {exc}") from None
    return recording


@dataclass(frozen=True)
class Show:
    """One show = one podcast feed (feeds/<slug>.toml)."""

    slug: str
    title: str
    description: str = ""
    language: str = "id"
    author: str = ""
    email: str = ""
    category: str = "Government"
    explicit: bool = False
    link: str = ""
    artwork: str = ""
    model: str = ""
    glossary: tuple[str, ...] = ()
    spelling: bool = True  # standard (baku) spelling and repair of one-letter misspellings (Indonesian transcripts)
    itn: bool = True  # write numbers, dates, times and money as digits ("2024", "pukul 07.00")
    require_approval: bool = False  # publish an episode only after a second producer approved it
    loudness: LoudnessTargets = field(default_factory=LoudnessTargets)
    recordings: tuple[Recording, ...] = ()  # programmes recorded off the air into episodes (radio.record)
    processing: Processing = field(default_factory=Processing)
    timezone: str = ""  # the show's clock (IANA: Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT); "": the machine's
    watch_folder: str = ""  # a folder the recording PC saves to: finished files are ingested by themselves
    min_speakers: int = 1  # speaker labels: the number of speakers the diarization may find
    max_speakers: int = 6
    clip_speakers: bool = False  # clip captions say who speaks ("Ani: ...") where the speaker changes

    @property
    def zone(self) -> dt.tzinfo:
        """The show's clock: `timezone`, else the machine's (BadInput for an unknown name)."""
        return time_zone(self.timezone)


def check_slug(slug: str, what: str = "show") -> str:
    if not SLUG_RE.match(slug):
        raise BadInput(f"invalid {what} slug {slug!r}: use lower-case letters, digits and '-'")
    return slug


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: invalid TOML: {exc}") from None


def _known(cls, data: dict, path: Path | str) -> dict:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise BadInput(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return data


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    data = _read_toml(path)
    studio = dict(data.get("studio", {}))
    stations = tuple(_station(name, entry, path) for name, entry in sorted(data.get("stations", {}).items()))
    return Settings(**_known(Settings, studio, path), stations=stations)


def _station(name: str, entry: object, path: Path) -> Station:
    if not isinstance(entry, dict):
        raise BadInput(f"{path}: [stations.{name}] is not a table")
    data = dict(_known(Station, entry, path))
    data.pop("name", None)
    try:
        station = Station(name=name, **data)
    except TypeError as exc:
        raise BadInput(f"{path}: [stations.{name}]: {exc}") from None
    if station.kind not in STATION_KINDS:
        raise BadInput(f"{path}: [stations.{name}] kind = {station.kind!r}: use one of {', '.join(STATION_KINDS)}")
    return station


def _station_table(station: Station) -> dict:
    """The station's fields that differ from the defaults (a pull station stays `token_sha256` alone)."""
    default = Station(station.name)
    return {f.name: getattr(station, f.name) for f in fields(Station)
            if f.name != "name" and getattr(station, f.name) != getattr(default, f.name)}


def save_settings(path: Path, settings: Settings) -> None:
    from ..fsutil import write_text

    studio = {k: v for k, v in asdict(settings).items() if k != "stations"}
    data = {"studio": studio, "stations": {s.name: _station_table(s) for s in settings.stations}}
    write_text(path, tomli_w.dumps(data))


def load_show(path: Path) -> Show:
    data = _read_toml(path)
    loudness = LoudnessTargets(**_known(LoudnessTargets, data.pop("loudness", {}), path))
    processing = Processing(**_known(Processing, data.pop("processing", {}), path))
    data["glossary"] = tuple(data.get("glossary", ()))
    recordings = tuple(_recording(entry, path, number) for number, entry in enumerate(data.pop("recordings", []), 1))
    return Show(slug=path.stem, **_known(Show, data, path), loudness=loudness, processing=processing,
                recordings=recordings)


def _recording(entry: object, path: Path, number: int) -> Recording:
    where = f"{path}: recording {number}"
    if not isinstance(entry, dict):
        raise BadInput(f"{where}: write it as a [[recordings]] table")
    missing = sorted({"url", "start", "duration"} - set(entry))
    if missing:
        raise BadInput(f"{where}: {', '.join(missing)} missing")
    values = dict(_known(Recording, entry, where))
    values["weekdays"] = tuple(values.get("weekdays", ()))
    if not all(isinstance(v, str) for k, v in values.items() if k != "weekdays"):
        raise BadInput(f"{where}: write each value as a quoted string")
    return check_recording(Recording(**values), where)


def save_show(path: Path, show: Show) -> None:
    from ..fsutil import write_text

    data = asdict(show)
    del data["slug"]
    data["glossary"] = list(show.glossary)
    recordings = [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(r).items() if v not in ("", ())}
                  for r in show.recordings]
    del data["recordings"]
    if recordings:
        data["recordings"] = recordings  # an array of tables: after the [loudness] table
    write_text(path, tomli_w.dumps(data))


def with_changes(obj, **changes):
    return replace(obj, **changes)
