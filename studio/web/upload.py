"""The upload page and its resumable protocol (tus-like, with byte offsets).

    POST  /uploads                 {name, size, show, title, description, recorded_on} -> 201 {id, offset: 0}
    HEAD  /uploads/<id>            -> Upload-Offset: bytes stored so far, Upload-Length: the size
    PATCH /uploads/<id>            Upload-Offset: N, the next chunk as the body -> 204 (Upload-Offset: new)
                                   or, with the last chunk, 202 {job, status}
    GET   /uploads/jobs/<job>      {state, progress, error, episode, url}: the ingest job, until it is done

Chunks are streamed to `.studio/uploads/<id>/` in the workspace (never held in memory). A PATCH whose offset
is not the stored size is refused with 409 and the stored offset, so a client that lost a connection asks
HEAD and sends the rest. When the last byte is in, an "ingest" job (jobs.runner.ingest_upload) puts the file
through exactly `studio ingest`'s checks, with the same one-line errors, and then processes it: the
request never decodes audio. A rejected file is deleted with its upload.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from ..errors import BadInput
from ..workspace.episode import episode_slug, parse_date
from ..workspace.layout import UPLOADS_DIR
from .auth import can_see, role_required
from .context import job_queue, t, workspace

bp = Blueprint("upload", __name__)

ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
JOB_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
BLOCK = 1 << 20


def _folder(upload_id: str) -> Path:
    if not ID_RE.match(upload_id):
        abort(404)
    return workspace().root / UPLOADS_DIR / upload_id


def _safe_name(name: str) -> str:
    """The client's file name reduced to a harmless one (its extension kept: ffmpeg and ingest use it)."""
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" .") or "recording"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:5]
    return f"{stem[:100]}.{ext}" if ext else stem[:100]


def _meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        abort(404)
    if meta.get("user") != current_user.name:
        abort(404)  # another producer's upload is not there for this one
    return meta


def _offset(folder: Path, meta: dict) -> int:
    try:
        return (folder / meta["file"]).stat().st_size
    except FileNotFoundError:
        return 0


@bp.route("/upload")
@role_required("producer")
def index():
    return render_template("upload.html", shows={k: s for k, s in workspace().shows().items() if can_see(k)},
                           limit=current_app.config["STUDIO_UPLOAD_LIMIT"],
                           chunk=current_app.config["STUDIO_UPLOAD_CHUNK"])


@bp.route("/uploads", methods=["POST"])
@role_required("producer")
def create():
    data = request.get_json(silent=True) or request.form
    try:
        size = int(data.get("size", -1))
    except (TypeError, ValueError):
        size = -1
    limit = current_app.config["STUDIO_UPLOAD_LIMIT"]
    if size <= 0:
        return jsonify(error="size: a positive number of bytes is needed"), 400
    if size > limit:
        return jsonify(error=t("upload.too_big")), 413
    show = str(data.get("show", ""))
    if not can_see(show):
        return jsonify(error=t("access.show_not_yours")), 400
    try:
        workspace().show(show)
        if data.get("recorded_on"):
            parse_date(str(data["recorded_on"]), "recorded_on")
    except BadInput as exc:
        return jsonify(error=str(exc)), 400
    upload_id = secrets.token_urlsafe(18)
    folder = workspace().root / UPLOADS_DIR / upload_id
    folder.mkdir(parents=True)
    meta = {"user": current_user.name, "size": size, "file": _safe_name(str(data.get("name", ""))), "show": show,
            "title": str(data.get("title", ""))[:300], "description": str(data.get("description", ""))[:5000],
            "recorded_on": str(data.get("recorded_on", ""))}
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / meta["file"]).touch()
    return jsonify(id=upload_id, offset=0), 201, {"Location": f"/uploads/{upload_id}", "Upload-Offset": "0"}


@bp.route("/uploads/<upload_id>", methods=["HEAD"])
@role_required("producer")
def offset(upload_id: str):
    folder = _folder(upload_id)
    meta = _meta(folder)
    return "", 200, {"Upload-Offset": str(_offset(folder, meta)), "Upload-Length": str(meta["size"]),
                     "Cache-Control": "no-store"}


@bp.route("/uploads/<upload_id>", methods=["PATCH"])
@role_required("producer")
def append(upload_id: str):
    folder = _folder(upload_id)
    meta = _meta(folder)
    stored = _offset(folder, meta)
    try:
        start = int(request.headers.get("Upload-Offset", ""))
    except ValueError:
        return jsonify(error="Upload-Offset header missing"), 400
    if start != stored:
        return jsonify(error="offset mismatch", offset=stored), 409, {"Upload-Offset": str(stored)}
    room = meta["size"] - stored
    length = request.content_length
    if length is not None and length > room:
        return jsonify(error="more bytes than announced", offset=stored), 413
    path = folder / meta["file"]
    written = 0
    with open(path, "ab") as out:  # streamed: at most one block in memory
        while written < room and (block := request.stream.read(min(BLOCK, room - written))):
            out.write(block)
            written += len(block)
        if stored + written == meta["size"]:
            out.flush()
            os.fsync(out.fileno())  # once, when complete: ingest reads it next
    stored += written
    if stored < meta["size"]:
        return "", 204, {"Upload-Offset": str(stored)}
    return _finish(folder, meta)


def _finish(folder: Path, meta: dict):
    """The whole file is in: an ingest job does the checks and the processing (202, and where to follow it)."""
    ws = workspace()
    recorded_on = meta["recorded_on"] or dt.date.today().isoformat()
    episode_id = f"{meta['show']}/{episode_slug(recorded_on, meta['title'], meta['file'])}"
    job = job_queue().enqueue("ingest", episode=episode_id, params={
        "upload": folder.relative_to(ws.root).as_posix(), "file": meta["file"], "user": current_user.name,
        "show": meta["show"], "title": meta["title"], "description": meta["description"],
        "recorded_on": meta["recorded_on"]})
    return jsonify(job=job.id, status=url_for("upload.ingest_status", job_id=job.id)), 202


@bp.route("/uploads/jobs/<job_id>")
@role_required("producer")
def ingest_status(job_id: str):
    """Where an upload's ingest job stands; once done, the episode it made (or found: the same bytes)."""
    queue = job_queue()
    job = queue.get(job_id) if queue is not None and JOB_ID_RE.match(job_id) else None
    if job is None or job.stage != "ingest" or job.params.get("user") != current_user.name:
        abort(404)
    episode = job.result.get("episode") if job.state == "done" else None
    return jsonify(state=job.state, progress=job.progress, error=job.error, episode=episode,
                   url=url_for("episode.page", episode_id=episode) if episode else None), 200, \
        {"Cache-Control": "no-store"}
