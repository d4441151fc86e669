"""`studio web`: the producer web app (DESIGN.md, "Web app").

A Flask app over the same library the CLI calls: each blueprint only reads forms and calls
studio.* functions or enqueues a job. `create_app` builds a new app per call; nothing lives at
module level, so tests make as many apps (workspaces) as they like.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import fields
from pathlib import Path

from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from ..httpserver import Limits, create_server
from ..workspace import users
from ..workspace.config import Settings, with_changes
from ..workspace.layout import WEB_SECRET_FILE
from ..workspace.tree import Workspace
from .context import say_line
from .strings import LANGS, STRINGS, translate

MAX_UPLOAD_BYTES = 4 * 1024**3
# No inline script or style anywhere; media and waveform data come from this site only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
LOGIN_RATE = "30 per minute"  # per client address, besides the per-name lockout in studio.workspace.users


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (directly or via a trusted proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def _secret_key(workspace: Workspace) -> str:
    """The workspace's signing key, made once: sessions survive a restart of `studio web`."""
    path = workspace.root / WEB_SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


def create_app(workspace: Workspace | Path | str, settings_overrides: dict | None = None) -> Flask:
    """The web app for `workspace`. `settings_overrides`: Settings fields (e.g. {"lang": "en"}) and, in
    upper case, Flask config keys (e.g. {"TESTING": True})."""
    workspace = workspace if isinstance(workspace, Workspace) else Workspace(Path(workspace))
    overrides = dict(settings_overrides or {})
    settings_names = {f.name for f in fields(Settings)}
    settings = with_changes(workspace.settings, **{k: v for k, v in overrides.items() if k in settings_names})
    lang = settings.lang if settings.lang in LANGS else "id"

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(workspace),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,  # set per request by SessionInterface
        SESSION_COOKIE_NAME="studio_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=64 * 1024**2,  # one form or upload chunk; whole recordings come in chunks
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        STUDIO_UPLOAD_LIMIT=MAX_UPLOAD_BYTES,
        STUDIO_UPLOAD_CHUNK=8 * 1024**2,  # bytes upload.js sends per PATCH
        STUDIO_PAGE_SIZE=50,
        STUDIO_INDEX_MAX_AGE=2.0,  # seconds the episodes list may lag changes made outside the app
        STUDIO_CLOCK=time.time,  # what old uploads are measured against (tests move it)
    )
    app.config.update({k: v for k, v in overrides.items() if k not in settings_names})
    app.session_interface = SessionInterface()
    app.extensions["studio"] = {"workspace": workspace, "settings": settings, "lang": lang,
                                "login_failures": users.LoginFailures()}

    CSRFProtect(app)
    limiter = Limiter(get_remote_address, app=app)

    from . import account, admin, auth, basics, episodes, jobs, progress, radio, settings, stats, timefmt, upload
    from .episode import bp as episode_bp
    from .episode.review import bp as review_bp

    auth.init_login(app)
    limiter.limit(LOGIN_RATE, methods=["POST"])(auth.bp)
    blueprints = (  # one a line, so that each area adds its own
        auth.bp,
        episodes.bp,
        upload.bp,
        jobs.bp,
        radio.bp,
        stats.bp,
        admin.bp,
        settings.bp,
        account.bp,
        progress.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(episode_bp, url_prefix="/episodes/<path:episode_id>")
    app.register_blueprint(review_bp, url_prefix="/episodes/<path:episode_id>")
    app.register_blueprint(basics.bp, url_prefix="/episodes/<path:episode_id>")  # the episode basics (issue 28)
    upload.clean_at_start(app)
    timefmt.register(app)  # |localtime, |localdate: times as people say them

    @app.context_processor
    def globals_for_templates() -> dict:
        return {"t": lambda key: translate(lang, key), "lang": lang, "csrf_token": generate_csrf,
                "user": current_user, "say_line": say_line,
                "stage_name": stage_name}

    def stage_name(stage: str) -> str:
        """A job's stage as the page names it (the stage's own word where none is known)."""
        key = f"episode.stage.{stage}"
        return translate(lang, key) if key in STRINGS["id"] else stage

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    def error_page(status: int, key: str):
        def handler(_error):
            if request.headers.get("HX-Request") or request.accept_mimetypes.best == "application/json":
                return {"error": translate(lang, key)}, status
            return render_template("error.html", message=translate(lang, key), status=status), status
        return handler

    app.register_error_handler(403, error_page(403, "error.forbidden"))
    app.register_error_handler(404, error_page(404, "error.not_found"))
    app.register_error_handler(429, error_page(429, "error.too_many"))
    app.register_error_handler(CSRFError, error_page(400, "error.csrf"))
    for status, key in ((400, "error.bad_request"), (405, "error.method"), (413, "error.too_large"),
                        (500, "error.server"), (503, "error.unavailable")):  # never the framework's English page
        app.register_error_handler(status, error_page(status, key))
    return app


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8080, threads: int = 8,
          trusted_proxy: str | None = None, ready=None, limits: Limits | None = None) -> None:
    """Serve `app` with Waitress until interrupted, `limits` bounding slow clients (studio.httpserver). Behind an
    HTTPS proxy name it in `trusted_proxy`, so X-Forwarded-Proto makes cookies Secure."""
    # An upload chunk (8 MB from upload.js) stays in memory instead of going through a temporary file first.
    options = {"threads": threads, "max_request_body_size": 80 * 1024**2, "channel_timeout": 300,
               "inbuf_overflow": 16 * 1024**2, "recv_bytes": 256 * 1024, "ident": "studio"}
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_headers={"x-forwarded-proto", "x-forwarded-for"})
    server = create_server(app, host, port, limits, **options)
    if ready:
        ready(f"http://{server.effective_host}:{server.effective_port}")
    server.run()
