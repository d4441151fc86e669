"""The episode page's speakers panel (`/episodes/<show>/<episode>/speakers/...`): name a speaker, merge two,
move a line to another speaker, keep a named voice for the show (studio.review.speakers).

htmx requests get the panel back, with the transcript's lines and their version swapped in out of band (the
names changed in them); without JavaScript each form posts and is redirected back to the page.
"""

from __future__ import annotations

from flask import abort, flash, render_template, request

from ...errors import BadInput, StudioError
from ...media.ffmpeg import find_ffmpeg
from ...review import edits
from ...review import speakers as review
from ...workspace.speakers import MAX_NAME_CHARS
from ..auth import role_required
from ..context import t, workspace
from . import _audit, _back, _cues, _is_htmx, bp, load_episode


def panel_for(episode_id: str) -> review.SpeakersPanel | None:
    try:
        return review.speakers_panel(workspace(), episode_id)
    except StudioError:  # an unreadable speakers.json: the page shows no panel rather than failing
        return None


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise BadInput(t("speakers.error.unknown")) from None


def _respond(episode, error: str = "", message: str = ""):
    """The panel (htmx: with the lines and their version out of band), or back to the page."""
    if not _is_htmx():
        if error or message:
            flash(error or message, "error" if error else "success")
        return _back(episode, "speakers")
    cues, vtt_sha = _cues(episode)
    return render_template("episode/_speakers.html", episode=episode, show=workspace().show(episode.show),
                           speakers=panel_for(episode.id), cues=cues,
                           vtt_sha=vtt_sha, error=error, message=message, refresh=not error)


def _run(episode, action: str, call):
    try:
        call()
    except edits.StaleEdit:
        return _respond(episode, error=t("edit.stale"))
    except StudioError:
        return _respond(episode, error=t("speakers.error.failed"))
    _audit(action, episode)
    return _respond(episode, message=t("speakers.saved"))


@bp.post("/speakers/name")
@role_required("producer")
def name_speaker(episode_id: str):
    episode = load_episode(episode_id)
    name = request.form.get("name", "")
    if len(" ".join(name.split())) > MAX_NAME_CHARS:
        return _respond(episode, error=t("speakers.error.name"))
    return _run(episode, "speakers.name", lambda: review.rename_speaker(
        workspace(), find_ffmpeg(), episode.id, _int("speaker"), name, request.form.get("based_on") or None))


@bp.post("/speakers/merge")
@role_required("producer")
def merge_speakers(episode_id: str):
    episode = load_episode(episode_id)
    if request.form.get("speaker") == request.form.get("into"):
        return _respond(episode, error=t("speakers.error.same"))
    return _run(episode, "speakers.merge", lambda: review.merge_speakers(
        workspace(), find_ffmpeg(), episode.id, _int("speaker"), _int("into"), request.form.get("based_on") or None))


@bp.post("/speakers/lines/<int:index>")
@role_required("producer")
def move_line(episode_id: str, index: int):
    episode = load_episode(episode_id)
    return _run(episode, "speakers.move", lambda: review.move_line(
        workspace(), find_ffmpeg(), episode.id, index, _int("speaker"), request.form.get("based_on") or None))


@bp.get("/speakers/lines/<int:index>")
@role_required("producer")
def line_form(episode_id: str, index: int):
    """The form that moves line `index` to another speaker (in place of the line; a page without htmx)."""
    episode = load_episode(episode_id)
    cues, _ = _cues(episode)
    panel = panel_for(episode.id)
    if panel is None or not 0 <= index < len(cues):
        abort(404)
    fragment = render_template("episode/_cue_speaker.html", episode=episode, cue=cues[index], index=index,
                               speakers=panel)
    if _is_htmx():
        return fragment
    return render_template("episode/cue_page.html", episode=episode, editor=fragment, index=index)


@bp.post("/speakers/voice")
@role_required("producer")
def remember_voice(episode_id: str):
    episode = load_episode(episode_id)
    try:
        name = review.remember_voice(workspace(), episode.id, _int("speaker"))
    except StudioError:
        return _respond(episode, error=t("speakers.error.unnamed"))
    _audit("speakers.voice", episode)
    return _respond(episode, message=t("speakers.remembered").format(name=name))


bp.add_app_template_global(panel_for, "speakers_panel")  # the page's panel: page.html asks for it
