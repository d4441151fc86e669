"""One's own account: every signed-in user changes their own password (the current one, the new one twice).
Every other session of theirs ends (the session version of studio.workspace.users); this one stays signed in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from ..workspace import users as users_mod
from .auth import WebUser, audit, role_required
from .context import t, workspace

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template("account_password.html", errors=errors or {}), status


@bp.route("/password")
@role_required(*users_mod.ROLES)
def password():
    return _page()


@bp.route("/password", methods=["POST"])
@role_required(*users_mod.ROLES)
def change_password():
    current, new, again = (request.form.get(k, "") for k in ("current", "new", "again"))
    if len(new) < users_mod.MIN_PASSWORD:
        return _page({"new": t("users.error.password_short")}, 400)
    if new != again:
        return _page({"again": t("password.error.mismatch")}, 400)
    try:
        changed = users_mod.change_password(workspace(), current_user.name, current, new)
    except users_mod.WrongPassword:
        audit(current_user.name, "password.wrong")
        return _page({"current": t("password.error.current")}, 400)
    login_user(WebUser(changed))  # this session carries the new session version; every other one has ended
    audit(changed.name, "password.change")
    flash(t("password.changed"))
    return redirect(url_for("account.password"))
