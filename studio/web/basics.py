"""The episode basics on the episode page (issue 28 item 6): the publish time, season, number and type, the
episode's own artwork, unpublish (with a confirmation box) and restore. Forms post here and come back to the
page (`#basics`) with the outcome flashed; the library is studio.review.basics. After a change, a producer who
may publish every show gets a publish queued (the feed and the site follow); others are told to publish."""

from __future__ import annotations

import contextlib
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_login import current_user

from ..errors import BadInput, StudioError
from ..jobs.job import BrokerAway
from ..review import basics, edits
from ..workspace import Episode
from .auth import audit, role_required, sees_every_show
from .context import job_queue, lang, t, workspace
from .episode import load_episode

bp = Blueprint("basics", __name__)

ARTWORK_FILES = {"artwork.jpg": "image/jpeg", "artwork.png": "image/png"}


@bp.app_template_global("episode_basics")
def basics_for_page(episode: Episode, show) -> basics.BasicsView:
    """What the episode page's basics section shows (its template calls this)."""
    return basics.basics_view(episode, show.timezone, lang())


def _back(episode: Episode):
    return redirect(url_for("episode.page", episode_id=episode.id) + "#basics")


def _publish_follows() -> None:
    """Queue a publish when this producer may publish every show; else say how to apply the change."""
    queue = job_queue()
    if queue is not None and sees_every_show():
        with contextlib.suppress(BrokerAway):
            job = queue.enqueue("publish", episode=None, params={})
            audit(current_user.name, "publish", job.id)
            flash(t("basics.publish_queued"), "success")
            return
    flash(t("basics.publish_yourself"), "success")


def _error(exc: StudioError) -> str:
    """The one line a page shows for a refused change (never a path: the library's words are the CLI's)."""
    if isinstance(exc, edits.StaleEdit):
        return t("edit.stale")
    text = str(exc)
    if "publish time" in text:
        return t("basics.error.time")
    if "episode type" in text:
        return t("basics.error.type")
    if "season" in text or "episode number" in text:
        return t("basics.error.number")
    return t("basics.artwork_bad")


@bp.post("/basics")
@role_required("producer")
def save(episode_id: str):
    episode = load_episode(episode_id)
    form = request.form
    try:
        saved = basics.update_basics(workspace(), episode.id, basics.Basics(
            publish_at=form.get("publish_at", ""), season=form.get("season", ""), number=form.get("number", ""),
            episode_type=form.get("episode_type", "")), based_on=form.get("based_on", ""))
    except StudioError as exc:
        flash(_error(exc), "error")
        return _back(episode)
    audit(current_user.name, "episode.basics", saved.id)
    flash(t("basics.saved"), "success")
    if (saved.publish_at, saved.season, saved.number, saved.episode_type) != (
            episode.publish_at, episode.season, episode.number, episode.episode_type):
        _publish_follows()
    return _back(saved)


@bp.post("/basics/artwork")
@role_required("producer")
def upload_artwork(episode_id: str):
    episode = load_episode(episode_id)
    sent = request.files.get("artwork")
    if sent is None or not sent.filename:
        flash(t("basics.artwork_none"), "error")
        return _back(episode)
    temp = basics.artwork_upload_path(workspace(), episode.id)
    try:
        sent.save(temp)
        basics.check_not_empty(temp)
        saved = basics.set_artwork(workspace(), episode.id, temp, based_on=request.form.get("based_on", ""))
    except BadInput as exc:
        flash(t("basics.artwork_none") if "no image" in str(exc) else _error(exc), "error")
        return _back(episode)
    finally:
        Path(temp).unlink(missing_ok=True)
    audit(current_user.name, "episode.artwork", saved.id)
    flash(t("basics.artwork_saved"), "success")
    _publish_follows()
    return _back(saved)


def _apply(episode: Episode, change, action: str, done: str):
    """One change of the basics (`change(workspace, episode_id, based_on=...)`): refused in the page's words,
    else audited, said and followed by a publish."""
    try:
        saved = change(workspace(), episode.id, based_on=request.form.get("based_on", ""))
    except StudioError as exc:
        flash(_error(exc), "error")
        return _back(episode)
    audit(current_user.name, action, saved.id)
    flash(t(done), "success")
    _publish_follows()
    return _back(saved)


@bp.post("/basics/artwork/remove")
@role_required("producer")
def remove_artwork(episode_id: str):
    return _apply(load_episode(episode_id), basics.remove_artwork, "episode.artwork.remove", "basics.artwork_removed")


@bp.get("/basics/<name>")
@role_required("producer")
def artwork(episode_id: str, name: str):
    episode = load_episode(episode_id)
    if name not in ARTWORK_FILES or episode.artwork != name:
        abort(404)
    path = workspace().episode_dir(episode.id) / name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=ARTWORK_FILES[name], conditional=True, max_age=0)


@bp.post("/basics/unpublish")
@role_required("producer")
def unpublish(episode_id: str):
    episode = load_episode(episode_id)
    if request.form.get("confirm") != "yes":
        flash(t("basics.unpublish_need_confirm"), "error")
        return _back(episode)
    return _apply(episode, basics.unpublish, "episode.unpublish", "basics.unpublished")


@bp.post("/basics/restore")
@role_required("producer")
def restore(episode_id: str):
    return _apply(load_episode(episode_id), basics.restore, "episode.restore", "basics.restored")
