"""The upload page and its resumable protocol (tus-like, with byte offsets and tus's checksum extension).

    POST  /uploads                 {name, size, show, title, description, recorded_on[, checksum]} -> 201 {id, offset}
    HEAD  /uploads/<id>            -> Upload-Offset: bytes stored so far, Upload-Length: the size
    PATCH /uploads/<id>            Upload-Offset: N[, Upload-Checksum: sha256 <base64 of the chunk's digest>], the
                                   next chunk as the body -> 204 (Upload-Offset: new); with the last chunk, or at
                                   N = size once it is complete: 202 {job, status} (the same every time)
    GET   /uploads/<id>/status     {state, progress, error, episode, url}: its ingest job, until it is done
    GET   /uploads/jobs/<job>      the same, by the job's id

The storage is studio.workspace.uploads: an append holds the upload's lock from the offset check to the last
byte written, so of two PATCHes at one offset one is stored and the other gets 409 with the stored offset. A
chunk with `Upload-Checksum` counts only if it matches (else 460, as tus says); `checksum` at creation ("sha256
<base64>") is the whole file's, checked before ingest. The finished file must have the declared size. Then an
"ingest" job (jobs.runner.ingest_upload) puts it through exactly `studio ingest`'s checks: the request never
decodes audio. When the queue (Redis) is away the upload is kept and answered as waiting; the status poll, a
retried last chunk or HEAD, a new upload or the next `studio web` start enqueues it once the queue is back.
Old uploads are removed by uploads.clean() at start, whenever an upload is created, and on the first request
of each hour.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import sqlite3
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from ..errors import BadInput
from ..jobs.job import BrokerAway
from ..workspace import uploads
from ..workspace.episode import episode_slug, parse_date
from .auth import can_see, role_required
from .context import job_queue, say, say_line, t, workspace

bp = Blueprint("upload", __name__)

JOB_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
CHECKSUM_MISMATCH = 460  # tus's checksum extension
GIB = 1024**3
SWEEP_EVERY = 3600.0  # seconds between two sweeps of old uploads made by requests


def _broker_errors() -> tuple[type[BaseException], ...]:
    """What enqueueing raises while the queue cannot be reached: the broker away (jobs.BrokerAway, which the
    Celery queue makes of every Redis error), a locked SQLite file of the local queue."""
    return BrokerAway, ConnectionError, TimeoutError, sqlite3.OperationalError


def _now() -> float:
    return current_app.config["STUDIO_CLOCK"]()


def _settings():
    return current_app.extensions["studio"]["settings"]


def _safe_name(name: str) -> str:
    """The client's file name reduced to a harmless one (its extension kept: ffmpeg and ingest use it)."""
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" .") or "recording"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:5]
    return f"{stem[:100]}.{ext}" if ext else stem[:100]


class BadChecksum(Exception):
    """An Upload-Checksum (or `checksum`) that is not "sha256 <base64 of 32 bytes>"."""


def _checksum(value: str | None) -> bytes | None:
    """tus's "sha256 <base64>" as the digest's bytes; None when none was sent. BadChecksum when it is not that."""
    if not value:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if algorithm.lower() != "sha256" or len(digest) != 32:
        raise BadChecksum(value)
    return digest


def _error(key: str, status: int, headers: dict | None = None, **values):
    return jsonify(error=t(key).format(**values)), status, headers or {}


def _refusal(exc: uploads.UploadError):
    """The answer to a refused upload or chunk, in the page's language."""
    if isinstance(exc, uploads.OffsetMismatch):
        return jsonify(error=t("upload.offset_mismatch"), offset=exc.offset), 409, {"Upload-Offset": str(exc.offset)}
    if isinstance(exc, uploads.ChecksumMismatch):
        return _error("upload.checksum_file" if exc.whole else "upload.checksum_chunk", CHECKSUM_MISMATCH)
    if isinstance(exc, uploads.SizeMismatch):
        return _error("upload.size_mismatch", 422, got=exc.got, size=exc.size)
    if isinstance(exc, uploads.DiskFull):
        return _error("upload.disk_full", 507)
    if isinstance(exc, uploads.LimitReached):
        if exc.what == "count":
            return _error("upload.limit_count", 429, limit=exc.limit)
        return _error("upload.limit_bytes", 429, limit=f"{exc.limit / GIB:g}")
    if isinstance(exc, uploads.ChunkIncomplete):
        return _error("upload.chunk_incomplete", 400)
    return _error("upload.too_many_bytes", 413)


def _held(upload_id: str):
    folder = uploads.folder_of(workspace(), upload_id)
    if folder is None:
        abort(404)
    return uploads.held(folder)


def _mine(upload: uploads.Upload | None) -> uploads.Upload:
    if upload is None or upload.user != current_user.name:
        abort(404)  # another producer's upload is not there for this one
    return upload


def sweep() -> None:
    """Remove old uploads and enqueue the finished ones that wait for the queue (at start, on a new upload,
    and on the first request of each SWEEP_EVERY)."""
    ws = workspace()
    current_app.extensions["studio"]["uploads_swept"] = _now()

    def job_state(job_id: str) -> str:
        job = job_queue().get(job_id)
        return job.state if job else ""

    uploads.clean(ws, _now(), _settings().upload_expire_hours * 3600, job_state)
    for upload in uploads.all_uploads(ws):
        if upload.waiting:
            with uploads.held(upload.folder) as held:
                if held is not None and held.waiting and not _enqueue(held):
                    return  # the queue is still away: the others wait too


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
    if size <= 0:
        return _error("upload.bad_size", 400)
    if size > current_app.config["STUDIO_UPLOAD_LIMIT"]:
        return jsonify(error=t("upload.too_big")), 413
    show = str(data.get("show", ""))
    if not can_see(show):
        return jsonify(error=t("access.show_not_yours")), 400
    try:
        workspace().show(show)
        if data.get("recorded_on"):
            parse_date(str(data["recorded_on"]), "recorded_on")
    except BadInput as exc:
        return jsonify(error=say(exc)), 400
    try:
        whole = _checksum(data.get("checksum") or request.headers.get("Upload-Checksum"))
    except BadChecksum:
        return _error("upload.bad_checksum", 400)
    sweep()
    settings = _settings()
    limits = uploads.Limits(settings.upload_max_open, int(settings.upload_max_open_gib * GIB))
    upload = uploads.Upload(
        id="", user=current_user.name, size=size, name=_safe_name(str(data.get("name", ""))), show=show,
        title=str(data.get("title", ""))[:300], description=str(data.get("description", ""))[:5000],
        recorded_on=str(data.get("recorded_on", "")), sha256=whole.hex() if whole else "", created_at=_now())
    try:
        uploads.create(workspace(), upload, limits)
    except uploads.UploadError as exc:
        return _refusal(exc)
    return jsonify(id=upload.id, offset=0), 201, {"Location": f"/uploads/{upload.id}", "Upload-Offset": "0"}


@bp.route("/uploads/<upload_id>", methods=["HEAD"])
@role_required("producer")
def offset(upload_id: str):
    with _held(upload_id) as held:
        upload = _mine(held)
        if upload.waiting:
            _enqueue(upload)  # the answer to its last chunk may have been "waiting for the queue"
        return "", 200, {"Upload-Offset": str(upload.size if upload.complete else upload.offset),
                         "Upload-Length": str(upload.size), "Cache-Control": "no-store"}


@bp.route("/uploads/<upload_id>", methods=["PATCH"])
@role_required("producer")
def append(upload_id: str):
    try:
        start = int(request.headers.get("Upload-Offset", ""))
        chunk_sha256 = _checksum(request.headers.get("Upload-Checksum"))
    except ValueError:
        return _error("upload.no_offset", 400)
    except BadChecksum:
        return _error("upload.bad_checksum", 400)
    with _held(upload_id) as held:
        upload = _mine(held)
        if upload.complete:  # asked again (its answer lost, or a second tab): the same answer
            if start == upload.size and not request.content_length:
                return _finished(upload)
            return _refusal(uploads.OffsetMismatch(upload.size))
        try:
            stored = uploads.append(upload, start, request.stream, request.content_length, chunk_sha256,
                                    now=_now())
            if stored < upload.size:
                return "", 204, {"Upload-Offset": str(stored)}
            uploads.finish(upload)
        except uploads.UploadError as exc:
            return _refusal(exc)
        return _finished(upload)


def _enqueue(upload: uploads.Upload) -> bool:
    """Enqueue the complete upload's ingest job (the caller holds it); False while the queue is away."""
    recorded_on = upload.recorded_on or dt.date.today().isoformat()
    episode_id = f"{upload.show}/{episode_slug(recorded_on, upload.title, upload.name)}"
    try:
        job = job_queue().enqueue("ingest", episode=episode_id, params={
            "upload": upload.folder.relative_to(workspace().root).as_posix(), "file": upload.name,
            "size": upload.size, "user": upload.user, "show": upload.show, "title": upload.title,
            "description": upload.description, "recorded_on": upload.recorded_on})
    except _broker_errors() as exc:
        current_app.logger.warning("upload %s waits for the job queue: %s", upload.id, exc)
        return False
    upload.job = job.id
    try:
        uploads.save(upload)
    except uploads.DiskFull:  # the upload is gone with the disk's last bytes: its job will say so
        current_app.logger.warning("upload %s: no space left to record its job %s", upload.id, job.id)
    return True


def _finished(upload: uploads.Upload):
    """The whole file is in: 202 and where to follow its ingest job (enqueued now if it was not yet)."""
    if upload.waiting:
        _enqueue(upload)
    status = url_for("upload.status", upload_id=upload.id)
    if not upload.job:
        return jsonify(job=None, status=status, waiting=True, message=t("upload.waiting_for_queue")), 202
    return jsonify(job=upload.job, status=status), 202


@bp.route("/uploads/<upload_id>/status")
@role_required("producer")
def status(upload_id: str):
    """Where an upload's ingest stands (its job enqueued here if the queue was away when the last byte came)."""
    with _held(upload_id) as held:
        upload = _mine(held)
        if not upload.complete:
            return jsonify(state="uploading", offset=upload.offset, progress=None, error="", episode=None,
                           url=None), 200, {"Cache-Control": "no-store"}
        if upload.waiting and not _enqueue(upload):
            return _waiting()
        if not upload.ingested_at and _job_lost(upload.job):
            upload.job = ""  # its record is gone (a broker that lost its data): the bytes are still here
            if not _enqueue(upload):
                return _waiting()
        job_id = upload.job
    return _job_status(job_id)


def _waiting():
    return jsonify(state="waiting", message=t("upload.waiting_for_queue"), progress=None, error="",
                   episode=None, url=None), 200, {"Cache-Control": "no-store"}


def _job_lost(job_id: str) -> bool:
    try:
        return job_queue().get(job_id) is None
    except _broker_errors():
        return False


@bp.route("/uploads/jobs/<job_id>")
@role_required("producer")
def ingest_status(job_id: str):
    """Where an upload's ingest job stands; once done, the episode it made (or found: the same bytes)."""
    return _job_status(job_id)


def _job_status(job_id: str):
    try:
        queue = job_queue()
        job = queue.get(job_id) if queue is not None and JOB_ID_RE.match(job_id) else None
    except _broker_errors():
        return _waiting()
    if job is None or job.stage != "ingest" or job.params.get("user") != current_user.name:
        abort(404)
    episode = job.result.get("episode") if job.state == "done" else None
    return jsonify(state=job.state, progress=job.progress, error=say_line(job.error), episode=episode,
                   url=url_for("episode.page", episode_id=episode) if episode else None), 200, \
        {"Cache-Control": "no-store"}


@bp.before_app_request
def sweep_now_and_then() -> None:
    """A server that runs for days with no new upload still cleans: the first request after SWEEP_EVERY
    since the last sweep sweeps (no thread of its own)."""
    if _now() - current_app.extensions["studio"].get("uploads_swept", 0.0) < SWEEP_EVERY:
        return
    try:
        sweep()
    except Exception as exc:  # noqa: BLE001 - a request never fails for it: the next one tries again
        current_app.extensions["studio"]["uploads_swept"] = _now()
        current_app.logger.warning("cleaning old uploads failed: %s", exc)


def clean_at_start(app) -> None:
    """`studio web` starting: old uploads go, waiting ones are enqueued if the queue is there."""
    with app.app_context():
        try:
            sweep()
        except Exception as exc:  # noqa: BLE001 - never keep the app from starting: the next upload sweeps
            app.logger.warning("cleaning old uploads failed: %s", exc)
