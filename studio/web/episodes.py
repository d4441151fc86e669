"""The episodes page: every episode with its state (live while a job runs), filters and paging;
approving (four eyes) and publishing."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import BadInput
from ..jobs.job import BrokerAway
from ..jobs.watch import WATCH_SOURCE
from ..workspace import approval as approval_mod
from ..workspace.index import STATES, EpisodeRow, episode_state
from .auth import audit, can_see, role_required, sees_every_show
from .context import job_queue, say, say_line, t, workspace
from .episode import load_episode
from .jobs import broker_banner

bp = Blueprint("episodes", __name__)

@dataclass
class Listed:
    """An episode row as the page shows it: the index's row and the state its newest job gives it."""

    row: EpisodeRow
    state: str
    progress: float | None = None
    error: str = ""
    job_id: str = ""

    @property
    def active(self) -> bool:
        return self.state in ("queued", "processing")

    @property
    def from_folder(self) -> bool:
        """Ingested from its show's watch folder (jobs.watch): the list's "masuk dari folder" badge."""
        return self.row.episode.get("source") == WATCH_SOURCE


def rows_now() -> list[EpisodeRow]:
    """The index's rows of the shows the signed-in user may see."""
    return [r for r in workspace().index.rows(max_age=current_app.config["STUDIO_INDEX_MAX_AGE"]) if can_see(r.show)]


def newest_jobs(banner: bool = True) -> dict[str, object]:
    """The newest job of each episode among the recent ones (running and queued ones always included); none,
    with the broker-away banner, while the broker does not answer (the episodes come from the index)."""
    queue = job_queue()
    if queue is None:
        return {}
    try:
        recent = [*queue.jobs(state="running"), *queue.jobs(state="queued"), *queue.jobs(limit=500)]
    except BrokerAway:
        if banner:
            broker_banner()
        return {}
    found: dict[str, object] = {}
    for job in recent:
        if job.episode and job.stage != "publish":
            known = found.get(job.episode)
            if known is None or job.created_at > known.created_at:
                found[job.episode] = job
    return found


def listed(row: EpisodeRow, job) -> Listed:
    state = episode_state(row, job.state if job is not None else "")
    error = say_line((job.error if job is not None and job.state == "failed" else "") or row.broken)
    return Listed(row, state, job.progress if state == "processing" else None, error,
                  job.id if job is not None else "")


def page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@bp.route("/")
def root():
    return redirect(url_for("episodes.index"))


@bp.route("/episodes")
@role_required("producer")
def index():
    shows = {slug: s for slug, s in workspace().shows().items() if can_see(slug)}
    show = request.args.get("show", "")
    state = request.args.get("state", "")
    if show and show not in shows:
        show = ""
    if state not in STATES:
        state = ""
    jobs = newest_jobs()
    rows = [r for r in rows_now() if not show or r.show == show]
    if state:  # a state filter needs every row's state; otherwise only the page's rows get one
        rows = [r for r in rows if listed(r, jobs.get(r.id)).state == state]
    size = current_app.config["STUDIO_PAGE_SIZE"]
    pages = max(1, math.ceil(len(rows) / size))
    page = min(page_number(request.args.get("page")), pages)
    items = [listed(r, jobs.get(r.id)) for r in rows[(page - 1) * size:page * size]]
    return render_template("episodes.html", items=items, total=len(rows),
                           page=page, pages=pages, shows=shows, show=show, state=state, states=STATES)


@bp.route("/episodes/state/<path:episode_id>")
@role_required("producer")
def state_cell(episode_id: str):
    """One episode's state cell: htmx polls it while a job runs."""
    episode = load_episode(episode_id)
    row = workspace().index.read(episode.id)
    return render_template("_state.html", item=listed(row, newest_jobs(banner=False).get(episode_id)))


@bp.route("/episodes/approve/<path:episode_id>", methods=["POST"])
@role_required("producer")
def approve(episode_id: str):
    episode = load_episode(episode_id)
    try:
        # based_on: what the approving page showed (the episode page's form carries it)
        approval_mod.approve(workspace(), episode, current_user.name, request.form.get("based_on") or None)
    except approval_mod.ApprovalStale:
        flash(t("approve.stale"), "error")
    except BadInput as exc:
        flash(say(exc), "error")
    else:
        audit(current_user.name, "approve", episode.id)
        flash(t("approve.done"))
    return redirect(request.referrer if _same_site(request.referrer) else url_for("episodes.index"))


@bp.route("/publish", methods=["GET", "POST"])
@role_required("producer")
def publish():
    queue = job_queue()
    if request.method == "POST":
        if not sees_every_show():  # publishing goes out for every show at once
            abort(403)
        if queue is None:
            abort(503)
        try:
            job = queue.enqueue("publish", episode=None, params={})
        except BrokerAway:
            flash(t("broker.not_queued"), "error")
            return redirect(url_for("episodes.publish"))
        audit(current_user.name, "publish", job.id)
        flash(t("publish.queued"))
        return redirect(url_for("episodes.publish"))
    try:
        jobs = [j for j in queue.jobs(limit=200) if j.stage == "publish"][:10] if queue else []
    except BrokerAway:
        broker_banner()
        jobs = []
    needs_approval = {slug for slug, show in workspace().shows().items() if show.require_approval}
    waiting = [r for r in rows_now() if r.rendered and not r.approved_by and r.show in needs_approval]
    return render_template("publish.html", jobs=jobs, waiting=waiting[:50], queue_ok=queue is not None,
                           may_publish=sees_every_show())


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
