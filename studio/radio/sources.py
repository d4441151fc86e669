"""Where a station pulls from: a `studio serve` URL (the pull API, a bearer token) or the radio folder, and
the manifest read from it, checked entry by entry (it comes over the network)."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO, Iterator

from .. import __version__
from ..errors import BadInput
from ..workspace.episode import air_time
from .manifest import MANIFEST_NAME, MANIFEST_VERSION, RADIO_DIR

HTTP_TIMEOUT_S = 60
MAX_MANIFEST_BYTES = 64 << 20

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PATH = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)*[A-Za-z0-9][A-Za-z0-9._-]*\.wav$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class PullError(Exception):
    """A failure of the source (unreachable, refused, a bad manifest): the run says it and stops."""


class Restart(Exception):
    """The server cannot continue a partial download; start the file again."""


class DirSource:
    def __init__(self, root: Path):
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def read_manifest(self) -> bytes:
        try:
            return (self.root / MANIFEST_NAME).read_bytes()
        except OSError as exc:
            raise PullError(f"cannot read {MANIFEST_NAME} in {self.root}: {exc.strerror or exc}") from None

    @contextlib.contextmanager
    def open(self, path: str, offset: int) -> Iterator[tuple[BinaryIO, int]]:
        try:
            f = open(self.root / path, "rb")
        except OSError as exc:
            raise PullError(f"cannot read {path}: {exc.strerror or exc}") from None
        with f:
            f.seek(offset)
            yield f, offset


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would carry the Authorization header to any host a redirect names; allow only the same origin."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class HttpSource:
    def __init__(self, base_url: str, token: str | None, station: str | None):
        self.base = base_url.rstrip("/")
        self.headers = {"User-Agent": f"studio-radio-pull/{__version__}"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if station:
            self.headers["X-Studio-Station"] = station  # informational: the token alone authenticates
        self.opener = urllib.request.build_opener(_SameOriginRedirects)

    def describe(self) -> str:
        return self.base

    def _request(self, path: str, headers: dict | None = None):
        url = f"{self.base}/{urllib.parse.quote(path)}"
        request = urllib.request.Request(url, headers={**self.headers, **(headers or {})})
        try:
            return self.opener.open(request, timeout=HTTP_TIMEOUT_S)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416:
                raise Restart() from None
            if exc.code == 401:
                why = "no token given (--token or STUDIO_RADIO_TOKEN)" if "Authorization" not in self.headers \
                    else "the token was refused"
                raise PullError(f"401 Unauthorized from {url}: {why}") from None
            raise PullError(f"HTTP {exc.code} {exc.reason} from {url}") from None

    def read_manifest(self) -> bytes:
        try:
            with self._request(MANIFEST_NAME) as response:
                raw = response.read(MAX_MANIFEST_BYTES + 1)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            raise PullError(f"cannot fetch {self.base}/{MANIFEST_NAME}: {why(exc)}") from None
        if len(raw) > MAX_MANIFEST_BYTES:
            raise PullError(f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES >> 20} MiB; refused")
        return raw

    @contextlib.contextmanager
    def open(self, path: str, offset: int) -> Iterator[tuple[BinaryIO, int]]:
        response = self._request(path, {"Range": f"bytes={offset}-"} if offset else None)
        with response:
            start = 0
            if offset and response.status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if not match or int(match.group(1)) != offset:
                    raise Restart()
                start = offset
            elif response.status != 200:
                raise PullError(f"HTTP {response.status} for {path}")
            yield response, start  # a 200 to a Range request: the whole file, so start again


def why(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def open_source(source: str, token: str | None, station: str | None) -> DirSource | HttpSource:
    """The radio root `source` names: where manifest.json is and the paths it lists start from."""
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        base = source.rstrip("/")
        if base.endswith(f"/{MANIFEST_NAME}"):
            base = base[: -len(MANIFEST_NAME) - 1]
        elif not base.endswith(f"/{RADIO_DIR}"):
            base = f"{base}/{RADIO_DIR}"  # the server's root URL: the pull API is under /radio/
        return HttpSource(base, token, station)
    if scheme and len(scheme) > 1:
        raise BadInput(f"--from {source}: use an http(s) URL or a folder")
    root = Path(source)
    if not root.is_dir():
        raise BadInput(f"--from {source}: no such folder")
    if not (root / MANIFEST_NAME).exists() and (root / RADIO_DIR / MANIFEST_NAME).exists():
        root = root / RADIO_DIR  # a workspace (radio_to's default folder) or a public tree of an older Studio
    return DirSource(root)


def check_entry(entry: object) -> dict:
    """The fields pull relies on, checked: the manifest comes over the network."""
    if not isinstance(entry, dict):
        raise ValueError("entry is not an object")
    path, show = entry.get("path"), entry.get("show")
    if not isinstance(path, str) or not _PATH.match(path) or ".." in path.split("/"):
        raise ValueError(f"bad path {path!r}")
    if not isinstance(show, str) or not _SLUG.match(show):
        raise ValueError(f"bad show {show!r}")
    if not isinstance(entry.get("sha256"), str) or not _SHA256.match(entry["sha256"]):
        raise ValueError("bad sha256")
    if not isinstance(entry.get("bytes"), int) or entry["bytes"] < 0:
        raise ValueError("bad bytes")
    for bound in ("air_from", "air_until"):
        value = entry.get(bound)
        if value is not None:
            try:
                air_time(value)
            except (TypeError, ValueError):
                raise ValueError(f"bad {bound} {value!r}") from None
    return entry


def parse_manifest(raw: bytes) -> list:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PullError(f"{MANIFEST_NAME} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise PullError(f"{MANIFEST_NAME} has no file list")
    if data.get("version") == 1:  # an older server: paths start at the public tree, whose radio/ is our root
        return [_from_version_1(entry) for entry in data["files"]]
    if data.get("version") != MANIFEST_VERSION:
        raise PullError(f"{MANIFEST_NAME} is version {data.get('version')!r}; this Studio reads {MANIFEST_VERSION}")
    return data["files"]


def _from_version_1(entry: object) -> object:
    prefix = f"{RADIO_DIR}/"
    if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"].startswith(prefix):
        return {**entry, "path": entry["path"][len(prefix):]}
    return entry


