"""The episode basics: `studio episode set` (publish time, season, number, type, artwork), `studio episode
unpublish` and `studio episode restore` (review.basics). Each prints one line; publish then carries the change."""

from __future__ import annotations

from pathlib import Path

import click

from ..localtime import format_local
from ..review import basics
from ..workspace.config import time_zone
from ..workspace.release import EPISODE_TYPES, publish_time
from .base import App, cli


@cli.group()
def episode() -> None:
    """An episode's basics: when it goes out, season and number, artwork; unpublish and restore."""


def _when(value: str, zone_name: str) -> str:
    moment = publish_time(value)
    return format_local(moment, time_zone(zone_name), "en") if moment else "as soon as it is ready"


@episode.command("set")
@click.argument("episode_id")
@click.option("--publish-at", default=None, metavar="TIME",
              help="When it goes out: YYYY-MM-DDTHH:MM in the show's time zone (or with an offset); \"\" for now.")
@click.option("--season", default=None, metavar="N", help="Season number (itunes:season); \"\" for none.")
@click.option("--number", default=None, metavar="N", help="Episode number (itunes:episode); \"\" for none.")
@click.option("--type", "episode_type", type=click.Choice(EPISODE_TYPES), default=None,
              help="Episode type (itunes:episodeType).")
@click.option("--artwork", type=click.Path(path_type=Path), default=None,
              help="The episode's own artwork: square JPEG/PNG, 1400-3000 px (the show's rule).")
@click.option("--no-artwork", is_flag=True, help="Go out with the show's artwork again.")
@click.pass_obj
def set_basics(app: App, episode_id: str, publish_at: str | None, season: str | None, number: str | None,
               episode_type: str | None, artwork: Path | None, no_artwork: bool) -> None:
    """Set EPISODE's publish time, season, number, type or artwork (the next publish carries them)."""
    ws = app.workspace
    saved = basics.update_basics(ws, episode_id, basics.Basics(publish_at=publish_at, season=season, number=number,
                                                               episode_type=episode_type), wait=None)
    if artwork is not None:
        saved = basics.set_artwork(ws, saved.id, artwork, wait=None)
    elif no_artwork:
        saved = basics.remove_artwork(ws, saved.id, wait=None)
    zone = ws.show(saved.show).timezone
    facts = [f"goes out {_when(saved.publish_at, zone)}"]
    facts += [f"season {saved.season}"] if saved.season else []
    facts += [f"episode {saved.number}"] if saved.number else []
    facts += [saved.episode_type or "full", f"artwork {saved.artwork}" if saved.artwork else "the show's artwork"]
    app.reporter.info(f"{saved.id}: {', '.join(facts)}")


@episode.command()
@click.argument("episode_id")
@click.pass_obj
def unpublish(app: App, episode_id: str) -> None:
    """Take EPISODE down: the next publish leaves it out of the feed, the site and its search
    (`studio publish --prune` deletes its files from the target)."""
    saved = basics.unpublish(app.workspace, episode_id, wait=None)
    app.reporter.info(f"{saved.id}: unpublished; `studio publish --prune` takes it out of the feed, the site and "
                      "the target (`studio episode restore` puts it back)")


@episode.command()
@click.argument("episode_id")
@click.pass_obj
def restore(app: App, episode_id: str) -> None:
    """Put an unpublished EPISODE back (the next publish carries it again)."""
    saved = basics.restore(app.workspace, episode_id, wait=None)
    app.reporter.info(f"{saved.id}: restored; the next `studio publish` carries it again")
