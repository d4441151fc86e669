"""The settings pages (admin): shows (list, add, edit: text, artwork, language, glossary, approval, loudness, time
zone, watch folder) and the site (its public address, the office's name and logo). The forms are read here; the
rules and the saving are studio.workspace.shows' and studio.workspace.site's, the ones `studio show add` uses.
Every refused value is worded next to its field (strings/settings.py).

Also the banner of every page while the site's public address is still this machine's (base_url)."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ..errors import BadInput
from ..localtime import ZONES
from ..workspace import shows as shows_mod
from ..workspace import site as site_mod
from ..workspace.config import LoudnessTargets, Show, is_local_address
from ..workspace.layout import RECORDS_DIR
from ..workspace.shows import Problem, ShowRefused
from .auth import audit, role_required
from .context import t, workspace

bp = Blueprint("settings", __name__, url_prefix="/settings")
log = logging.getLogger(__name__)
LANGUAGES = ("id", "en")  # offered on the show form (a show set to another code keeps it)
LOUDNESS_FIELDS = ("podcast_lufs", "broadcast_lufs", "true_peak_dbtp")


@bp.app_context_processor
def local_address_banner() -> dict:
    """`local_address`: whether every page shows the banner (signed in, base_url still this machine's)."""
    if not current_user.is_authenticated:
        return {"local_address": False}
    try:
        return {"local_address": is_local_address(workspace().settings.base_url)}
    except BadInput as exc:  # an unreadable studio.toml: the pages still open
        log.warning("settings not read for the banner: %s", exc)
        return {"local_address": False}


def worded(problems: list[Problem]) -> dict[str, str]:
    """The message beside each field, in the page's language (the first problem of a field)."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(problem.field, t(f"settings.error.{problem.code}").format(**problem.values))
    return errors


@contextlib.contextmanager
def uploaded(name: str) -> Iterator[Path | None]:
    """The file sent in form field `name` as a temporary file in the workspace's records (None when none was
    chosen), removed when the block ends."""
    sent = request.files.get(name)
    if not sent or not sent.filename:
        yield None
        return
    folder = workspace().root / RECORDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="settings-upload-") as temp:
        path = Path(temp) / "image"
        sent.save(path)
        yield path


@bp.errorhandler(413)
def too_large(_error):
    """An image over the app's request limit (MAX_CONTENT_LENGTH): said on the form it came from."""
    flash(t("settings.error.too_large"), "error")
    on_show_form = request.endpoint in ("settings.new_show", "settings.edit_show")
    return redirect(request.path if on_show_form else url_for("settings.site"))


# -- shows ---------------------------------------------------------------------------------------


@bp.route("/")
@role_required("admin")
def index():
    return redirect(url_for("settings.shows"))


@bp.route("/shows")
@role_required("admin")
def shows():
    return render_template("settings_shows.html", shows=list(workspace().shows().values()))


def _show_form(show: Show | None, errors: dict[str, str] | None = None, status: int = 200):
    values = request.form if request.method == "POST" else None
    return render_template("settings_show.html", show=show, values=values, errors=errors or {}, zones=ZONES,
                           languages=LANGUAGES, loudness_fields=LOUDNESS_FIELDS,
                           loudness=show.loudness if show else LoudnessTargets()), status


def _read_show_form() -> tuple[dict, list[Problem]]:
    """The Show fields the form sends, and the values that are not even numbers or choices."""
    form = request.form
    problems: list[Problem] = []
    loudness = {}
    for name in LOUDNESS_FIELDS:
        text = form.get(name, "").strip().replace(",", ".")
        try:
            loudness[name] = float(text)
        except ValueError:
            problems.append(Problem(f"loudness.{name}", "number", f"{name}: not a number"))
    timezone = form.get("timezone", "")  # WIB, WITA, WIT, "" or a zone set in the toml (check_show knows it)
    fields = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "author": form.get("author", ""),
        "email": form.get("email", ""),
        "language": form.get("language", "id"),
        "glossary": tuple(form.get("glossary", "").splitlines()),
        "require_approval": form.get("require_approval") == "on",
        "timezone": timezone,
        "watch_folder": form.get("watch_folder", ""),
    }
    # a value that is no number is reported alone; the others are still checked with the show's own
    fields["loudness"] = LoudnessTargets(**loudness) if not problems else None
    return fields, problems


def _refuse_with_the_rest(show: Show, problems: list[Problem], artwork: Path | None) -> None:
    """ShowRefused with the form's own `problems` and every other one of `show` and `artwork`."""
    raise ShowRefused(problems + [p for p in shows_mod.problems_of(show, artwork)
                                  if p.field not in {q.field for q in problems}])


@bp.route("/shows/new", methods=["GET", "POST"])
@role_required("admin")
def new_show():
    if request.method == "GET":
        return _show_form(None)
    fields, problems = _read_show_form()
    slug = request.form.get("slug", "").strip()
    with uploaded("artwork") as artwork:
        try:
            if problems:
                _refuse_with_the_rest(Show(slug=slug, **{**fields, "loudness": LoudnessTargets()}), problems, artwork)
            added = shows_mod.add_show(workspace(), slug, artwork=artwork, **fields)
        except ShowRefused as exc:
            return _show_form(None, worded(exc.problems), 400)
    audit(current_user.name, "show.add", added.slug)
    flash(t("shows.created"))
    return redirect(url_for("settings.edit_show", slug=added.slug))


@bp.route("/shows/<slug>", methods=["GET", "POST"])
@role_required("admin")
def edit_show(slug: str):
    show = workspace().shows().get(slug)
    if show is None:
        abort(404)
    if request.method == "GET":
        return _show_form(show)
    fields, problems = _read_show_form()
    with uploaded("artwork") as artwork:
        try:
            if problems:
                _refuse_with_the_rest(replace(show, **{**fields, "loudness": show.loudness}), problems, artwork)
            saved = shows_mod.edit_show(workspace(), slug, artwork=artwork, **fields)
        except ShowRefused as exc:
            return _show_form(show, worded(exc.problems), 400)
    audit(current_user.name, "show.edit", saved.slug)
    flash(t("shows.saved"))
    return redirect(url_for("settings.edit_show", slug=saved.slug))


@bp.route("/shows/<slug>/artwork")
@role_required("admin")
def artwork(slug: str):
    """The show's artwork as stored, for the form's preview."""
    show = workspace().shows().get(slug)
    path = workspace().artwork(show) if show else None
    if path is None:
        abort(404)
    return send_file(path, max_age=0)


# -- the site and the office ------------------------------------------------------------------------


def _site_page(errors: dict[str, str] | None = None, status: int = 200):
    values = request.form if request.method == "POST" else None
    return render_template("settings_site.html", settings=workspace().settings, values=values,
                           errors=errors or {}), status


@bp.route("/site")
@role_required("admin")
def site():
    return _site_page()


@bp.route("/site/address", methods=["POST"])
@role_required("admin")
def set_address():
    try:
        saved = site_mod.set_public_address(workspace(), request.form.get("base_url", ""))
    except ShowRefused as exc:
        return _site_page(worded(exc.problems), 400)
    audit(current_user.name, "settings.base_url", saved.base_url)
    flash(t("site.base_url_saved"))
    return redirect(url_for("settings.site"))


@bp.route("/site/office", methods=["POST"])
@role_required("admin")
def set_office():
    with uploaded("office_logo") as logo:
        try:
            site_mod.set_office(workspace(), request.form.get("office_name", ""), logo,
                                remove_logo=request.form.get("remove_logo") == "on")
        except ShowRefused as exc:
            return _site_page(worded(exc.problems), 400)
    audit(current_user.name, "settings.office")
    flash(t("site.office_saved"))
    return redirect(url_for("settings.site"))


@bp.route("/site/logo")
@role_required("admin")
def logo():
    name = workspace().settings.office_logo
    path = workspace().root / name if name else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=0)
