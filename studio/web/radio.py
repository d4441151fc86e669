"""The radio page (scheduler): broadcast files with air windows and loudness, deliveries, station tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user

from ..errors import BadInput
from ..fsutil import read_json
from ..radio import deliveries as deliveries_mod
from ..radio import manifest as manifest_mod
from ..radio import stations as stations_mod
from .auth import audit, can_see, role_required, sees_every_show
from .context import t, workspace

bp = Blueprint("radio", __name__)


@bp.after_request
def never_cached(response):
    """A new station's token is on this page once: no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def radio_files(ws) -> list[dict]:
    """The broadcast files as the radio target's manifest lists them (what stations can pull); built from the
    workspace when the target is not a folder here or has not been published yet."""
    target = ws.settings.radio_to
    if "://" not in target:
        published = read_json((ws.root / target / manifest_mod.MANIFEST_NAME), default=None)
        if isinstance(published, dict) and isinstance(published.get("files"), list):
            return published["files"]
    return manifest_mod.build_manifest(ws)["files"]


def _page(token: str = "", new_station: str = "", status: int = 200):
    ws = workspace()
    files = [f for f in radio_files(ws) if can_see(str(f.get("show", "")))]  # a scheduler's shows only
    deliveries = [d for d in reversed(deliveries_mod.read(deliveries_mod.log_path(ws)))
                  if can_see(d.file.split("/")[0])][:200]
    return render_template("radio.html", files=files, deliveries=deliveries,
                           stations=stations_mod.list_stations(ws), token=token, new_station=new_station,
                           manage_stations=sees_every_show()), status


@bp.route("/radio")
@role_required("scheduler")
def index():
    return _page()


@bp.route("/radio/stations", methods=["POST"])
@role_required("scheduler")
def add_station():
    if not sees_every_show():  # a station's token reads every show's radio files
        abort(403)
    name = request.form.get("name", "").strip()
    try:
        token = stations_mod.add_station(workspace(), name)
    except BadInput as exc:
        flash(str(exc), "error")
        return _page(status=400)
    audit(current_user.name, "station.add", name)
    return _page(token=token, new_station=name)


@bp.route("/radio/stations/<name>/revoke", methods=["POST"])
@role_required("scheduler")
def revoke_station(name: str):
    if not sees_every_show():
        abort(403)
    try:
        stations_mod.remove_station(workspace(), name)
    except BadInput as exc:
        flash(str(exc), "error")
        return _page(status=404)
    audit(current_user.name, "station.revoke", name)
    flash(t("radio.revoked"))
    return _page()
