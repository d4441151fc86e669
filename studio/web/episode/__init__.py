"""The episode page (`/episodes/<show>/<episode>`): a placeholder h-webb replaces with the waveform player,
loudness report, transcript editor and highlights."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ... import approval as approval_mod
from ...errors import BadInput
from ..auth import role_required
from ..context import workspace

bp = Blueprint("episode", __name__, template_folder="templates")


def load_episode(episode_id: str):
    """The episode named in the URL, or 404 (an id is show/slug; nothing outside episodes/ can be named)."""
    parts = episode_id.split("/")
    if len(parts) != 2 or any(not p or p.startswith(".") or "\\" in p for p in parts):
        abort(404)
    try:
        return workspace().episode(episode_id)
    except BadInput:
        abort(404)


@bp.route("/")
@role_required("producer")
def page(episode_id: str):
    episode = load_episode(episode_id)
    ws = workspace()
    return render_template("episode/page.html", episode=episode, show=ws.show(episode.show),
                           approval=approval_mod.read_approval(ws, episode.id))
