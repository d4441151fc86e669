"""`studio serve`: serve a published folder over HTTP, and the radio folder to stations.

The application is a Werkzeug WSGI app: Werkzeug's `send_file` does the HTTP
file semantics (HEAD, ETag and If-None-Match -> 304, If-Modified-Since, byte
ranges -> 206, unsatisfiable ranges -> 416) and its URL map routes requests,
so each route is one rule and one handler. It runs on Waitress, a production
WSGI server with no dependencies of its own; no HTTP is parsed here.

Two folders, never mixed:
- the public folder (`--dir`, publish_to) at `/`, to anyone;
- the radio folder (`--radio-dir`, radio_to) at `/radio/` (the pull API), only
  with `Authorization: Bearer <token>` of a configured station (else 401).
  Each WAV sent (200 or 206) is appended to the delivery log, with the bytes
  that went out (counted as the body is handed to the server, so a download
  the station broke off logs what it got, not the file's size).
Each request for a public media file or page (audio, video, HTML: not css, js
or images) is handed, once its answer is closed, to the injected `access_log`
callable as an `Access` (the CLI passes studio.stats.accesslog's writer, which
keeps no raw address; this module writes nothing of it). The client is
REMOTE_ADDR; with `trust_proxy` Waitress puts there the last X-Forwarded-For
address (the one the reverse proxy in front added), for the delivery log too.
Nothing under the radio folder, nor a `radio/` tree an older Studio left in
the public folder, is ever served by the public route.

A Range header that is not one valid byte range (`bytes=abc`, several ranges)
is ignored and the whole file is sent (200), as RFC 9110 allows; a valid range
past the end is still 416.

A folder's address serves its index.html (the listener site's pages); without the
trailing slash it redirects to it, so the pages' relative links resolve.

Only regular files inside a folder are served: paths with `..`, absolute
paths, hidden names (the publish manifest, temporary files) and symlinks that
lead outside the folder all answer 404.

`studio serve --dir public --port 8000` runs it; `--port 0` picks a free port.
The first line on stdout says which URL is served.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import parse_range_header
from werkzeug.routing import Map, Rule
from werkzeug.security import safe_join
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Request, Response

from ..errors import BadInput
from ..httpserver import Limits, create_server
from ..radio import RADIO_DIR, check_bearer, deliveries
from ..workspace.config import Station
from ..workspace.tree import Workspace
from .layout import PAGE_FILE, SITE_CSP, access_logged, max_age, mime_type

Stations = Callable[[], Iterable[Station]]
# A Waitress task thread hands at most this many bytes to a connection ahead of the client (Waitress's
# default is 16 MiB): what the access log counts as sent is then within this much of what the client got.
OUTBUF_HIGH_WATERMARK = 256 * 1024
THREADS = 32  # a download holds its thread while the client reads it (within the watermark above)


@dataclass(frozen=True)
class Access:
    """One answered request for a public media file or page, as the access log's writer gets it. `address` is
    here only for the writer to turn into a listener key: nothing in this module writes it."""

    time: dt.datetime  # when the request came (UTC)
    address: str  # REMOTE_ADDR, or the proxy's X-Forwarded-For address with trust_proxy
    user_agent: str
    method: str
    path: str  # as asked, e.g. /media/kpu/ep.mp3
    status: int
    range: str | None  # the Range header as sent, if any
    sent: int  # body bytes handed to the server (a HEAD, 304 or aborted download: what went out)


AccessLog = Callable[[Access], None]


class StudioApp:
    """WSGI application serving `folder`, and `radio_folder` under /radio/ to the `stations` (asked on every
    radio request); each WAV delivered is appended to the log at `delivery_log`, each public media file or page
    answered is handed to `access_log`."""

    def __init__(self, folder: Path, stations: Stations = tuple, radio_folder: Path | None = None,
                 delivery_log: Path | None = None, access_log: AccessLog | None = None):
        self.folder = Path(folder).resolve()
        self.radio_folder = Path(radio_folder).resolve() if radio_folder is not None else None
        self.stations = stations
        self.delivery_log = delivery_log
        self.access_log = access_log
        self.url_map = Map([
            Rule("/", endpoint="file", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}", endpoint="radio", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}/<path:path>", endpoint="radio"),
            Rule("/<path:path>", endpoint="file"),
        ], merge_slashes=False, strict_slashes=False)
        self.handlers: dict[str, Callable[..., Response]] = {"file": self.file, "radio": self.radio}

    def __call__(self, environ, start_response):
        when = dt.datetime.now(dt.timezone.utc)
        asked_range = environ.get("HTTP_RANGE")
        environ = _without_unusable_range(environ)
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            response = self.handlers[endpoint](request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        hooks = [hook for hook in (getattr(response, "on_sent", None),
                                   self.access_hook(request, response.status_code, when, asked_range)) if hook]
        body = response(environ, start_response)
        return _Counted(body, hooks) if hooks else body

    @staticmethod
    def client(request: Request) -> str:
        """The client's address (behind a trusted proxy Waitress has put the proxy's X-Forwarded-For address
        there), IPv6 without Waitress's brackets."""
        return (request.remote_addr or "").strip("[]")

    def access_hook(self, request: Request, status: int, when: dt.datetime,
                    asked_range: str | None) -> Callable[[int], None] | None:
        """What hands the request to the access log once its body is sent, for public media and pages only."""
        path = request.path
        if self.access_log is None or path.startswith(f"/{RADIO_DIR}/") or not access_logged(path):
            return None
        address, agent, method = self.client(request), request.headers.get("User-Agent", ""), request.method

        def log(sent: int) -> None:
            try:
                self.access_log(Access(time=when, address=address, user_agent=agent, method=method, path=path,
                                       status=status, range=asked_range, sent=sent))
            except OSError as exc:  # the listener still got the file; the server's log says what went wrong
                print(f"warning: cannot write the access log: {exc.strerror or exc}", file=sys.stderr, flush=True)
        return log

    @staticmethod
    def resolve(root: Path, path: str) -> Path:
        """The file `path` names inside `root`, or NotFound."""
        parts = [p for p in path.split("/") if p]
        if not parts or any(p.startswith(".") for p in parts):
            raise NotFound()
        joined = safe_join(str(root), *parts)
        if joined is None:
            raise NotFound()
        try:
            real = Path(joined).resolve(strict=True)
        except (OSError, ValueError, RuntimeError):
            raise NotFound() from None
        if not real.is_relative_to(root) or not real.is_file():
            raise NotFound()
        return real

    def file(self, request: Request, path: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, headers={"Allow": "GET, HEAD"})
        if path == "" or path.endswith("/"):
            path += PAGE_FILE  # the listener site's pages
        elif (not any(p.startswith(".") for p in path.split("/")) and (self.folder / path).is_dir()
              and (self.folder / path / PAGE_FILE).is_file()):
            return redirect(f"/{path}/", code=301)
        real = self.resolve(self.folder, path)
        private = [self.folder / RADIO_DIR] + ([self.radio_folder] if self.radio_folder else [])
        if any(real.is_relative_to(p) for p in private):  # e.g. reached through a symlink: radio is token-only
            raise NotFound()
        response = send_file(real, request.environ, mimetype=mime_type(real.name), conditional=True, etag=True,
                             max_age=max_age(path))
        if response.mimetype == "text/html":  # the listener site's pages
            response.headers["Content-Security-Policy"] = SITE_CSP
        return response

    def radio(self, request: Request, path: str) -> Response:
        """The radio pull API: the manifest and broadcast files, for a station's bearer token only."""
        station = check_bearer(request.headers.get("Authorization"), self.stations())
        if station is None:
            return Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="studio-radio"'})
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, headers={"Allow": "GET, HEAD"})
        if self.radio_folder is None:
            raise NotFound()
        real = self.resolve(self.radio_folder, path)
        response = send_file(real, request.environ, mimetype=mime_type(real.name), conditional=True, etag=True)
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Vary"] = "Authorization"
        if request.method == "GET" and response.status_code in (200, 206) and real.suffix.lower() == ".wav":
            client, status = self.client(request), response.status_code
            response.on_sent = lambda sent: self.log_delivery(station, real, sent, client, status)
        return response

    def log_delivery(self, station: str, real: Path, sent: int, client: str, status: int) -> None:
        if self.delivery_log is None:
            return
        file = real.relative_to(self.radio_folder).as_posix()
        try:
            deliveries.record(self.delivery_log, station, file, sent, client, status)
        except OSError as exc:  # the station still gets its file; the server's log says what went wrong
            print(f"warning: cannot write the delivery log {self.delivery_log}: {exc.strerror or exc}",
                  file=sys.stderr, flush=True)


class _Counted:
    """A response body that counts the bytes the server took, and gives the count to each of `hooks` when the
    server closes it. A chunk counts once the server asks for the next one (it was handed to the connection
    then), so a download the client broke off counts what went out, not the file's size."""

    def __init__(self, body: Iterable[bytes], hooks: list[Callable[[int], None]]):
        self.body = body
        self.chunks: Iterator[bytes] = iter(body)
        self.hooks = hooks
        self.sent = 0
        self.pending = 0

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        self.sent, self.pending = self.sent + self.pending, 0
        chunk = next(self.chunks)
        self.pending = len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            for hook in self.hooks:
                hook(self.sent)


def _without_unusable_range(environ: dict) -> dict:
    """The request without its Range header when that is not one valid byte range (`bytes=abc`, several
    ranges): RFC 9110 lets a server ignore such a Range and send the whole file, rather than 416."""
    value = environ.get("HTTP_RANGE")
    if value is None:
        return environ
    parsed = parse_range_header(value)
    if parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1:
        return environ
    return {k: v for k, v in environ.items() if k != "HTTP_RANGE"}


def published_folder(workspace: Workspace, folder: Path | None = None) -> Path:
    """What `studio serve` serves: `folder` if given, else the workspace's publish_to folder."""
    if folder is not None:
        return Path(folder)
    target = workspace.settings.publish_to
    if "://" in target:
        raise BadInput(f"publish_to is {target}, not a folder: name the folder to serve with --dir")
    return _in_workspace(workspace, target)


def radio_folder(workspace: Workspace, folder: Path | None = None) -> Path | None:
    """What `studio serve` answers under /radio/: `folder` if given, else radio_to when it is a folder."""
    if folder is not None:
        return Path(folder)
    target = workspace.settings.radio_to
    return None if "://" in target else _in_workspace(workspace, target)


def _in_workspace(workspace: Workspace, target: str) -> Path:
    path = Path(target).expanduser()
    return path if path.is_absolute() else workspace.root / path


def make_app(folder: Path, stations: Stations = tuple, radio_folder: Path | None = None,
             delivery_log: Path | None = None, access_log: AccessLog | None = None) -> StudioApp:
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder (publish first: `studio publish --to {folder}`)")
    if radio_folder is not None and Path(radio_folder).exists() and not Path(radio_folder).is_dir():
        raise BadInput(f"--radio-dir {radio_folder} is not a folder")
    return StudioApp(folder, stations, radio_folder, delivery_log, access_log)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8000, stations: Stations = tuple,
          ready: Callable[[str], None] | None = None, radio_folder: Path | None = None,
          delivery_log: Path | None = None, limits: Limits | None = None, access_log: AccessLog | None = None,
          trust_proxy: bool = False) -> None:
    """Serve `folder` (and `radio_folder` under /radio/) until interrupted; `ready` gets the base URL once
    the port is open. `limits` bound slow clients (studio.httpserver); `access_log` gets each public media
    file or page answered; `trust_proxy` takes the client's address from X-Forwarded-For."""
    app = make_app(folder, stations, radio_folder, delivery_log, access_log)
    proxy = {"trusted_proxy": "*", "trusted_proxy_headers": {"x-forwarded-for"}, "trusted_proxy_count": 1}
    try:
        server = create_server(app, host, port, limits, threads=THREADS, ident="studio",
                               outbuf_high_watermark=OUTBUF_HIGH_WATERMARK, **(proxy if trust_proxy else {}))
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown_host = f"[{host}]" if ":" in host else host
    if ready:
        ready(f"http://{shown_host}:{server.effective_port}")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
