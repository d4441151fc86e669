"""The workspace: init, shows, users of the web app, and `studio doctor`."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from .. import doctor as doctor_mod
from ..errors import BadInput
from ..workspace import audit as audit_mod
from ..workspace import init_workspace, shows
from ..workspace import users as users_mod
from .base import App, cli, emit_json, os_user
from .publishing import say_local_address


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_obj
def init(app: App, directory: Path | None) -> None:
    """Create a workspace in DIRECTORY (default: --workspace): studio.toml, feeds/, episodes/."""
    workspace = init_workspace(directory or app.workspace.root)
    app.reporter.info(f"workspace ready in {workspace.root}; add a show with `studio show add`")


TIMEZONE_HELP = ("The show's clock: WIB, WITA, WIT or an IANA name (Asia/Makassar); "
                 "empty: this machine's. Air windows without an offset and every time shown use it.")


@cli.group()
def show() -> None:
    """Manage shows (one show = one podcast feed)."""


@show.command("add")
@click.argument("slug")
@click.option("--title", required=True, help="Show title as listeners see it.")
@click.option("--description", default="", help="What the show is about.")
@click.option("--language", default="id", show_default=True, help="Language code (transcription and feed).")
@click.option("--author", default="", help="Author / publisher name.")
@click.option("--email", default="", help="Owner e-mail for podcast directories.")
@click.option("--category", default="Government", show_default=True, help="Apple Podcasts category.")
@click.option("--link", default="", help="Web page of the show.")
@click.option("--artwork", type=click.Path(dir_okay=False, path_type=Path),
              help="Square JPEG or PNG, 1400 to 3000 px.")
@click.option("--timezone", default="", help=TIMEZONE_HELP)
@click.option("--replace", is_flag=True, help="Overwrite an existing show's settings.")
@click.option("--json", "as_json", is_flag=True, help="Print the show as JSON.")
@click.pass_obj
def show_add(app: App, slug: str, artwork: Path | None, replace: bool, as_json: bool, **fields: str) -> None:
    """Add a show SLUG (lower-case letters, digits, '-')."""
    added = shows.add_show(app.workspace, slug, artwork=artwork, replace=replace, **fields)
    if as_json:
        emit_json(asdict(added))
    else:
        click.echo(added.slug)


@show.command("edit")
@click.argument("slug")
@click.option("--title", default=None, help="Show title as listeners see it.")
@click.option("--description", default=None, help="What the show is about.")
@click.option("--language", default=None, help="Language code (transcription and feed).")
@click.option("--author", default=None, help="Author / publisher name.")
@click.option("--email", default=None, help="Owner e-mail for podcast directories.")
@click.option("--artwork", type=click.Path(dir_okay=False, path_type=Path),
              help="Square JPEG or PNG, 1400 to 3000 px.")
@click.option("--glossary-term", "glossary", multiple=True, metavar="TERM",
              help="A glossary term (repeat for several); replaces the glossary.")
@click.option("--approval/--no-approval", "require_approval", default=None,
              help="Publish an episode only after a second producer approved it.")
@click.option("--timezone", default=None, help=TIMEZONE_HELP)
@click.option("--watch-folder", default=None, help="Full path of the folder recordings arrive in; '' none.")
@click.option("--json", "as_json", is_flag=True, help="Print the show as JSON.")
@click.pass_obj
def show_edit(app: App, slug: str, as_json: bool, artwork: Path | None, glossary: tuple[str, ...], **fields) -> None:
    """Change show SLUG's settings (only the options given), checked as the web app's settings page does."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if glossary:
        changes["glossary"] = glossary
    edited = shows.edit_show(app.workspace, slug, artwork=artwork, **changes)
    if as_json:
        emit_json(asdict(edited))
    else:
        click.echo(f"{edited.slug}: saved; time zone {edited.timezone or 'of this machine'}")


@show.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show_list(app: App, as_json: bool) -> None:
    """List the workspace's shows."""
    found = app.workspace.shows()
    if as_json:
        emit_json([asdict(s) for s in found.values()])
    else:
        for s in found.values():
            click.echo(f"{s.slug:<28} {s.title}")


@cli.group()
def user() -> None:
    """Users of the web app (roles: producer, scheduler, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users_mod.ROLES), required=True, help="What the user may do.")
@click.option("--show", "shows", multiple=True, metavar="SLUG",
              help="Limit the user to this show (repeat for several; none: every show).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of making one.")
@click.pass_obj
def user_add(app: App, name: str, role: str, shows: tuple[str, ...], password_stdin: bool) -> None:
    """Add user NAME; prints a new one-time password (only its argon2 hash is stored)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    made = users_mod.add_user(app.workspace, name, role, password, shows=shows)
    audit_mod.record(app.workspace, os_user(), "user.add", f"{name} ({role})")
    if password is None:
        click.echo(made)
        app.reporter.info(f"user {name} ({role}) added: hand this password over now, it cannot be shown again")
    else:
        app.reporter.info(f"user {name} ({role}) added")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def user_list(app: App, as_json: bool) -> None:
    """List the web app's users, their roles and the shows each is limited to."""
    found = users_mod.list_users(app.workspace)
    if as_json:
        emit_json([{"name": u.name, "role": u.role, "created_at": u.created_at, "shows": list(u.shows)}
                   for u in found])
    else:
        for u in found:
            click.echo(f"{u.name:<24} {u.role:<10} {', '.join(u.shows) or '(every show)'}")


@user.command("shows")
@click.argument("name")
@click.argument("shows", nargs=-1, metavar="[SLUG]...")
@click.option("--all", "every", is_flag=True, help="No limit: the user sees every show.")
@click.pass_obj
def user_shows(app: App, name: str, shows: tuple[str, ...], every: bool) -> None:
    """Limit user NAME to the shows SLUG... (or lift the limit with --all); takes effect at their next request."""
    if bool(shows) == every:
        raise BadInput("name the shows, or give --all for every show")
    limited = users_mod.set_shows(app.workspace, name, () if every else shows)
    audit_mod.record(app.workspace, os_user(), "user.shows", f"{name}: {', '.join(limited) or '*'}")
    app.reporter.info(f"user {name}: {', '.join(limited) or 'every show'}")


@user.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of making one.")
@click.pass_obj
def user_reset_password(app: App, name: str, password_stdin: bool) -> None:
    """Give user NAME a new password (prints a one-time one); every session of theirs ends."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    made = users_mod.reset_password(app.workspace, name, password)
    audit_mod.record(app.workspace, os_user(), "user.password", name)
    if password is None:
        click.echo(made)
    app.reporter.info(f"user {name}: new password set, their sessions have ended")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(app: App, name: str) -> None:
    """Remove user NAME (their sessions end at their next request)."""
    users_mod.remove_user(app.workspace, name)
    audit_mod.record(app.workspace, os_user(), "user.remove", name)
    app.reporter.info(f"user {name} removed")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_obj
def doctor(app: App, as_json: bool) -> None:
    """Check ffmpeg, the transcription model, fonts, workspace write access and (with broker_url) Redis."""
    checks = doctor_mod.run_checks(app.workspace)
    say_local_address(app.workspace.settings.base_url)  # a warning, not a failed check: tried out locally first
    if as_json:
        emit_json([asdict(c) for c in checks])
    else:
        for check in checks:
            click.echo(f"{'ok ' if check.ok else 'FAIL'} {check.name:<10} {check.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)
