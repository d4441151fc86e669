"""Off-air recordings: `studio record` (one stream, now) and `studio recorder` (the shows' schedule)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import sys

import click

from .. import jobs, pipeline
from ..errors import BadInput
from ..localtime import format_iso, format_local
from ..radio import record as rec
from ..workspace.config import check_stream_url, parse_duration
from .base import App, cli, emit_json, json_option
from .episodes import _process, _report_failures, processing_options


def _show(app: App, slug: str | None) -> str:
    if slug:
        return app.workspace.show(slug).slug
    shows = sorted(app.workspace.shows())
    if len(shows) != 1:
        raise BadInput("name the show the recording goes into (--show SLUG)")
    return shows[0]


@cli.command()
@click.option("--from", "url", required=True, metavar="URL", help="The stream: Icecast/Shoutcast http(s)://, HLS .m3u8.")
@click.option("--duration", required=True, help="How long to record: 60m, 1h30m, 90s.")
@click.option("--show", "show_slug", default=None, help="Show the episode goes into (default: the only show).")
@click.option("--title", default="", help='Episode title; may name {date}, {weekday}, {time} (default: "<show> {date}").')
@click.option("--description", default="", help="Episode description.")
@click.option("--connect-timeout", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Give up (exit 1) when the stream has not come up after SECONDS "
                   "[default: record_connect_timeout in studio.toml, 60].")
@click.option("--no-process", is_flag=True, help="Only record and ingest; process later (`studio process`).")
@processing_options
@json_option("Print the episode id, its length and the gaps as JSON.")
@click.pass_obj
def record(app: App, url: str, duration: str, show_slug: str | None, title: str, description: str,
           connect_timeout: float | None, no_process: bool, options: pipeline.ProcessOptions, as_json: bool) -> None:
    """Record a stream from now on into a new episode, then process it; prints the episode id.

    A drop in the stream is bridged: Studio connects again until the end and fills the time it heard nothing
    with silence, so the episode is exactly --duration long and each gap is reported (and kept in
    logs/recordings.jsonl).
    """
    seconds = parse_duration(duration, "--duration")
    check_stream_url(url, "--from")
    slug = _show(app, show_slug)
    start = dt.datetime.now().astimezone()
    show = app.workspace.show(slug)
    take = rec.Take(show=slug, url=url, seconds=seconds, start=start, description=description,
                    title=rec.episode_title(title or "{show} {date}", show.title, start))
    done = rec.record(app.workspace, app.ffmpeg, take, say=app.reporter.info, reporter=app.reporter,
                      connect_timeout=connect_timeout)
    if as_json:
        emit_json({"episode": done.episode, "created": done.created, "duration": done.duration,
                   "gaps": [{"at": g.at, "length": g.length} for g in done.gaps]})
    else:
        click.echo(done.episode)
    if not no_process:
        code = _report_failures(_process(app, [done.episode], options))
        if code:
            raise click.exceptions.Exit(code)


@cli.command()
@processing_options
@click.pass_obj
def recorder(app: App, options: pipeline.ProcessOptions) -> None:
    """Record the shows' [[recordings]] at their times until stopped (Ctrl-C, SIGTERM).

    Each recording becomes an episode, processed here (or by the workers when broker_url is set in
    studio.toml). A start missed while the recorder was not running is reported and logged as missed.
    With a broker, `studio worker --queues record` records them too (through Celery beat): run one or the
    other.
    """
    workspace = app.workspace
    say = app.reporter.info
    here = None
    if workspace.settings.broker_url:
        queue = jobs.open_queue(workspace)
        stages, params = pipeline.stages_for(options), options.to_params()

        def after(episode_id: str) -> None:
            queue.enqueue_stages(episode_id, stages, params)
            say(f"{episode_id}: processing queued for the workers")
    else:
        here = after = rec.ProcessHere(workspace, app.ffmpeg, options, say, app.reporter)
    runner = rec.Recorder(workspace, app.ffmpeg, after=after, say=say, reporter=app.reporter)
    signal.signal(signal.SIGTERM, lambda *_: runner.stopped.set())
    count = sum(len(show.recordings) for show in workspace.shows().values())
    say(f"recorder on {workspace.root}: {count} recording(s) in the shows; Ctrl-C to stop")
    try:
        runner.run()
    except KeyboardInterrupt:
        runner.stopped.set()
        sys.exit(130)
    finally:
        if here is not None:
            here.close()


@cli.command()
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True,
              help="Upcoming airings this many days ahead.")
@json_option('Print {"log": [...], "upcoming": [...]} as JSON.')
@click.pass_obj
def recordings(app: App, days: int, as_json: bool) -> None:
    """Off-air recordings: each airing's last state (recording, done with its gaps, failed, missed), then the
    upcoming ones from the shows' [[recordings]]."""
    found = rec.listing.listing(app.workspace, days=days)
    done, upcoming = found.recent, found.upcoming
    if as_json:
        emit_json({"log": [dataclasses.asdict(e) for e in done],
                   "upcoming": [{"key": o.key, "show": o.show.slug, "start": o.start.isoformat(),
                                 "duration": o.recording.seconds, "title": o.title} for o in upcoming]})
        return
    lang = app.workspace.settings.lang
    for entry in done:  # the start on the recording's own clock (its offset), as people say it
        click.echo(entry.line(format_iso(entry.start, _offset_of(entry.start), lang)))
    for occurrence in upcoming:
        when = format_local(occurrence.start, occurrence.start.tzinfo, app.workspace.settings.lang)
        click.echo(f"{when}  {occurrence.show.slug:<16} upcoming "
                   f"{occurrence.title} ({occurrence.recording.duration})")
    if not done and not upcoming:
        app.reporter.info("no recordings: add [[recordings]] to a show's feeds/<show>.toml")


def _offset_of(value: str) -> dt.tzinfo:
    """The zone of a stored start (its own offset; UTC for one without)."""
    try:
        return dt.datetime.fromisoformat(value).tzinfo or dt.timezone.utc
    except ValueError:
        return dt.timezone.utc
