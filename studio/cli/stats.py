"""Listener statistics: the figures, importing other servers' logs, refreshing the lists the counting follows."""

from __future__ import annotations

from pathlib import Path

import click

from ..stats import counting, lists
from ..stats.report import StatsReport, check_month, report
from ..workspace.layout import STATS_LISTS_DIR
from .base import App, cli, emit_json


@cli.group("stats", invoke_without_command=True)
@click.option("--show", help="Only this show (its slug); default: every show.")
@click.option("--month", metavar="YYYY-MM", help="Only this month, e.g. 2026-11; default: all time.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (every field of the report).")
@click.pass_context
def stats(ctx: click.Context, show: str | None, month: str | None, as_json: bool) -> None:
    """Downloads counted by the IAB podcast measurement rules, clip views and radio deliveries.

    A download is one listener (address + app) per episode per day (WIB) that received at least a minute of
    audio; bots, data-centre addresses, 0-1 probes and HEAD requests count nothing. `studio serve` logs its
    own requests; for a bucket or another web server, `studio stats import` its logs first. Days stay open
    (their figures can grow) until 48 hours after they end (stats_late_hours). See docs/statistics.md.

    \b
    studio stats --month 2026-11
    studio stats --show kpu --json
    studio stats import access.log.1 access.log.2.gz
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    check_month(month)
    figures = report(app.workspace, show, month)
    if as_json:
        emit_json(figures.to_dict())
    else:
        _print(figures)


@stats.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "s3", "cloudfront", "combined", "studio"]), default="auto",
              show_default=True, help="The logs' format; auto tells them apart by their first line.")
@click.pass_obj
def stats_import(app: App, files: tuple[Path, ...], fmt: str) -> None:
    """Count the requests in FILES: S3 server access logs, CloudFront standard logs, nginx/Apache combined logs
    (gzip too). A file read before counts once; one that grew is read from where it was left. Addresses are
    hashed as they are read and never written."""
    tally = counting.count(app.workspace, list(files), fmt)
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(tally.skipped.items()))
    app.reporter.info(f"read {tally.lines} new lines from {tally.files} of {len(files)} files"
                      + (f"; counted nothing for {skipped}" if skipped else ""))


@stats.command("update-lists")
@click.pass_obj
def stats_update_lists(app: App) -> None:
    """Download OPAWG's user-agent lists and the data-centre address ranges again into the workspace
    (.studio/stats/lists/); they are checked before they replace the ones in use. Needs the network."""
    record = lists.update(app.workspace.root / STATS_LISTS_DIR)
    app.reporter.info(f"updated {len(record)} lists")


def _print(figures: StatsReport) -> None:
    scope = f"{figures.show or 'all shows'}, {figures.month or 'all time'}"
    click.echo(f"Downloads ({scope}): {figures.downloads}")
    click.echo(f"Counted for good through: {figures.counted_through or '-'}")
    sections = [
        ("Episodes", [(e.episode, e.downloads) for e in figures.by_episode]),
        ("Months", [(c.name, c.count) for c in figures.by_month]),
        ("Days", [(c.name, c.count) for c in figures.by_day if c.count]),
        ("Apps", [(c.name, c.count) for c in figures.apps]),
        ("Platforms", [(c.name, c.count) for c in figures.platforms]),
        ("Countries", [(c.name, c.count) for c in figures.countries]),
        ("Clip page views", [(f"{v.episode} {v.clip}", v.views) for v in figures.clip_views]),
        ("Radio deliveries (files, bytes)", [(r.station, f"{r.files} {r.bytes}") for r in figures.radio]),
    ]
    for title, rows in sections:
        if rows:
            click.echo(f"\n{title}")
            width = max(len(str(name)) for name, _ in rows)
            for name, value in rows:
                click.echo(f"  {name:<{width}}  {value}")
    for note in figures.notes:
        click.echo(f"\nnote: {note}")
