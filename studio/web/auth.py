"""Signing in and out, the role check every page uses, and the audit log of the web app."""

from __future__ import annotations

import functools
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ..workspace import audit as audit_mod
from ..workspace import users as users_mod
from .context import t, workspace

bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    def __init__(self, user: users_mod.User):
        self.name = user.name
        self.role = user.role

    def get_id(self) -> str:
        return self.name


def init_login(app) -> LoginManager:
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(name: str) -> WebUser | None:
        found = users_mod.get_user(workspace(), name)
        return WebUser(found) if found else None

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
                from flask import current_app

                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = roles  # tests list every route's roles
        return wrapped

    return decorate


def audit(user: str, action: str, target: str = "") -> None:
    """Append who did what to which episode (or user, station) to the workspace's audit log."""
    audit_mod.record(workspace(), user, action, target)


def home_for(role: str) -> str:
    return {"producer": "episodes.index", "scheduler": "radio.index", "admin": "admin.index"}[role]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or http://...) is followed after signing in."""
    if not target:
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
            found = users_mod.authenticate(workspace(), name, password)
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
        audit(current_user.name, "logout")
    logout_user()
    flash(t("logout.done"))
    return redirect(url_for("auth.login"))
