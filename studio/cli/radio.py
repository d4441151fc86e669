"""Radio: the stations that may pull broadcast files, and pulling them into a playout system."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .. import radio as radio_mod
from ..radio import deliveries as deliveries_mod
from ..radio import stations as stations_mod
from .base import App, cli, emit_json


@cli.group()
def station() -> None:
    """Radio stations allowed to pull broadcast files (one bearer token each)."""


@station.command("add")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print {name, token} as JSON.")
@click.pass_obj
def station_add(app: App, name: str, as_json: bool) -> None:
    """Add station NAME and print its new token (shown only this once; only its hash is stored)."""
    token = stations_mod.add_station(app.workspace, name)
    if as_json:
        emit_json({"name": name, "token": token})
    else:
        click.echo(token)
        app.reporter.info(f"station {name} added: hand this token over now, it cannot be shown again")


@station.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def station_list(app: App, as_json: bool) -> None:
    """List the stations that may pull."""
    names = [s.name for s in stations_mod.list_stations(app.workspace)]
    if as_json:
        emit_json([{"name": n} for n in names])
    else:
        for name in names:
            click.echo(name)


@station.command("remove")
@click.argument("name")
@click.pass_obj
def station_remove(app: App, name: str) -> None:
    """Remove station NAME; its token stops working at once."""
    stations_mod.remove_station(app.workspace, name)
    app.reporter.info(f"station {name} removed")


@cli.group("radio")
def radio_group() -> None:
    """Radio delivery to playout systems (Rivendell drop box, AzuraCast folder)."""


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
    for delivery in found:
        click.echo(delivery.line())
