"""The users page (admin): add users (a password given, or a one-time one shown once), limit them to shows, reset
a password (a one-time one), remove; the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_login import current_user

from ..errors import BadInput
from ..workspace import audit as audit_mod
from ..workspace import users as users_mod
from .auth import audit, role_required
from .context import say, t, workspace

bp = Blueprint("admin", __name__)


@bp.after_request
def never_cached(response):
    """A new user's one-time password is on this page once: no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(password: str = "", new_user: str = "", status: int = 200, reset: bool = False):
    ws = workspace()
    return render_template("users.html", users=users_mod.list_users(ws), roles=users_mod.ROLES, shows=ws.shows(),
                           password=password, new_user=new_user, reset=reset, entries=audit_mod.read(ws, 100)), status


@bp.route("/users")
@role_required("admin")
def index():
    return _page()


def _add_refused(name: str, password: str | None) -> str:
    """The page's words for a user that cannot be added ("" when the library's own check is left)."""
    if not users_mod.NAME_RE.match(name):
        return t("users.error.name")
    if password is not None and len(password) < users_mod.MIN_PASSWORD:
        return t("users.error.password_short")
    if users_mod.get_user(workspace(), name) is not None:
        return t("users.error.exists")
    return ""


@bp.route("/users", methods=["POST"])
@role_required("admin")
def add():
    name = request.form.get("name", "").strip().lower()
    role = request.form.get("role", "")
    password = request.form.get("password", "") or None  # none given: a one-time one is made and shown
    refused = _add_refused(name, password)
    try:
        if refused:
            raise BadInput(refused)
        made = users_mod.add_user(workspace(), name, role, password, shows=request.form.getlist("shows"))
    except BadInput as exc:
        flash(refused or say(exc), "error")
        return _page(status=400)
    audit(current_user.name, "user.add", f"{name} ({role})")
    if password is None:
        return _page(password=made, new_user=name)
    flash(t("users.added").format(name=name))
    return _page()


@bp.route("/users/<name>/password", methods=["POST"])
@role_required("admin")
def reset_password(name: str):
    """A new one-time password for `name`, shown once; every session of theirs ends."""
    try:
        password = users_mod.reset_password(workspace(), name)
    except BadInput:
        flash(t("users.error.gone"), "error")
        return _page(status=404)
    audit(current_user.name, "user.password", name)
    return _page(password=password, new_user=name, reset=True)


@bp.route("/users/<name>/shows", methods=["POST"])
@role_required("admin")
def set_shows(name: str):
    """Limit user `name` to the shows ticked (none ticked: every show)."""
    try:
        limited = users_mod.set_shows(workspace(), name, request.form.getlist("shows"))
    except BadInput as exc:
        flash(say(exc), "error")
        return _page(status=400)
    audit(current_user.name, "user.shows", f"{name}: {', '.join(limited) or '*'}")
    flash(t("access.shows_saved"))
    return _page()


@bp.route("/users/<name>/remove", methods=["POST"])
@role_required("admin")
def remove(name: str):
    if name == current_user.name:
        flash(t("users.error.self"), "error")
        return _page(status=400)
    try:
        users_mod.remove_user(workspace(), name)
    except BadInput:
        flash(t("users.error.gone"), "error")
        return _page(status=404)
    audit(current_user.name, "user.remove", name)
    flash(t("users.removed"))
    return _page()
