"""`studio serve`: serve a published folder over HTTP.

The application is a Werkzeug WSGI app: Werkzeug's `send_file` does the HTTP
file semantics (HEAD, ETag and If-None-Match -> 304, If-Modified-Since, byte
ranges -> 206, unsatisfiable ranges -> 416) and its URL map routes requests,
so more routes (the radio pull API under /radio/, which checks a station's
bearer token against `stations`) are one rule and one handler each. It runs
on Waitress, a production WSGI server with no dependencies of its own; no
HTTP is parsed here.

Only regular files inside the folder are served: paths with `..`, absolute
paths, hidden names (the publish manifest, temporary files) and symlinks that
lead outside the folder all answer 404.

`studio serve --dir public --port 8000` runs it; `--port 0` picks a free port.
The first line on stdout says which URL is served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from .config import Station
from .errors import BadInput
from . import radio
from .feeds import mime_type
from .radio import RADIO_DIR
from .workspace import Workspace

FEED_MAX_AGE = 300
MEDIA_MAX_AGE = 86400
TEXT_MAX_AGE = 3600


Stations = Callable[[], Iterable[Station]]


class StudioApp:
    """WSGI application serving `folder`; `stations` (asked on every radio request) guard /radio/."""

    def __init__(self, folder: Path, stations: Stations = tuple):
        self.folder = Path(folder).resolve()
        self.stations = stations
        self.url_map = Map([
            Rule("/", endpoint="file", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}", endpoint="radio", defaults={"path": ""}),
            Rule(f"/{RADIO_DIR}/<path:path>", endpoint="radio"),
            Rule("/<path:path>", endpoint="file"),
        ], merge_slashes=False, strict_slashes=False)
        self.handlers: dict[str, Callable[..., Response]] = {"file": self.file, "radio": self.radio}

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            response = self.handlers[endpoint](request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def resolve(self, path: str) -> Path:
        """The file `path` names inside the folder, or NotFound."""
        parts = [p for p in path.split("/") if p]
        if not parts or any(p.startswith(".") for p in parts):
            raise NotFound()
        joined = safe_join(str(self.folder), *parts)
        if joined is None:
            raise NotFound()
        try:
            real = Path(joined).resolve(strict=True)
        except (OSError, ValueError, RuntimeError):
            raise NotFound() from None
        if not real.is_relative_to(self.folder) or not real.is_file():
            raise NotFound()
        return real

    def file(self, request: Request, path: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, headers={"Allow": "GET, HEAD"})
        real = self.resolve(path)
        if real.is_relative_to(self.folder / RADIO_DIR):  # e.g. reached through a symlink: radio is token-only
            raise NotFound()
        return send_file(real, request.environ, mimetype=mime_type(real.name), conditional=True, etag=True,
                         max_age=_max_age(path))

    def radio(self, request: Request, path: str) -> Response:
        """The radio pull API: the manifest and broadcast files, for a station's bearer token only."""
        if radio.check_bearer(request.headers.get("Authorization"), self.stations()) is None:
            return Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="studio-radio"'})
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, headers={"Allow": "GET, HEAD"})
        real = self.resolve(f"{RADIO_DIR}/{path}")
        response = send_file(real, request.environ, mimetype=mime_type(real.name), conditional=True, etag=True)
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Vary"] = "Authorization"
        return response


def _max_age(path: str) -> int:
    if path.endswith((".xml", ".opml")):
        return FEED_MAX_AGE
    if path.startswith(("transcripts/", "chapters/")):
        return TEXT_MAX_AGE
    return MEDIA_MAX_AGE


def published_folder(workspace: Workspace, folder: Path | None = None) -> Path:
    """What `studio serve` serves: `folder` if given, else the workspace's publish_to folder."""
    if folder is not None:
        return Path(folder)
    target = workspace.settings.publish_to
    if "://" in target:
        raise BadInput(f"publish_to is {target}, not a folder: name the folder to serve with --dir")
    path = Path(target).expanduser()
    return path if path.is_absolute() else workspace.root / path


def make_app(folder: Path, stations: Stations = tuple) -> StudioApp:
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder (publish first: `studio publish --to {folder}`)")
    return StudioApp(folder, stations)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8000, stations: Stations = tuple,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve `folder` until interrupted; `ready` gets the base URL once the port is open."""
    import waitress

    app = make_app(folder, stations)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=8, ident="studio")
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
