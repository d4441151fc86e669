"""The jobs page: what runs now, what waits, what failed and why; retry a failed job."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from .auth import audit, role_required
from .context import job_queue, t

bp = Blueprint("jobs", __name__)


@bp.route("/jobs")
@role_required("producer")
def index():
    queue = job_queue()
    if queue is None:
        return render_template("jobs.html", queue_ok=False, running=[], queued=[], failed=[], done=[])
    return render_template("jobs.html", queue_ok=True, running=queue.jobs(state="running"),
                           queued=queue.jobs(state="queued"), failed=queue.jobs(state="failed", limit=50),
                           done=queue.jobs(state="done", limit=20))


@bp.route("/jobs/table")
@role_required("producer")
def table():
    """The running and queued jobs, polled by htmx."""
    queue = job_queue()
    if queue is None:
        abort(503)
    return render_template("_jobs_live.html", running=queue.jobs(state="running"), queued=queue.jobs(state="queued"))


@bp.route("/jobs/<job_id>/retry", methods=["POST"])
@role_required("producer")
def retry(job_id: str):
    queue = job_queue()
    job = queue.get(job_id) if queue else None
    if job is None or job.state != "failed":
        abort(404)
    again = queue.retry(job_id)
    audit(current_user.name, "job.retry", f"{again.stage} {again.episode or ''}".strip())
    flash(t("jobs.retried"))
    return redirect(url_for("jobs.index"))
