"""The radio page (scheduler): broadcast files with air windows and loudness, deliveries, station tokens."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_login import current_user

from ..errors import BadInput
from ..fsutil import read_json
from ..radio import deliveries as deliveries_mod
from ..radio import manifest as manifest_mod
from ..radio import stations as stations_mod
from .auth import audit, role_required
from .context import t, workspace

bp = Blueprint("radio", __name__)


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
    files = radio_files(ws)
    deliveries = list(reversed(deliveries_mod.read(deliveries_mod.log_path(ws))))[:200]
    return render_template("radio.html", files=files, deliveries=deliveries,
                           stations=stations_mod.list_stations(ws), token=token, new_station=new_station), status


@bp.route("/radio")
@role_required("scheduler")
def index():
    return _page()


@bp.route("/radio/stations", methods=["POST"])
@role_required("scheduler")
def add_station():
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
    try:
        stations_mod.remove_station(workspace(), name)
    except BadInput as exc:
        flash(str(exc), "error")
        return _page(status=404)
    audit(current_user.name, "station.revoke", name)
    flash(t("radio.revoked"))
    return _page()
