"""The upload page and its resumable protocol (tus-like, with byte offsets).

    POST  /uploads                 {name, size, show, title, description, recorded_on} -> 201 {id, offset: 0}
    HEAD  /uploads/<id>            -> Upload-Offset: bytes stored so far, Upload-Length: the size
    PATCH /uploads/<id>            Upload-Offset: N, the next chunk as the body -> 204 (Upload-Offset: new)
                                   or, with the last chunk, 201 {episode, job} / 422 {error}

Chunks are streamed to `.studio/uploads/<id>/` in the workspace (never held in memory). A PATCH whose offset
is not the stored size is refused with 409 and the stored offset, so a client that lost a connection asks
HEAD and sends the rest. When the last byte is in, the file goes through exactly `studio.pipeline.ingest` (the same
checks and one-line errors); a rejected file is deleted with its upload, an accepted one is processed by a
"process" job.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user

from ..errors import BadInput, StudioError
from ..media.ffmpeg import find_ffmpeg
from ..pipeline import ingest as ingest_mod
from ..workspace import approval as approval_mod
from ..workspace.state import STATE_DIR
from .auth import audit, role_required
from .context import job_queue, t, workspace

bp = Blueprint("upload", __name__)

UPLOADS_DIR = f"{STATE_DIR}/uploads"
ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
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
    return render_template("upload.html", shows=workspace().shows(),
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
    try:
        workspace().show(show)
        if data.get("recorded_on"):
            ingest_mod.parse_date(str(data["recorded_on"]), "recorded_on")
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
    """The whole file is in: the ingest checks, then a "process" job. Nothing is kept on rejection."""
    ws = workspace()
    try:
        result = ingest_mod.ingest(ws, find_ffmpeg(ws.settings.ffmpeg_stall_timeout), ingest_mod.IngestRequest(
            file=folder / meta["file"], show=meta["show"], title=meta["title"], description=meta["description"],
            recorded_on=meta["recorded_on"]))
    except StudioError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        audit(current_user.name, "upload.rejected", meta["file"])
        return jsonify(error=str(exc)), 422 if exc.exit_code == 2 else 500
    shutil.rmtree(folder, ignore_errors=True)
    episode = result.episode
    if result.created:
        approval_mod.record_uploader(ws, episode, current_user.name)
    audit(current_user.name, "upload", episode.id)
    from .episodes import catalog

    catalog().refresh_episode(episode.id)
    job = job_queue().enqueue("process", episode=episode.id, params={})
    return jsonify(episode=episode.id, created=result.created, job=job.id,
                   url=f"/episodes/{episode.id}/"), 201
