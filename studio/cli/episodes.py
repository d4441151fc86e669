"""Episodes: ingest, process, run, status, clip, transcript, approve."""

from __future__ import annotations

import functools
from dataclasses import asdict
from pathlib import Path

import click

from .. import jobs, pipeline
from ..errors import BadInput, StudioError, explain
from ..pipeline.clips import add_clip
from ..pipeline.ingest import IngestRequest
from ..pipeline.ingest import ingest as ingest_episode
from ..publish import publish as publish_all
from ..radio.push import run as push_mod
from ..review.status import episode_status, format_line
from ..workspace import approval, audit, users
from ..workspace.index import read_row
from ..workspace.layout import JOBS_FILE
from ..workspace.release import now_from_env
from .base import App, cli, emit_json, json_option
from .publishing import say_local_address


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, readable=False))  # ingest says why a file is refused
@click.option("--show", "show_slug", required=True, help="Show the episode belongs to.")
@click.option("--title", default="", help="Episode title (default: from the file name).")
@click.option("--description", default="", help="Episode description (feed and tags).")
@click.option("--recorded-on", default="", help="Recording date YYYY-MM-DD (default: today); starts the episode id.")
@click.option("--source", default="", help="Where it was recorded (studio, OB van, ...).")
@click.option("--air-from", default="", help="Start of the radio air window (ISO date or date-time).")
@click.option("--air-until", default="", help="End of the radio air window (ISO date or date-time).")
@click.option("--replace", is_flag=True,
              help="Overwrite an existing episode with the same id. Its edited transcript.vtt and highlights are "
                   "kept in the episode's .studio/replaced/<time>/.")
@click.option("--wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="With --replace: give up (exit 1) when the episode is still being processed after SECONDS "
                   "(default: wait until it is free).")
@json_option("Print the episode as a JSON object.")
@click.pass_obj
def ingest(app: App, file: Path, show_slug: str, replace: bool, wait: float | None, as_json: bool,
           **fields: str) -> None:
    """Check a recording, keep it untouched and create its episode; prints the episode id.

    Accepts WAV, FLAC, MP3, M4A/AAC, OGG/Opus and videos with sound (MP4, MOV,
    MKV), up to max_duration_hours (studio.toml, 6 h by default). The same file
    ingested twice gives the same episode.
    """
    request = IngestRequest(file=file, show=show_slug, replace=replace, wait=wait, **fields)
    result = ingest_episode(app.workspace, app.ffmpeg, request, app.reporter)
    if not result.created:
        app.reporter.info(f"already ingested as {result.episode.id}")
    if result.backup:
        app.reporter.info(f"kept the replaced recording's edits (transcript.vtt, highlights) in {result.backup}")
    if as_json:
        emit_json({**asdict(result.episode), "id": result.episode.id, "created": result.created,
                   "path": str(app.workspace.episode_dir(result.episode.id)),
                   "backup": str(result.backup) if result.backup else None})
    else:
        click.echo(result.episode.id)


def _select(app: App, episode_ids: tuple[str, ...], all_: bool) -> list[str]:
    if episode_ids and all_:
        raise click.UsageError("name episodes or use --all, not both")
    if not episode_ids and not all_:
        raise click.UsageError("name one or more episodes (show/YYYY-MM-DD-slug) or use --all")
    return [e.strip("/") for e in episode_ids] if episode_ids else app.workspace.episode_ids()


def _report_failures(outcomes: list[pipeline.Outcome]) -> int:
    """Print one line per failed episode (and a count); the exit code."""
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        click.echo(f"error: {outcome.error}", err=True)
    if len(outcomes) > 1 and failed:
        click.echo(f"error: {len(failed)} of {len(outcomes)} episodes failed", err=True)
    return pipeline.exit_code(outcomes)


def _process(app: App, episode_ids: list[str], options: pipeline.ProcessOptions) -> list[pipeline.Outcome]:
    """Here, or on the workers when broker_url is set: the same outcomes either way."""
    if app.workspace.settings.broker_url:
        return jobs.process_on_workers(jobs.open_queue(app.workspace), episode_ids, options, app.reporter.info)
    return pipeline.process_episodes(app.workspace, app.ffmpeg, episode_ids, app.reporter, options)


wait_option = click.option(
    "--wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
    help="How long to wait for an episode another process is working on (default: as long as it takes); "
         "then that episode fails.")


def processing_options(command):
    """--model/--device/--compute-type/--no-transcribe/--no-clips/--wait, shared by `process` and `run`:
    they reach the command as one `options` (pipeline.ProcessOptions)."""
    options = [
        click.option("--model", default=None,
                     help="Whisper model: 'base' (bundled), a faster-whisper name or a local CTranslate2 folder "
                          "(default: the show's, then studio.toml's)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where Whisper runs."),
        click.option("--compute-type", default=None,
                     help="CTranslate2 compute type (default int8 on CPU, float16 on GPU)."),
        click.option("--no-transcribe", is_flag=True, help="Skip transcription (and so automatic clips)."),
        click.option("--no-clips", is_flag=True, help="Skip video clips."),
        wait_option,
    ]

    @functools.wraps(command)  # keeps the options declared below this decorator (click keeps them on the function)
    def wrapper(model, device, compute_type, no_transcribe, no_clips, wait, **kwargs):
        options = pipeline.ProcessOptions(model=model, device=device, compute_type=compute_type,
                                          transcribe=not no_transcribe, clips=not no_clips, wait=wait)
        return command(options=options, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@cli.command()
@click.argument("episode_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Process every episode in the workspace.")
@processing_options
@json_option("Print what was done as JSON.")
@click.pass_obj
def process(app: App, episode_ids: tuple[str, ...], all_: bool, options: pipeline.ProcessOptions,
            as_json: bool) -> None:
    """Normalize loudness, make the podcast and broadcast renditions, transcribe and caption.

    Incremental: finished work is skipped; changing a show's loudness target
    redoes only what depends on it, and a change to the text rules redoes the
    captions without transcribing again. A corrected transcript.vtt is kept and
    flows into the SRT, JSON and text files.

    An episode that fails does not stop the others: each failure is one line
    `error: EPISODE: reason` at the end (and an "error" in --json). Exit 1
    when any episode failed (2 when every failure was bad input).
    """
    outcomes = _process(app, _select(app, episode_ids, all_), options)
    if as_json:
        emit_json([o.to_dict() for o in outcomes])
    raise click.exceptions.Exit(_report_failures(outcomes))


@cli.command()
@processing_options
@json_option("Print what was done as JSON.")
@click.pass_obj
def run(app: App, options: pipeline.ProcessOptions, as_json: bool) -> None:
    """The main job: process everything pending, then publish.

    An episode that fails does not stop the others, and what is ready is
    published: a failed episode keeps what was published of it before (a new
    one stays out of the feed). Each failure is one line `error: EPISODE:
    reason` at the end (and an "error" in --json). Exit 1 when any episode
    failed (2 when every failure was bad input): safe to run from cron.
    """
    episode_ids = app.workspace.episode_ids()
    if not episode_ids:
        app.reporter.info("no episodes yet: add one with `studio ingest FILE --show SLUG`")
    outcomes = _process(app, episode_ids, options)
    say_local_address(app.workspace.settings.base_url)
    try:
        if app.workspace.settings.broker_url:
            job = jobs.publish_on_workers(jobs.open_queue(app.workspace), app.reporter.info)
            if job.state == "failed":
                raise StudioError(job.error)
            message, published = "published", job.to_dict()
        else:
            report = publish_all(app.workspace, reporter=app.reporter, now=now_from_env())
            pushed = push_mod.push(app.workspace)  # to the push stations, as `studio publish` does
            message, published = "; ".join([report.message, *pushed.per_station()]), asdict(report)
            for outcome in pushed.failed:
                click.echo(outcome.line(), err=True)
    except Exception:
        _report_failures(outcomes)  # the episodes' failures are said before publish's own
        raise
    app.reporter.info(message)
    if as_json:
        emit_json({"processed": [o.to_dict() for o in outcomes], "published": published})
    raise click.exceptions.Exit(_report_failures(outcomes))


@cli.command()
@click.argument("episode_ids", nargs=-1)
@json_option("Print a JSON list of episodes.")
@click.pass_obj
def status(app: App, episode_ids: tuple[str, ...], as_json: bool) -> None:
    """State and artifact paths of each episode (all by default).

    \b
    States: ingested, queued, processing, outdated (a setting changed since its
    files were made: `studio process` brings them up to date), processed,
    approved, published, failed.
    """
    rows = app.workspace.index.rows()
    if episode_ids:
        by_id = {row.id: row for row in rows}
        rows = [by_id.get(app.workspace.episode(e).id) or read_row(app.workspace, e.strip("/")) for e in episode_ids]
    open_jobs = _open_jobs(app)
    newest = {}
    for job in reversed(open_jobs):  # newest last: it wins
        newest[job.episode] = job.state
    statuses = [episode_status(app.workspace, row, newest.get(row.id, "")) for row in rows]
    for s in statuses:
        s["jobs"] = [j.to_dict() for j in open_jobs if j.episode == s["id"]]
    if as_json:
        emit_json(statuses)
        raise click.exceptions.Exit(2 if any(row.broken for row in rows) else 0)
    if not statuses:
        click.echo("no episodes yet: add one with `studio ingest FILE --show SLUG`")
    for s in statuses:
        click.echo(format_line(s))
    for job in open_jobs:
        click.echo(f"  job {job.line()}")
    broken = [row for row in rows if row.broken]
    for row in broken:  # an episode.toml to mend: bad input, said as `process` says it
        click.echo(f"error: {row.broken}", err=True)
    raise click.exceptions.Exit(2 if broken else 0)


def _open_jobs(app: App) -> list[jobs.Job]:
    """Queued, running and failed jobs (not done ones), newest first, when there is a queue; [] when it cannot
    be read."""
    if not app.workspace.settings.broker_url and not (app.workspace.root / JOBS_FILE).is_file():
        return []
    try:
        found = jobs.open_queue(app.workspace).jobs(limit=200)
    except Exception as exc:  # noqa: BLE001 - status still shows the episodes when the broker is away
        app.reporter.info(f"jobs unknown: {explain(exc)[0]}")
        return []
    return [j for j in found if j.state != "done"]


class ClockTime(click.ParamType):
    """Seconds (75, 75.5) or a clock time (1:15, 0:01:15.5)."""

    name = "TIME"

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            seconds = 0.0
            for part in str(value).strip().split(":"):
                seconds = seconds * 60 + float(part)
            return seconds
        except ValueError:
            self.fail(f"{value!r} is not a time (use seconds or [h:]mm:ss)", param, ctx)


@cli.command()
@click.argument("episode_id")
@click.option("--start", type=ClockTime(), required=True, help="Start: seconds or [h:]mm:ss.")
@click.option("--end", type=ClockTime(), required=True, help="End: seconds or [h:]mm:ss (clips are 15-90 s).")
@click.option("--title", default="", help="Title shown on the clip (default: the episode title).")
@click.option("--format", "formats", type=click.Choice(pipeline.CLIP_FORMATS), multiple=True,
              help="vertical (1080x1920), square (1080x1080) or landscape (1920x1080, videotron); default all.")
@wait_option
@json_option("Print the clip files as JSON.")
@click.pass_obj
def clip(app: App, episode_id: str, start: float, end: float, title: str, formats: tuple[str, ...],
         wait: float | None, as_json: bool) -> None:
    """Make a captioned video clip of EPISODE from --start to --end.

    The highlight is kept in episode.toml (so `process` keeps it up to date
    and the feed lists it as a soundbite) and rendered now.
    """
    paths = add_clip(app.workspace, app.ffmpeg, app.workspace.episode(episode_id).id, start, end, title,
                     list(formats or pipeline.CLIP_FORMATS), app.reporter, wait)
    if as_json:
        emit_json([str(p) for p in paths])
    else:
        for path in paths:
            click.echo(path)


@cli.command()
@click.argument("episode_id")
@click.option("--format", "fmt", type=click.Choice(["txt", "vtt", "srt", "json"]), default="txt", show_default=True,
              help="Which transcript file to print.")
@click.pass_obj
def transcript(app: App, episode_id: str, fmt: str) -> None:
    """Print an episode's transcript (with the producer's corrections)."""
    episode = app.workspace.episode(episode_id)
    path = app.workspace.files(episode.id).transcript(fmt)
    if not path.is_file():
        raise BadInput(f"{episode.id} has no transcript yet: run `studio process {episode.id}`")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@cli.command()
@click.argument("episode_id")
@click.option("--by", "by", envvar="STUDIO_USER", required=True, show_envvar=True,
              help="The approving producer (a web app user, not the one who uploaded the episode).")
@click.pass_obj
def approve(app: App, episode_id: str, by: str) -> None:
    """Approve EPISODE for publishing (shows with require_approval = true: four eyes)."""
    episode = app.workspace.episode(episode_id)
    users.check_access(app.workspace, by, episode.show)  # a user limited to other shows acts on none of this one
    approved = approval.approve(app.workspace, episode, by)
    audit.record(app.workspace, by, "approve", episode.id)
    app.reporter.info(f"{episode.id} approved by {approved.approved_by}")
