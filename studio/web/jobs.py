"""The jobs page: what runs now, what waits, what failed and why; retry a failed job. With the broker away,
every page that needs it says so (a banner) instead of failing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..jobs.job import BrokerAway
from .auth import audit, can_see_episode, role_required
from .context import job_queue, t

bp = Blueprint("jobs", __name__)


@bp.app_errorhandler(BrokerAway)
def broker_away(_error):
    """Any page whose request needed the broker while it is away: the banner, 503, never a bare 500."""
    if request.headers.get("HX-Request") or request.accept_mimetypes.best == "application/json":
        return {"error": t("broker.away")}, 503
    return render_template("error.html", message=t("broker.away"), status=503), 503


def broker_banner() -> None:
    """Show the broker-away banner on the page being rendered."""
    flash(t("broker.away"), "error")


@bp.route("/jobs")
@role_required("producer")
def index():
    queue = job_queue()
    try:
        if queue is not None:
            queue.recover()  # jobs of lost workers are queued again before they are shown
            return render_template("jobs.html", queue_ok=True, running=_seen(queue.jobs(state="running")),
                                   queued=_seen(queue.jobs(state="queued")),
                                   failed=_seen(queue.jobs(state="failed", limit=50)),
                                   done=_seen(queue.jobs(state="done", limit=20)))
    except BrokerAway:
        broker_banner()
    return render_template("jobs.html", queue_ok=False, running=[], queued=[], failed=[], done=[])


def _seen(jobs: list) -> list:
    """The jobs of the shows the signed-in user may see."""
    return [j for j in jobs if can_see_episode(j.episode)]


@bp.route("/jobs/table")
@role_required("producer")
def table():
    """The running and queued jobs, polled by htmx."""
    queue = job_queue()
    if queue is None:
        abort(503)
    return render_template("_jobs_live.html", running=_seen(queue.jobs(state="running")),
                           queued=_seen(queue.jobs(state="queued")))


@bp.route("/jobs/<job_id>/retry", methods=["POST"])
@role_required("producer")
def retry(job_id: str):
    queue = job_queue()
    try:
        job = queue.get(job_id) if queue else None
        if job is None or job.state != "failed" or not can_see_episode(job.episode):
            abort(404)
        again = queue.retry(job_id)
    except BrokerAway:
        flash(t("broker.not_queued"), "error")
        return redirect(url_for("jobs.index"))
    audit(current_user.name, "job.retry", f"{again.stage} {again.episode or ''}".strip())
    flash(t("jobs.retried"))
    return redirect(url_for("jobs.index"))
