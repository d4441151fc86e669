"""The episode page's clip list (`/episodes/<show>/<episode>/highlights...`): a highlight queued as a clip job,
the job followed, and every clip renamed, kept from publishing or removed (studio.review.edits). The same
forms work without JavaScript (a redirect back to the page, the message flashed)."""

from __future__ import annotations

import re

from flask import Response, abort, flash, render_template, request

from ...errors import StudioError
from ...pipeline import CLIP_FORMATS
from ...review import edits
from ...review.page import episode_page
from ...text.highlights import validate_range
from ...workspace import Episode
from ..auth import role_required
from ..context import job_queue, t, workspace
from . import PageInput, _audit, _back, _enqueue, _float, _follow_up, _is_htmx, _message, bp, load_episode

JOB_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")


def _clips(episode: Episode) -> list[dict]:
    """The highlights the clips are made from, each with its rendered clip files (when current)."""
    return episode_page(workspace(), episode).clips()


@bp.post("/highlights")
@role_required("producer")
def add_highlight(episode_id: str):
    episode = load_episode(episode_id)
    formats = [f for f in request.form.getlist("formats") if f in CLIP_FORMATS]
    try:
        start, end = _float("start"), _float("end")
        if start is None or end is None:
            raise PageInput(t("episode.highlights.need_range"))
        if not formats:
            raise PageInput(t("episode.highlights.need_format"))
        validate_range(start, end, episode.duration)
        title = request.form.get("title", "").strip()
        job = _enqueue("clip", episode, {"start": round(start, 3), "end": round(end, 3), "title": title,
                                         "formats": formats})
    except StudioError as exc:
        if _is_htmx():
            return render_template("episode/_job.html", episode=episode, job=None, error=_message(exc))
        flash(_message(exc), "error")
        return _back(episode, "highlights")
    _audit("highlight.render", episode)
    if _is_htmx():
        return render_template("episode/_job.html", episode=episode, job=job)
    flash(t("episode.highlights.queued"), "success")
    return _back(episode, "highlights")


@bp.get("/jobs/<job_id>")
@role_required("producer")
def job_status(episode_id: str, job_id: str):
    episode = load_episode(episode_id)
    queue = job_queue()
    job = queue.get(job_id) if queue is not None and JOB_ID_RE.match(job_id) else None
    if job is None or job.episode != episode.id:
        abort(404)
    clips = _clips(episode) if job.state == "done" else None
    return render_template("episode/_job.html", episode=episode, job=job, clips=clips)


def _change_highlight(episode_id: str, action: str, change, done_key: str, remake: bool) -> Response | str:
    """One change to the clip list (edits.remove_highlight, rename_highlight, publish_highlight): the list again
    (htmx) or the page, with what happened; `remake`: the clips are made again (the title is in the picture)."""
    episode = load_episode(episode_id)
    try:
        saved = change(episode, request.form.get("based_on", ""))
    except StudioError as exc:
        if _is_htmx():
            return render_template("episode/_clips.html", episode=episode, clips=_clips(episode), error=_message(exc))
        flash(_message(exc), "error")
        return _back(episode, "highlights")
    _audit(action, saved)
    if remake:
        _follow_up("clips", saved)
    if _is_htmx():
        return render_template("episode/_clips.html", episode=saved, clips=_clips(saved), oob=False,
                               done=t(done_key))
    flash(t(done_key), "success")
    return _back(saved, "highlights")


@bp.post("/highlights/<int:index>/remove")
@role_required("producer")
def remove_highlight(episode_id: str, index: int):
    return _change_highlight(episode_id, "highlight.remove", lambda episode, based_on: edits.remove_highlight(
        workspace(), episode.id, index, based_on=based_on), "episode.highlights.removed", remake=True)


@bp.post("/highlights/<int:index>/title")
@role_required("producer")
def rename_highlight(episode_id: str, index: int):
    title = request.form.get("title", "")
    return _change_highlight(episode_id, "highlight.rename", lambda episode, based_on: edits.rename_highlight(
        workspace(), episode.id, index, title, based_on=based_on), "episode.highlights.renamed", remake=True)


@bp.post("/highlights/<int:index>/publish")
@role_required("producer")
def publish_highlight(episode_id: str, index: int):
    publish = request.form.get("publish") == "1"
    return _change_highlight(episode_id, "highlight.publish" if publish else "highlight.unpublish",
                             lambda episode, based_on: edits.publish_highlight(
                                 workspace(), episode.id, index, publish, based_on=based_on),
                             "episode.highlights.published" if publish else "episode.highlights.unpublished",
                             remake=False)
