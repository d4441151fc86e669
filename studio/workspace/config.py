"""Typed settings: the workspace's studio.toml and each show's feeds/<show>.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import tomli_w

from ..errors import BadInput

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class LoudnessTargets:
    podcast_lufs: float = -16.0
    broadcast_lufs: float = -23.0
    true_peak_dbtp: float = -1.0


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
    name: str
    token_sha256: str


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
    stations: tuple[Station, ...] = ()

    def http_limits(self):
        """The bounds on slow clients for `studio serve` and `studio web` (studio.httpserver.Limits)."""
        from ..httpserver import Limits  # loads Waitress: only the servers need it

        return Limits(self.http_header_timeout, self.http_connections_per_client, self.http_connection_limit)


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
    processing: Processing = field(default_factory=Processing)


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


def _known(cls, data: dict, path: Path) -> dict:
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
    stations = tuple(
        Station(name=name, token_sha256=str(entry["token_sha256"]))
        for name, entry in sorted(data.get("stations", {}).items())
    )
    return Settings(**_known(Settings, studio, path), stations=stations)


def save_settings(path: Path, settings: Settings) -> None:
    from ..fsutil import write_text

    studio = {k: v for k, v in asdict(settings).items() if k != "stations"}
    data = {"studio": studio, "stations": {s.name: {"token_sha256": s.token_sha256} for s in settings.stations}}
    write_text(path, tomli_w.dumps(data))


def load_show(path: Path) -> Show:
    data = _read_toml(path)
    loudness = LoudnessTargets(**_known(LoudnessTargets, data.pop("loudness", {}), path))
    processing = Processing(**_known(Processing, data.pop("processing", {}), path))
    data["glossary"] = tuple(data.get("glossary", ()))
    return Show(slug=path.stem, **_known(Show, data, path), loudness=loudness, processing=processing)


def save_show(path: Path, show: Show) -> None:
    from ..fsutil import write_text

    data = asdict(show)
    del data["slug"]
    data["glossary"] = list(show.glossary)
    write_text(path, tomli_w.dumps(data))


def with_changes(obj, **changes):
    return replace(obj, **changes)
