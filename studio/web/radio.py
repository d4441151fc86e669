"""The radio page (scheduler): broadcast files with air windows, loudness and cue points, each one to listen to and
download (`/radio/listen/<episode>`, Range answered), deliveries, station tokens (shown once, with a copy button and
the station's `studio radio pull` command), each push station's settings for its side and its deliveries with their
state and a "push again" button (a push job), and the off-air recordings (the ones coming up, the recent ones with
their state and episode). An air window edited on the episode page reaches what stations read at once
(air_window_edited)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, send_file
from flask_login import current_user

from ..errors import BadInput
from ..fsutil import read_json
from ..jobs.job import BrokerAway
from ..radio import deliveries as deliveries_mod
from ..radio import manifest as manifest_mod
from ..radio import page as page_mod
from ..radio import stations as stations_mod
from ..radio.push import run as push_mod
from ..radio.record import listing as rec_listing
from .auth import audit, can_see, role_required, sees_every_show
from .context import job_queue, say, t, workspace

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
    files = [page_mod.broadcast_file(ws, f) for f in radio_files(ws)
             if can_see(str(f.get("show", "")))]  # a scheduler's shows only
    deliveries = [d for d in reversed(deliveries_mod.read(deliveries_mod.log_path(ws)))
                  if can_see(d.file.split("/")[0])][:200]
    every = stations_mod.list_stations(ws)
    return render_template("radio.html", files=files, deliveries=deliveries,
                           stations=[s for s in every if not s.pushes], pushes=push_rows(ws, every), token=token,
                           new_station=new_station, manage_stations=sees_every_show(),
                           pull_command=page_mod.pull_command(ws.settings.base_url, new_station, token) if token else "",
                           side=page_mod,
                           recordings=rec_listing.listing(ws, shows=can_see), rec=rec_listing,
                           show_titles={slug: show.title for slug, show in ws.shows().items()}), status


def push_rows(ws, stations) -> list[tuple[object, list]]:
    """Each push station with its items (of the scheduler's shows) and where each stands."""
    pushing = [s for s in stations if s.pushes]
    if not pushing:
        return []
    items = push_mod.broadcast_items(ws)
    return [(station, [row for row in push_mod.station_items(ws, station, items)
                       if can_see(row.episode.split("/")[0])]) for station in pushing]


@bp.route("/radio")
@role_required("scheduler")
def index():
    return _page()


@bp.route("/radio/listen/<path:episode_id>")
@role_required("scheduler")
def listen(episode_id: str):
    """An episode's broadcast WAV as stations get it, to play in the page (Range requests answered) or, with
    ?download=1, to save."""
    ws = workspace()
    entry = next((f for f in radio_files(ws) if f.get("episode") == episode_id), None)
    if entry is None or not can_see(str(entry.get("show", ""))):
        abort(404)
    path = page_mod.broadcast_path(ws, entry)
    if path is None:
        abort(404)
    name = str(entry.get("path") or path.name).replace("/", "--")
    return send_file(path, mimetype="audio/wav", conditional=True, as_attachment=bool(request.args.get("download")),
                     download_name=name, max_age=0)


def air_window_edited(episode) -> None:
    """An episode's air window was edited: its entry in the published manifest is rewritten now, and the push
    stations are given the new window by a push job (stations read it now, not at the next publish)."""
    ws = workspace()
    manifest_mod.refresh_air_window(ws, episode)
    queue = job_queue()
    if queue is not None and any(s.pushes for s in ws.settings.stations):
        try:
            queue.enqueue("push", episode=None, params={})
        except BrokerAway:
            flash(t("radio.push.not_queued"), "error")


@bp.route("/radio/stations", methods=["POST"])
@role_required("scheduler")
def add_station():
    if not sees_every_show():  # a station's token reads every show's radio files
        abort(403)
    name = request.form.get("name", "").strip()
    try:
        token = stations_mod.add_station(workspace(), name)
    except BadInput as exc:
        flash(say(exc), "error")
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
        flash(say(exc), "error")
        return _page(status=404)
    audit(current_user.name, "station.revoke", name)
    flash(t("radio.revoked"))
    return _page()


@bp.route("/radio/stations/<name>/push", methods=["POST"])
@role_required("scheduler")
def push_again(name: str):
    """Queue a push to station `name` (every current item: a push goes out for every show at once)."""
    if not sees_every_show():
        abort(403)
    ws = workspace()
    if not any(s.name == name and s.pushes for s in ws.settings.stations):
        abort(404)
    try:
        job = job_queue().enqueue("push", episode=None, params={"station": name})
    except BrokerAway:
        flash(t("radio.push.not_queued"), "error")
        return _page(status=503)
    audit(current_user.name, "station.push", f"{name} {job.id}")
    flash(t("radio.push.queued"))
    return _page()
