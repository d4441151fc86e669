"""The episode page (`/episodes/<show>/<episode>/`): metadata and air window, the podcast rendition in a
waveform player with the original beside it at the same loudness (the A/B switch, when the sound processing
ran), the loudness report with the processing's figures, the transcript as cues beside the player (edited in place), the
clips and the highlights (their routes: clips.py), and the approval (studio.workspace.approval).

Views only parse the request and call the library (studio.review: page, edits, loudness_report, peaks) or
enqueue a job (studio.jobs); they hold no logic of their own. htmx requests get a fragment; the same forms
work without JavaScript (a redirect back to the page, the message flashed). Every route is for producers; every POST carries the CSRF token.
"""

from __future__ import annotations

import contextlib
import mimetypes
import re
import secrets

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ...captions import Cue
from ...errors import BadInput, StudioError
from ...media.ffmpeg import find_ffmpeg
from ...pipeline import CLIP_FORMATS
from ...review import chapters as review_chapters
from ...review import edits, loudness_report, peaks, sound
from ...review.page import episode_page
from ...text.highlights import MAX_CLIP_S, MIN_CLIP_S
from ...workspace import Episode
from .. import CSP
from .. import radio as radio_page
from ..auth import audit, require_show, role_required
from ..context import job_queue, say, t, workspace
from . import filters

bp = Blueprint("episode", __name__, template_folder="templates")

CLIP_NAME_RE = re.compile(r"^[0-9]{2}-(vertical|square|landscape)\.(mp4|jpg)$")
FIELD_NAMES = {"start": "episode.transcript.start", "end": "episode.transcript.end"}
# The report's words, from the catalogue, in the UI language.
REPORT_LABELS = {name: f"loudness.plot.{name}" for name in loudness_report.ReportLabels.__dataclass_fields__}


# -- helpers -----------------------------------------------------------------------------------


def load_episode(episode_id: str) -> Episode:
    """The episode named in the URL, or 404 (an id is show/slug; nothing outside episodes/ can be named)."""
    parts = episode_id.split("/")
    if len(parts) != 2 or any(not p or p.startswith(".") or "\\" in p for p in parts):
        abort(404)
    try:
        episode = workspace().episode(episode_id)
    except BadInput:
        abort(404)
    require_show(episode.show)  # a show the user is not limited to: not there for them
    return episode


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


class PageInput(BadInput):
    """A form value this page refused, already in the page's words."""


def _message(exc: StudioError) -> str:
    """The page's words for a refused change (studio.web.messages: never the library's English line)."""
    if isinstance(exc, PageInput):
        return str(exc)
    if isinstance(exc, edits.LineConflict):  # that line changed since it was opened: say what it reads now
        return t("review.line_conflict").format(n=exc.index + 1, text=exc.theirs)
    if isinstance(exc, edits.TranscriptChanged):  # someone saved first: nothing was written
        return t("transcript.stale")
    if isinstance(exc, edits.StaleEdit):  # someone saved first, or the recording was replaced: nothing was written
        return t("edit.stale")
    return say(exc)


def _back(episode: Episode, anchor: str = "") -> Response:
    return redirect(url_for("episode.page", episode_id=episode.id) + (f"#{anchor}" if anchor else ""))


def _report_labels() -> loudness_report.ReportLabels:
    return loudness_report.ReportLabels(**{field: t(key) for field, key in REPORT_LABELS.items()})


def _float(name: str) -> float | None:
    value = request.form.get(name, "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise PageInput(t("episode.error.number").format(field=t(FIELD_NAMES.get(name, name)), value=value)) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise PageInput(t("episode.error.number").format(field=t(FIELD_NAMES.get(name, name)), value=value))
    return number


def _cues(episode: Episode) -> tuple[list[Cue], str | None]:
    page = episode_page(workspace(), episode)
    return page.cues, page.vtt_sha


def _episode_jobs(episode: Episode, stages: tuple[str, ...]) -> list:
    queue = job_queue()
    if queue is None:
        return []
    jobs = [*queue.jobs(state="running"), *queue.jobs(state="queued")]
    return [j for j in jobs if j.episode == episode.id and j.stage in stages and j.state in ("queued", "running")]


def _enqueue(stage: str, episode: Episode, params: dict | None = None):
    queue = job_queue()
    if queue is None:
        raise PageInput(t("jobs.unavailable"))
    return queue.enqueue(stage, episode=episode.id, params=params or {})


def _follow_up(stage: str, episode: Episode) -> None:
    """Enqueue the stage that brings the outputs up to date after a change (nothing without a queue:
    the next `studio process` does it)."""
    if job_queue() is not None:
        _enqueue(stage, episode)


def _audit(action: str, episode: Episode) -> None:
    audit(current_user.name, action, episode.id)


# -- the page ----------------------------------------------------------------------------------


@bp.get("/")
@role_required("producer")
def page(episode_id: str):
    page_data = episode_page(workspace(), load_episode(episode_id))
    episode = page_data.episode
    jobs = _episode_jobs(episode, ("ingest", "process", "renditions", "transcript", "speakers", "text", "clips",
                                    "clip"))
    busy = [j for j in jobs if j.stage != "clip"]
    # wavesurfer.js puts a <style> into its shadow DOM: this page lets exactly that one in (a nonce);
    # scripts stay as the app's CSP has them (no inline script).
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        "episode/page.html", episode=episode, show=page_data.show, row=page_data.row,
        state=page_data.state_word(busy[0].state if busy else ""), progress=busy[0].progress if busy else None,
        has_audio=page_data.has_audio, cues=page_data.cues, vtt_sha=page_data.vtt_sha,
        report=page_data.loudness(), clips=page_data.clips(), formats=CLIP_FORMATS, matching=page_data.matching(),
        sound=page_data.sound(), sound_rows=page_data.sound_rows(_report_labels()),
        jobs=[j for j in jobs if j.stage == "clip"], busy=busy,
        min_clip=MIN_CLIP_S, max_clip=MAX_CLIP_S, style_nonce=nonce,
        metadata_sha=page_data.metadata_version, approve_token=page_data.approve_token,
        chapters=review_chapters.shown_chapters(workspace(), episode), reviewed=review.reviewed_line(episode),
        withdrawn=", ".join(t(f"approval.part.{part}") for part in page_data.row.withdrawn),
    )
    response = Response(html)
    response.headers["Content-Security-Policy"] = CSP.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")
    return response


@bp.get("/audio.mp3")
@role_required("producer")
def audio(episode_id: str):
    episode = load_episode(episode_id)
    path = workspace().files(episode.id).podcast
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/mpeg", conditional=True, max_age=0)


@bp.get("/original")
@role_required("producer")
def original(episode_id: str):
    """The recording as it was ingested (the A/B switch plays it), with byte ranges like audio.mp3."""
    episode = load_episode(episode_id)
    path = workspace().files(episode.id).original(episode.original)
    if not path.is_file():
        abort(404)
    kind = mimetypes.guess_type(path.name)[0] or ""  # a recording's name ends as its upload did: never a page
    kind = kind if kind.startswith(("audio/", "video/")) else "application/octet-stream"
    return send_file(path, mimetype=kind, conditional=True, max_age=0)


@bp.get("/peaks.json")
@role_required("producer")
def waveform_peaks(episode_id: str):
    episode = load_episode(episode_id)
    try:
        return jsonify(peaks.episode_peaks(workspace(), find_ffmpeg(), episode))
    except BadInput:
        abort(404)
    except StudioError as exc:  # an unreadable rendition: the one line, not a traceback
        return _failure(exc)


@bp.get("/clips/<name>")
@role_required("producer")
def clip_file(episode_id: str, name: str):
    episode = load_episode(episode_id)
    if not CLIP_NAME_RE.match(name):
        abort(404)
    path = workspace().files(episode.id).clips / name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="video/mp4" if name.endswith(".mp4") else "image/jpeg", conditional=True,
                     max_age=0)


# -- loudness report ---------------------------------------------------------------------------


def _failure(exc: StudioError) -> Response:
    return Response(f"{say(exc)}\n", status=500, mimetype="text/plain")


def _report(episode: Episode) -> loudness_report.LoudnessReport:
    try:
        return loudness_report.loudness_report(workspace(), find_ffmpeg(), episode)
    except BadInput:
        abort(404)
    except StudioError as exc:  # an unreadable rendition or original: the one line, not a traceback
        abort(_failure(exc))


@bp.get("/loudness.png")
@role_required("producer")
def loudness_plot(episode_id: str):
    episode = load_episode(episode_id)
    report = _report(episode)
    image = loudness_report.render_plot(report, workspace().show(episode.show).loudness, _report_labels())
    return Response(loudness_report.png_bytes(image), mimetype="image/png", headers={"Cache-Control": "no-cache"})


@bp.get("/loudness-report.<kind>")
@role_required("producer")
def loudness_sheet(episode_id: str, kind: str):
    if kind not in ("png", "pdf"):
        abort(404)
    episode = load_episode(episode_id)
    report = _report(episode)
    show_settings = workspace().show(episode.show)
    heading = f"{show_settings.title}: {episode.title}"
    figures = sound.episode_figures(workspace().files(episode.id))
    image = loudness_report.render_sheet(report, show_settings.loudness, heading, _report_labels(), figures)
    data = loudness_report.png_bytes(image) if kind == "png" else loudness_report.pdf_bytes(image, heading)
    name = f"{episode.slug}-{t('loudness.file_name')}.{kind}"
    return Response(data, mimetype="image/png" if kind == "png" else "application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-cache"})


# -- metadata ----------------------------------------------------------------------------------


@bp.post("/metadata")
@role_required("producer")
def metadata(episode_id: str):
    episode = load_episode(episode_id)
    form = request.form
    try:
        saved = edits.update_metadata(workspace(), episode.id, edits.Metadata(
            title=form.get("title", ""), description=form.get("description", ""), source=form.get("source", ""),
            air_from=form.get("air_from", ""), air_until=form.get("air_until", "")),
            based_on=form.get("based_on", ""))  # what the form showed: a stale page is refused
    except StudioError as exc:
        if _is_htmx():  # the producer's text stays in the form
            return render_template("episode/_metadata.html", episode=episode, form=form, error=_message(exc),
                                   metadata_sha=form.get("based_on", ""))
        flash(_message(exc), "error")
        return _back(episode, "metadata")
    _audit("episode.metadata", saved)
    if (saved.title, saved.description, saved.air_from, saved.air_until) != (
            episode.title, episode.description, episode.air_from, episode.air_until):
        _follow_up("process", saved)  # new tags, cart dates and clip titles
    if (saved.air_from, saved.air_until) != (episode.air_from, episode.air_until):
        radio_page.air_window_edited(saved)  # what stations read has the new window now, not at the next publish
    if _is_htmx():
        return render_template("episode/_metadata.html", episode=saved, form=None, saved=True,
                               metadata_sha=edits.metadata_version(saved))
    flash(t("episode.metadata.saved"), "success")
    return _back(saved, "metadata")


# -- transcript --------------------------------------------------------------------------------


def _cue_or_404(episode: Episode, index: int) -> tuple[Cue, str]:
    cues, sha = _cues(episode)
    if not 0 <= index < len(cues):
        abort(404)
    return cues[index], sha


@bp.get("/cues/<int:index>")
@role_required("producer")
def cue(episode_id: str, index: int):
    episode = load_episode(episode_id)
    item, _ = _cue_or_404(episode, index)
    return render_template("episode/_cue.html", episode=episode, cue=item, index=index)


@bp.get("/cues/<int:index>/edit")
@role_required("producer")
def cue_editor(episode_id: str, index: int):
    episode = load_episode(episode_id)
    item, sha = _cue_or_404(episode, index)
    fragment = render_template("episode/_cue_edit.html", episode=episode, cue=item, index=index,
                               text=item.text, start=item.start, end=item.end, vtt_sha=sha,
                               cue_version=edits.cue_version(item), standalone=not _is_htmx())
    if _is_htmx():
        return fragment
    return render_template("episode/cue_page.html", episode=episode, editor=fragment, index=index)


@bp.post("/cues/<int:index>")
@role_required("producer")
def save_cue(episode_id: str, index: int):
    """One line's correction, checked against that line as its editor showed it (`cue_version`): a save of
    another line meanwhile is merged, a change of this one is a conflict that shows its text now."""
    episode = load_episode(episode_id)
    folder = workspace().episode_dir(episode.id)
    version = request.form.get("cue_version") or None
    try:
        edit = edits.CueEdit(request.form.get("text", ""), _float("start"), _float("end"), based_on=version)
        saved = edits.save_cue_edits(folder, {index: edit}, request.form.get("based_on") or None,
                                     episode.duration)
    except StudioError as exc:
        if not _is_htmx():
            flash(_message(exc), "error")
            return _back(episode, f"cue-{index}")
        item, _ = _cue_or_404(episode, index)
        if isinstance(exc, edits.LineConflict):  # saving again now replaces the text the message shows
            version = edits.cue_version(item)
        return render_template("episode/_cue_edit.html", episode=episode, cue=item, index=index,
                               text=request.form.get("text", ""), start=request.form.get("start", item.start),
                               end=request.form.get("end", item.end), cue_version=version, error=_message(exc))
    if saved.changed:
        _audit("transcript.edit", episode)
        with contextlib.suppress(StudioError):  # a long stage holds the episode: the button marks it later
            review_chapters.mark_transcript_reviewed(workspace(), episode.id, current_user.name, wait=1.0)
        if workspace().index.read(episode.id).record.get("clips"):
            _follow_up("clips", episode)  # clips burn the captions in: they follow the correction
    if not _is_htmx():
        flash(t("episode.transcript.saved"), "success")
        return _back(episode, f"cue-{index}")
    return render_template("episode/_cue.html", episode=episode, cue=saved.cues[index], index=index,
                           vtt_sha=saved.sha256, saved=bool(saved.changed))


# -- template filters (filters.py) -------------------------------------------------------------

bp.add_app_template_filter(filters.clock, "clock")
bp.add_app_template_filter(filters.level, "lu")

# the review forms' blueprint, the speakers panel's and the clip list's routes: all need load_episode above
from . import clips, review, speakers  # noqa: E402,F401
