"""The episode page's review forms (`/episodes/<show>/<episode>/chapters`, `.../transcript/reviewed`): the
chapters, edited (titles and start times) and saved as the producer's, and the "Transkrip sudah diperiksa"
mark. Views parse and call studio.review.chapters; htmx requests get the section back, the same forms work
without JavaScript (a redirect back to the page, the message flashed)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...errors import StudioError
from ...localtime import format_local
from ...review import chapters as review
from ...review.edits import StaleEdit
from ...workspace import Episode
from ...workspace.config import time_zone
from ..auth import audit, role_required
from ..context import lang, t, workspace
from . import filters, load_episode

bp = Blueprint("review", __name__, template_folder="templates")


def chapter_message(exc: StudioError, episode: Episode) -> str:
    if isinstance(exc, review.ChapterError):
        value = request.form.getlist("start")[exc.row - 1] if exc.row <= len(request.form.getlist("start")) else ""
        return t(f"review.chapters.error.{exc.kind}").format(n=exc.row, value=value,
                                                              end=filters.clock(episode.duration))
    if isinstance(exc, StaleEdit):
        return t("edit.stale")
    return str(exc)


def reviewed_line(episode: Episode) -> str:
    """ "Transkrip diperiksa oleh prod, Senin, 7 Desember 2026 pukul 08.00 WITA." or "" """
    if not episode.transcript_reviewed_at:
        return ""
    when = dt.datetime.fromisoformat(episode.transcript_reviewed_at)
    zone = time_zone(workspace().show(episode.show).timezone)
    return t("review.reviewed.done").format(who=episode.transcript_reviewed_by, when=format_local(when, zone, lang()))


def _section(episode: Episode, **context) -> str:
    return render_template("episode/_chapters.html", episode=episode,
                           chapters=review.shown_chapters(workspace(), episode), **context)


@bp.post("/chapters")
@role_required("producer")
def save_chapters(episode_id: str):
    episode = load_episode(episode_id)
    rows = list(zip(request.form.getlist("start"), request.form.getlist("title")))
    htmx = request.headers.get("HX-Request") == "true"
    try:
        review.save_chapters(workspace(), episode.id, rows, based_on=request.form.get("based_on", ""))
    except StudioError as exc:
        if htmx:  # the producer's rows stay in the form
            return _section(episode, rows=rows, error=chapter_message(exc, episode))
        flash(chapter_message(exc, episode), "error")
        return redirect(url_for("episode.page", episode_id=episode.id) + "#chapters")
    audit(current_user.name, "chapters.edit", episode.id)
    if htmx:
        return _section(workspace().episode(episode.id), saved=True)
    flash(t("review.chapters.saved"), "success")
    return redirect(url_for("episode.page", episode_id=episode.id) + "#chapters")


@bp.post("/transcript/reviewed")
@role_required("producer")
def transcript_reviewed(episode_id: str):
    episode = load_episode(episode_id)
    try:
        episode = review.mark_transcript_reviewed(workspace(), episode.id, current_user.name)
    except StudioError as exc:
        flash(str(exc) if not isinstance(exc, StaleEdit) else t("edit.stale"), "error")
        return redirect(url_for("episode.page", episode_id=episode.id) + "#transcript-review")
    audit(current_user.name, "transcript.reviewed", episode.id)
    if request.headers.get("HX-Request") == "true":
        return render_template("episode/_reviewed.html", episode=episode, reviewed=reviewed_line(episode), saved=True)
    flash(t("review.reviewed.saved"), "success")
    return redirect(url_for("episode.page", episode_id=episode.id) + "#transcript-review")
