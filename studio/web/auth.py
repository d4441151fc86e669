"""Signing in and out, the role check every page uses, the show check (a user limited to named shows), and
the audit log of the web app.

A session carries the user's session version (studio.workspace.users): the user loader checks it on every
request, so signing out, a new password or removing the user ends every session, copied cookies too."""

from __future__ import annotations

import functools
import logging
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ..errors import BadInput, ResourceError
from ..workspace import audit as audit_mod
from ..workspace import users as users_mod
from .context import t, workspace

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


class WebUser(UserMixin):
    def __init__(self, user: users_mod.User):
        self.user = user
        self.name = user.name
        self.role = user.role

    def get_id(self) -> str:
        return f"{self.name}:{self.user.session}"  # names have no ":"


def init_login(app) -> LoginManager:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(session_id: str) -> WebUser | None:
        name, _, session = session_id.partition(":")
        found = users_mod.get_user(workspace(), name)
        return WebUser(found) if found and users_mod.session_matches(found, session) else None

    @manager.unauthorized_handler
    def unauthorized():
        if request.headers.get("HX-Request"):  # htmx follows no redirect into a fragment: reload the page
            return "", 401, {"HX-Redirect": url_for("auth.login")}
        flash(t("login.required"))
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))

    return manager


def role_required(*roles: str) -> Callable:
    """A view for signed-in users with one of `roles`: others get 403, visitors the sign-in page."""
    for role in roles:
        users_mod.check_role(role)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = roles  # tests list every route's roles
        return wrapped

    return decorate


def can_see(show: str) -> bool:
    """Whether the signed-in user may see and act on `show` (studio.workspace.users.can_access)."""
    return current_user.is_authenticated and users_mod.can_access(current_user.user, show)


def can_see_episode(episode_id: str | None) -> bool:
    """Whether the signed-in user may see work on `episode_id` (show/slug); None is work on the whole
    workspace (a publish), seen by users with no show limit."""
    return can_see(episode_id.split("/")[0]) if episode_id else sees_every_show()


def sees_every_show() -> bool:
    """Whether the signed-in user has no show limit: what concerns the whole workspace (publishing every
    show, station tokens that read every show's radio files) is theirs only."""
    return current_user.is_authenticated and (current_user.role == "admin" or not current_user.user.shows)


def require_show(show: str) -> None:
    """404 unless the signed-in user may see `show`: a show not theirs is not there for them."""
    if not can_see(show):
        abort(404)


def audit(user: str, action: str, target: str = "") -> None:
    """Append who did what to which episode (or user, station) to the workspace's audit log. A full disk
    loses the line (logged as a warning), never the request."""
    try:
        audit_mod.record(workspace(), user, action, target)
    except ResourceError as exc:
        log.warning("audit log not written (%s): %s %s %s", exc, user, action, target)


def home_for(role: str) -> str:
    return {"producer": "episodes.index", "scheduler": "radio.index", "admin": "admin.index"}[role]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or http://..., nor a control character) is followed after
    signing in."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_for(current_user.role)))
    error = ""
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "").strip().lower()
        password = request.form.get("password", "")
        try:
            found = users_mod.authenticate(workspace(), name, password,
                                           failures=current_app.extensions["studio"]["login_failures"])
        except users_mod.LoginLocked:
            found, error, status = None, t("login.locked"), 429
            audit(name, "login.locked")
        else:
            if found is None:
                error, status = t("login.wrong"), 401
                audit(name, "login.failed")
        if found is not None:
            login_user(WebUser(found))
            audit(found.name, "login")
            return redirect(_safe_next(request.args.get("next")) or url_for(home_for(found.role)))
    return render_template("login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        try:
            users_mod.end_sessions(workspace(), current_user.name)  # copies of the cookie stop working too
        except (ResourceError, BadInput) as exc:  # a full disk (or just removed): signed out all the same
            log.warning("sessions of %s not ended (%s)", current_user.name, exc)
        audit(current_user.name, "logout")
    logout_user()
    flash(t("logout.done"))
    return redirect(url_for("auth.login"))
