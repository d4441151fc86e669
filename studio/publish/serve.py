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
  Each WAV sent (200 or 206) is appended to the delivery log.
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

import sys
from pathlib import Path
from typing import Callable, Iterable

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
from .layout import PAGE_FILE, SITE_CSP, max_age, mime_type

Stations = Callable[[], Iterable[Station]]


class StudioApp:
    """WSGI application serving `folder`, and `radio_folder` under /radio/ to the `stations` (asked on every
    radio request); each WAV delivered is appended to the log at `delivery_log`."""

    def __init__(self, folder: Path, stations: Stations = tuple, radio_folder: Path | None = None,
                 delivery_log: Path | None = None):
        self.folder = Path(folder).resolve()
        self.radio_folder = Path(radio_folder).resolve() if radio_folder is not None else None
        self.stations = stations
        self.delivery_log = delivery_log
        self.url_map = Map([
            Rule("/", endpoint="file", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}", endpoint="radio", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}/<path:path>", endpoint="radio"),
            Rule("/<path:path>", endpoint="file"),
        ], merge_slashes=False, strict_slashes=False)
        self.handlers: dict[str, Callable[..., Response]] = {"file": self.file, "radio": self.radio}

    def __call__(self, environ, start_response):
        environ = _without_unusable_range(environ)
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            response = self.handlers[endpoint](request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

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
            self.log_delivery(station, real, response.content_length or 0, request.remote_addr or "",
                              response.status_code)
        return response

    def log_delivery(self, station: str, real: Path, size: int, client: str, status: int) -> None:
        if self.delivery_log is None:
            return
        file = real.relative_to(self.radio_folder).as_posix()
        try:
            deliveries.record(self.delivery_log, station, file, size, client, status)
        except OSError as exc:  # the station still gets its file; the server's log says what went wrong
            print(f"warning: cannot write the delivery log {self.delivery_log}: {exc.strerror or exc}",
                  file=sys.stderr, flush=True)


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
             delivery_log: Path | None = None) -> StudioApp:
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder (publish first: `studio publish --to {folder}`)")
    if radio_folder is not None and Path(radio_folder).exists() and not Path(radio_folder).is_dir():
        raise BadInput(f"--radio-dir {radio_folder} is not a folder")
    return StudioApp(folder, stations, radio_folder, delivery_log)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8000, stations: Stations = tuple,
          ready: Callable[[str], None] | None = None, radio_folder: Path | None = None,
          delivery_log: Path | None = None, limits: Limits | None = None) -> None:
    """Serve `folder` (and `radio_folder` under /radio/) until interrupted; `ready` gets the base URL once
    the port is open. `limits` bound slow clients (studio.httpserver)."""
    app = make_app(folder, stations, radio_folder, delivery_log)
    try:
        server = create_server(app, host, port, limits, threads=8, ident="studio")
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
