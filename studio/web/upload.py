"""The upload page and its resumable protocol (filled in by the upload step)."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import role_required
from .context import workspace

bp = Blueprint("upload", __name__)


@bp.route("/upload")
@role_required("producer")
def index():
    return render_template("upload.html", shows=workspace().shows())
