"""The episode page: metadata and air window, the podcast rendition in a waveform player, the loudness
report, the transcript as cues beside the player (edited in place), the clips and the highlights.

Views only parse the request and call the library (studio.episode_edit, studio.transcript_edit,
studio.loudness_report, studio.peaks, studio.process) or enqueue a job (studio.jobs); they hold no
logic of their own. htmx requests get a fragment; the same forms work without JavaScript (a redirect
back to the page, the message flashed).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)

from ... import captions, episode_edit, loudness_report, peaks, transcript_edit
from ...config import SLUG_RE
from ...errors import BadInput, StudioError
from ...highlights import MAX_CLIP_S, MIN_CLIP_S, validate_range
from ...media import find_ffmpeg
from ...process import CLIP_FORMATS, choose_highlights
from ...state import CLIPS_DIR, PODCAST_FILE, load_state
from ...status import episode_status
from ...workspace import Episode, Workspace
from ..strings import t

bp = Blueprint("episode", __name__, template_folder="templates", url_prefix="/episodes")

EPISODE_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
CLIP_NAME_RE = re.compile(r"^[0-9]{2}-(vertical|square|landscape)\.mp4$")
# The report's words, from the catalogue, in the UI language.
REPORT_LABELS = {field: f"loudness.plot.{field}" for field in loudness_report.ReportLabels.__dataclass_fields__}


# -- helpers -----------------------------------------------------------------------------------


def _workspace() -> Workspace:
    return current_app.config["STUDIO_WORKSPACE"]


def _queue():
    from ...jobs import open_queue

    return open_queue(_workspace())


def _load(show: str, slug: str) -> Episode:
    """The episode named in the URL; 404 for anything that is not an existing episode's id."""
    if not SLUG_RE.match(show) or not EPISODE_SLUG_RE.match(slug):
        abort(404)
    try:
        return _workspace().episode(f"{show}/{slug}")
    except BadInput:
        abort(404)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _message(exc: StudioError) -> str:
    return str(exc)


def _back(episode: Episode, anchor: str = "") -> Response:
    return redirect(url_for("episode.page", show=episode.show, slug=episode.slug) + (f"#{anchor}" if anchor else ""))


def _report_labels() -> loudness_report.ReportLabels:
    return loudness_report.ReportLabels(**{field: t(key) for field, key in REPORT_LABELS.items()})


def _float(name: str) -> float | None:
    value = request.form.get(name, "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadInput(t("episode.error.number").format(field=name, value=value)) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadInput(t("episode.error.number").format(field=name, value=value))
    return number


def _cues(episode: Episode) -> tuple[list[captions.Cue], str | None]:
    folder = _workspace().episode_dir(episode.id)
    if not (folder / captions.VTT_NAME).is_file():
        return [], None
    return captions.read_cues(folder), transcript_edit.vtt_sha256(folder)


def _clips(episode: Episode) -> list[dict]:
    """The highlights the clips are made from, each with its rendered clip files (when current)."""
    workspace = _workspace()
    folder = workspace.episode_dir(episode.id)
    rendered = {(round(c["start"], 3), round(c["end"], 3)): c for c in load_state(folder).get("clips", [])}
    items = []
    for index, highlight in enumerate(choose_highlights(workspace, episode, workspace.show(episode.show))):
        start, end = float(highlight["start"]), float(highlight["end"])
        clip = rendered.get((round(start, 3), round(end, 3)))
        files = {fmt: Path(name).name for fmt, name in (clip or {}).get("files", {}).items()
                 if (folder / name).is_file()}
        items.append({"index": index, "start": start, "end": end, "title": highlight.get("title", ""),
                      "automatic": not episode.highlights and episode.highlights_from != "producer",
                      "files": files})
    return items


def _episode_jobs(episode: Episode, stages: tuple[str, ...]) -> list:
    try:
        jobs = _queue().jobs(limit=200)
    except ImportError:
        return []
    return [j for j in jobs if j.episode == episode.id and j.stage in stages and j.state in ("queued", "running")]


def _enqueue(stage: str, episode: Episode, params: dict | None = None):
    return _queue().enqueue(stage, episode=episode.id, params=params or {})


def _audit(action: str, episode: Episode, **details) -> None:
    from ..audit import audit

    audit(action, target=episode.id, **details)


# -- the page ----------------------------------------------------------------------------------


@bp.get("/<show>/<slug>")
@role_required("producer")
def page(show: str, slug: str):
    episode = _load(show, slug)
    workspace = _workspace()
    show_settings = workspace.show(episode.show)
    folder = workspace.episode_dir(episode.id)
    cues, vtt_sha = _cues(episode)
    before, after = loudness_report.known_figures(workspace, episode)
    report = None
    if after is not None:
        report = {"before": before, "after": after, "verdict": loudness_report.verdict(after, show_settings.loudness),
                  "tolerance": loudness_report.TOLERANCE_LU}
    return render_template(
        "episode/page.html", episode=episode, show=show_settings, status=episode_status(workspace, episode),
        has_audio=(folder / PODCAST_FILE).is_file() and "podcast" in load_state(folder),
        cues=cues, vtt_sha=vtt_sha, report=report, clips=_clips(episode), formats=CLIP_FORMATS,
        jobs=_episode_jobs(episode, ("clip", "clips", "process")), min_clip=MIN_CLIP_S, max_clip=MAX_CLIP_S,
    )


@bp.get("/<show>/<slug>/audio.mp3")
@role_required("producer")
def audio(show: str, slug: str):
    episode = _load(show, slug)
    path = _workspace().episode_dir(episode.id) / PODCAST_FILE
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/mpeg", conditional=True, max_age=0)


@bp.get("/<show>/<slug>/peaks.json")
@role_required("producer")
def waveform_peaks(show: str, slug: str):
    episode = _load(show, slug)
    try:
        return jsonify(peaks.episode_peaks(_workspace(), find_ffmpeg(), episode))
    except BadInput:
        abort(404)


@bp.get("/<show>/<slug>/clips/<name>")
@role_required("producer")
def clip_file(show: str, slug: str, name: str):
    episode = _load(show, slug)
    if not CLIP_NAME_RE.match(name):
        abort(404)
    path = _workspace().episode_dir(episode.id) / CLIPS_DIR / name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="video/mp4", conditional=True, max_age=0)


# -- loudness report ---------------------------------------------------------------------------


def _report(episode: Episode) -> loudness_report.LoudnessReport:
    try:
        return loudness_report.loudness_report(_workspace(), find_ffmpeg(), episode)
    except BadInput:
        abort(404)


@bp.get("/<show>/<slug>/loudness.png")
@role_required("producer")
def loudness_plot(show: str, slug: str):
    episode = _load(show, slug)
    report = _report(episode)
    image = loudness_report.render_plot(report, _workspace().show(episode.show).loudness, _report_labels())
    return Response(loudness_report.png_bytes(image), mimetype="image/png", headers={"Cache-Control": "no-cache"})


@bp.get("/<show>/<slug>/loudness-report.<kind>")
@role_required("producer")
def loudness_sheet(show: str, slug: str, kind: str):
    if kind not in ("png", "pdf"):
        abort(404)
    episode = _load(show, slug)
    report = _report(episode)
    show_settings = _workspace().show(episode.show)
    heading = f"{show_settings.title}: {episode.title}"
    image = loudness_report.render_sheet(report, show_settings.loudness, heading, _report_labels())
    data = loudness_report.png_bytes(image) if kind == "png" else loudness_report.pdf_bytes(image, heading)
    name = f"{episode.slug}-{t('loudness.file_name')}.{kind}"
    return Response(data, mimetype="image/png" if kind == "png" else "application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-cache"})


# -- metadata ----------------------------------------------------------------------------------


@bp.post("/<show>/<slug>/metadata")
@role_required("producer")
def metadata(show: str, slug: str):
    episode = _load(show, slug)
    form = request.form
    try:
        saved = episode_edit.update_metadata(_workspace(), episode.id, episode_edit.Metadata(
            title=form.get("title", ""), description=form.get("description", ""), source=form.get("source", ""),
            air_from=form.get("air_from", ""), air_until=form.get("air_until", "")))
    except StudioError as exc:
        if _is_htmx():
            return render_template("episode/_metadata.html", episode=episode, form=form, error=_message(exc)), 422
        flash(_message(exc), "error")
        return _back(episode, "metadata")
    _audit("episode.metadata", saved)
    if (saved.title, saved.description, saved.air_from, saved.air_until) != (
            episode.title, episode.description, episode.air_from, episode.air_until):
        _enqueue("process", saved)  # new tags, cart dates and clip titles
    if _is_htmx():
        return render_template("episode/_metadata.html", episode=saved, form=None, saved=True)
    flash(t("episode.metadata.saved"), "success")
    return _back(saved, "metadata")


# -- transcript --------------------------------------------------------------------------------


def _cue_or_404(episode: Episode, index: int) -> tuple[captions.Cue, str]:
    cues, sha = _cues(episode)
    if not 0 <= index < len(cues):
        abort(404)
    return cues[index], sha


@bp.get("/<show>/<slug>/cues/<int:index>")
@role_required("producer")
def cue(show: str, slug: str, index: int):
    episode = _load(show, slug)
    item, _ = _cue_or_404(episode, index)
    return render_template("episode/_cue.html", episode=episode, cue=item, index=index)


@bp.get("/<show>/<slug>/cues/<int:index>/edit")
@role_required("producer")
def cue_editor(show: str, slug: str, index: int):
    episode = _load(show, slug)
    item, _ = _cue_or_404(episode, index)
    return render_template("episode/_cue_edit.html", episode=episode, cue=item, index=index,
                           text=item.text, start=item.start, end=item.end)


@bp.post("/<show>/<slug>/cues/<int:index>")
@role_required("producer")
def save_cue(show: str, slug: str, index: int):
    episode = _load(show, slug)
    folder = _workspace().episode_dir(episode.id)
    try:
        edit = transcript_edit.CueEdit(request.form.get("text", ""), _float("start"), _float("end"))
        saved = transcript_edit.save_cue_edits(folder, {index: edit}, request.form.get("based_on") or None,
                                               episode.duration)
    except StudioError as exc:
        if not _is_htmx():
            flash(_message(exc), "error")
            return _back(episode, f"cue-{index}")
        item, _ = _cue_or_404(episode, index)
        return render_template("episode/_cue_edit.html", episode=episode, cue=item, index=index,
                               text=request.form.get("text", ""), start=request.form.get("start", item.start),
                               end=request.form.get("end", item.end), error=_message(exc)), 422
    if saved.changed:
        _audit("transcript.edit", episode, cue=index + 1)
        if load_state(folder).get("clips"):
            _enqueue("clips", episode)  # clips burn the captions in: they follow the correction
    if not _is_htmx():
        flash(t("episode.transcript.saved"), "success")
        return _back(episode, f"cue-{index}")
    return render_template("episode/_cue.html", episode=episode, cue=saved.cues[index], index=index,
                           vtt_sha=saved.sha256, saved=bool(saved.changed))


# -- highlights --------------------------------------------------------------------------------


@bp.post("/<show>/<slug>/highlights")
@role_required("producer")
def add_highlight(show: str, slug: str):
    episode = _load(show, slug)
    formats = [f for f in request.form.getlist("formats") if f in CLIP_FORMATS]
    try:
        start, end = _float("start"), _float("end")
        if start is None or end is None:
            raise BadInput(t("episode.highlights.need_range"))
        if not formats:
            raise BadInput(t("episode.highlights.need_format"))
        validate_range(start, end, episode.duration)
        title = request.form.get("title", "").strip()
        job = _enqueue("clip", episode, {"start": round(start, 3), "end": round(end, 3), "title": title,
                                         "formats": formats})
    except StudioError as exc:
        if _is_htmx():
            return render_template("episode/_job.html", episode=episode, job=None, error=_message(exc)), 422
        flash(_message(exc), "error")
        return _back(episode, "highlights")
    _audit("highlight.render", episode, start=start, end=end, job=job.id)
    if _is_htmx():
        return render_template("episode/_job.html", episode=episode, job=job)
    flash(t("episode.highlights.queued"), "success")
    return _back(episode, "highlights")


@bp.get("/<show>/<slug>/jobs/<job_id>")
@role_required("producer")
def job_status(show: str, slug: str, job_id: str):
    episode = _load(show, slug)
    job = _queue().get(job_id) if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", job_id) else None
    if job is None or job.episode != episode.id:
        abort(404)
    clips = _clips(episode) if job.state == "done" else None
    return render_template("episode/_job.html", episode=episode, job=job, clips=clips)


@bp.post("/<show>/<slug>/highlights/<int:index>/remove")
@role_required("producer")
def remove_highlight(show: str, slug: str, index: int):
    episode = _load(show, slug)
    try:
        saved = episode_edit.remove_highlight(_workspace(), episode.id, index)
    except StudioError as exc:
        flash(_message(exc), "error")
        return _back(episode, "highlights")
    _audit("highlight.remove", saved, highlight=index + 1)
    _enqueue("clips", saved)
    if _is_htmx():
        return render_template("episode/_clips.html", episode=saved, clips=_clips(saved), oob=False)
    flash(t("episode.highlights.removed"), "success")
    return _back(saved, "highlights")
