"""Radio: the stations (those that pull broadcast files, those Studio pushes to), pull, push and the log."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from .. import radio as radio_mod
from ..localtime import format_iso
from ..radio import deliveries as deliveries_mod
from ..radio import stations as stations_mod
from ..radio.push import run as push_mod
from ..workspace import shows as shows_mod
from ..workspace.config import STATION_KINDS
from .base import App, cli, emit_json


@cli.group()
def station() -> None:
    """Radio stations: those that pull broadcast files (a token each), those Studio pushes to (their settings)."""


@station.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(STATION_KINDS), default="pull", show_default=True,
              help="How the station gets its files: pull (it fetches them with `studio radio pull` and a token), "
                   "or Studio pushes them into its playout system: azuracast, libretime, rivendell (a drop box).")
@click.option("--url", "base_url", default=None, help="azuracast, libretime: the station's web address.")
@click.option("--station-id", default=None, help="azuracast: the station's id or short name.")
@click.option("--timezone", default=None, help="The station's clock for scheduling (e.g. Asia/Makassar).")
@click.option("--drop-folder", "--dropbox", "drop_folder", default=None, help="rivendell: the folder its `rdimport --drop-box` watches.")
@click.option("--cart-first", type=int, default=None, help="rivendell: the first cart number Studio may use.")
@click.option("--cart-last", type=int, default=None, help="rivendell: the last cart number Studio may use.")
@click.option("--group", default=None, help="rivendell: the group of the carts (the rdimport command's).")
@click.option("--scheduler-code", default=None, help="rivendell: the scheduler code (rdimport --add-scheduler-code).")
@click.option("--name-pattern", default=None,
              help="rivendell: the file name in rdimport --metadata-pattern wildcards (default %n_%a_%t.).")
@click.option("--key-stdin", "--api-key-stdin", "key_stdin", is_flag=True, help="azuracast, libretime: read the API key from stdin, not a prompt.")
@click.option("--json", "as_json", is_flag=True, help="Print {name, token} (pull) or the station (push) as JSON.")
@click.pass_obj
def station_add(app: App, name: str, kind: str, base_url: str | None, station_id: str | None, timezone: str | None,
                drop_folder: str | None, cart_first: int | None, cart_last: int | None, group: str | None,
                scheduler_code: str | None, name_pattern: str | None, key_stdin: bool, as_json: bool) -> None:
    """Add station NAME.

    \b
    A station that pulls (the default) gets a token, printed only this once:
      studio station add rri-banjarmasin
    A station Studio pushes to (on `studio publish` and `studio radio push`):
      studio station add abdi --kind azuracast --url https://radio.example.go.id --station-id 1
      studio station add abdi --kind libretime --url https://libretime.example.go.id
      studio station add abdi --kind rivendell --drop-folder /srv/rivendell/dropbox \\
          --cart-first 50000 --cart-last 50999 --group STUDIO --scheduler-code KPU
    The API key of azuracast and libretime is asked for (not shown as typed), or read
    from stdin with --key-stdin; it is kept in .studio/station-keys/NAME, readable by
    you only, and never printed.
    """
    if kind == "pull":
        token = stations_mod.add_station(app.workspace, name)
        if as_json:
            emit_json({"name": name, "token": token})
        else:
            click.echo(token)
            app.reporter.info(f"station {name} added: hand this token over now, it cannot be shown again")
        return
    key = None
    if kind in stations_mod.API_KINDS:
        key = sys.stdin.readline().strip() if key_stdin else click.prompt(
            f"{kind} API key for {name}", hide_input=True, err=True)
    added = stations_mod.add_push_station(
        app.workspace, name, kind, key, base_url=base_url, station_id=station_id, timezone=timezone,
        drop_folder=drop_folder, cart_first=cart_first, cart_last=cart_last, group=group,
        scheduler_code=scheduler_code, name_pattern=name_pattern)
    if as_json:
        emit_json(_station_dict(added))
    else:
        app.reporter.info(f"station {name} added ({kind}): `studio radio push --station {name}` delivers to it now, "
                          "and every `studio publish` after")


def _station_dict(station) -> dict:
    return {k: v for k, v in asdict(station).items() if k != "token_sha256"}


@station.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def station_list(app: App, as_json: bool) -> None:
    """List the stations: each name, and the kind of those Studio pushes to."""
    found = stations_mod.list_stations(app.workspace)
    if as_json:
        emit_json([_station_dict(s) for s in found])
    else:
        for s in found:
            click.echo(f"{s.name}  ({s.kind})" if s.pushes else s.name)


@station.command("remove")
@click.argument("name")
@click.pass_obj
def station_remove(app: App, name: str) -> None:
    """Remove station NAME; its token stops working at once."""
    stations_mod.remove_station(app.workspace, name)
    app.reporter.info(f"station {name} removed")


@cli.group("radio")
def radio_group() -> None:
    """Radio delivery to playout systems: pull (a station fetches), push (Studio delivers), the log."""


@radio_group.command("pull")
@click.option("--from", "source", required=True, metavar="URL|DIR",
              help="A `studio serve` URL or the radio folder (radio_to: manifest.json at its root).")
@click.option("--dest", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The playout system's import folder.")
@click.option("--station", default=None, help="This station's name (sent for the server's log).")
@click.option("--token", envvar=radio_mod.TOKEN_ENV, default=None, show_envvar=True, help="This station's token.")
@click.option("--keep-expired", is_flag=True, help="Keep files whose air window has ended.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def radio_pull(ctx: click.Context, source: str, dest: Path, station: str | None, token: str | None,
               keep_expired: bool, as_json: bool) -> None:
    """Copy new or changed broadcast files into a playout import folder.

    Downloads go to a hidden temporary name, are checked against their sha256
    and renamed into place; interrupted downloads resume. Files whose air
    window has ended are never delivered (and are removed unless
    --keep-expired). Exit 0 when all went well, 1 when anything failed:
    safe to run from cron every minute.
    """
    report = radio_mod.pull(source, dest, station=station, token=token, remove_expired=not keep_expired)
    if as_json:
        emit_json(report.to_dict())
    elif report.failed:
        click.echo(report.summary(), err=True)
    else:
        ctx.obj.reporter.info(report.summary())
    ctx.exit(report.exit_code)


@radio_group.command("push")
@click.argument("episodes", nargs=-1)
@click.option("--station", "stations", multiple=True, help="Only this station (again for more).")
@click.option("--expire", is_flag=True,
              help="Take items whose air window has ended out of the stations' playlists instead of pushing.")
@click.option("--delete-files", is_flag=True, help="With --expire: delete the station's copy of the file too.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def radio_push(ctx: click.Context, episodes: tuple[str, ...], stations: tuple[str, ...], expire: bool,
               delete_files: bool, as_json: bool) -> None:
    """Deliver broadcast files into the playout systems of the push stations.

    Each broadcast file whose air window is current or future (of EPISODES,
    or every one publish sends) goes to each azuracast, libretime and
    rivendell station (`studio station add --kind`). A file the station
    holds unchanged is not sent again; a changed one replaces its copy; an
    upload cut off resumes. One line per delivery; a failure is one line
    `error: STATION: EPISODE: reason` and the others go on (exit 1).
    `studio publish` runs this after writing the radio target.
    """
    app: App = ctx.obj
    if delete_files and not expire:
        raise click.UsageError("--delete-files goes with --expire")

    def say(outcome: push_mod.Outcome) -> None:  # as each is done; failures come at the end, on stderr
        if not as_json and outcome.state != "failed":
            app.reporter.info(outcome.line())
    if expire:
        if episodes:
            raise click.UsageError("--expire takes no EPISODE: it expires every item whose air window has ended")
        report = push_mod.expire(app.workspace, stations, delete_files, say=say)
    else:
        report = push_mod.push(app.workspace, stations, episodes, say=say)
    if as_json:
        emit_json(report.to_dict())
    else:
        show_push_report(app, report)
    ctx.exit(report.exit_code)


def show_push_report(app: App, report: push_mod.PushReport) -> None:
    """Failures on stderr (one line each), then a line per station."""
    if not report.stations:
        app.reporter.info("no station to push to (`studio station add NAME --kind azuracast|libretime|rivendell`)")
    for outcome in report.failed:
        click.echo(outcome.line(), err=True)
    for line in report.per_station():
        click.echo(line)


@radio_group.command("log")
@click.option("--station", default=None, help="Only this station's deliveries.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of deliveries.")
@click.pass_obj
def radio_log(app: App, station: str | None, as_json: bool) -> None:
    """What `studio serve` delivered to stations, oldest first: time, station, file, bytes, client address.

    One line per broadcast file sent over HTTP (a resumed download shows as
    a range); read from logs/radio-deliveries.jsonl in the workspace.
    """
    found = deliveries_mod.read(deliveries_mod.log_path(app.workspace), station)
    if as_json:
        emit_json([asdict(d) for d in found])
        return
    if not found:
        app.reporter.info("no deliveries logged yet" + (f" for station {station}" if station else ""))
    lang = app.workspace.settings.lang
    for delivery in found:  # the time on the show's clock, as people say it
        show = delivery.file.split("/")[0]
        click.echo(delivery.line(format_iso(delivery.time, shows_mod.show_zone(app.workspace, show), lang)))
