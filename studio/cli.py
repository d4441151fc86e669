"""The `studio` command line: parses options and calls the library (see DESIGN.md's contract)."""

from __future__ import annotations

import json
import signal
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from . import __version__
from . import doctor as doctor_mod
from . import jobs as jobs_mod
from . import radio as radio_mod
from .errors import BadInput, StudioError, explain
from .jobs.wait import wait_for_jobs
from .media.ffmpeg import FFmpeg, find_ffmpeg
from .pipeline import ingest as ingest_mod
from .pipeline import session as process_mod
from .progress import Reporter
from .publish import run as publish_mod
from .publish import serve as serve_mod
from .radio import deliveries as deliveries_mod
from .radio import stations as stations_mod
from .review import status as status_mod
from .workspace import approval as approval_mod
from .workspace import audit as audit_mod
from .workspace import shows
from .workspace import users as users_mod
from .workspace.state import EpisodeReport
from .workspace.tree import Workspace, init_workspace


@dataclass
class App:
    workspace: Workspace
    reporter: Reporter
    _ffmpeg: FFmpeg | None = None

    @property
    def ffmpeg(self) -> FFmpeg:
        if self._ffmpeg is None:
            self._ffmpeg = find_ffmpeg(self.workspace.settings.ffmpeg_stall_timeout)
        return self._ffmpeg


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


class StudioGroup(click.Group):
    """Turns every failure into one line `error: ...` and an exit code: 2 for bad input, else 1.

    StudioErrors carry their message; a file system fault names its path; anything
    else is an internal error, whose traceback -v prints.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; run the same command again to finish", err=True)
            raise click.exceptions.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the safety net: nothing leaves as a bare traceback
            app = ctx.obj if isinstance(ctx.obj, App) else None
            if app and app.reporter.verbose and not isinstance(exc, StudioError):
                click.echo(traceback.format_exc().rstrip(), err=True)
            message, code = explain(exc, app.workspace.root if app else None)
            click.echo(f"error: {message}", err=True)
            raise click.exceptions.Exit(code) from None


@click.group(cls=StudioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path), envvar="STUDIO_WORKSPACE",
              default=".", show_default="current folder", help="Workspace folder (or STUDIO_WORKSPACE).")
@click.option("-v", "--verbose", is_flag=True, help="Say more about what happens.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or messages; errors only.")
@click.version_option(__version__, prog_name="studio")
@click.pass_context
def cli(ctx: click.Context, workspace_dir: Path, verbose: bool, quiet: bool) -> None:
    """Studio turns a recorded session into a podcast episode, a broadcast file,
    transcripts and a feed.

    \b
    A typical day:
      studio ingest rekaman.mp3 --show kpu-sosialisasi --title "DPT dan pemilih pindahan"
      studio process --all          # loudness, renditions, transcripts (skips finished work)
      studio status                 # what is done, where the files are
      studio run                    # process everything pending, then publish

    Exit codes: 0 success, 1 processing failure, 2 bad usage or bad input.
    An unexpected fault is one line too; -v adds its traceback.
    """
    ctx.obj = App(Workspace(workspace_dir), Reporter(quiet=quiet, verbose=verbose))


# -- workspace and shows ------------------------------------------------------

@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_obj
def init(app: App, directory: Path | None) -> None:
    """Create a workspace in DIRECTORY (default: --workspace): studio.toml, feeds/, episodes/."""
    workspace = init_workspace(directory or app.workspace.root)
    app.reporter.info(f"workspace ready in {workspace.root}; add a show with `studio show add`")


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


# -- episodes -----------------------------------------------------------------

@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
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
@click.option("--json", "as_json", is_flag=True, help="Print the episode as a JSON object.")
@click.pass_obj
def ingest(app: App, file: Path, show_slug: str, replace: bool, wait: float | None, as_json: bool,
           **fields: str) -> None:
    """Check a recording, keep it untouched and create its episode; prints the episode id.

    Accepts WAV, FLAC, MP3, M4A/AAC, OGG/Opus and videos with sound (MP4, MOV,
    MKV), up to max_duration_hours (studio.toml, 6 h by default). The same file
    ingested twice gives the same episode.
    """
    request = ingest_mod.IngestRequest(file=file, show=show_slug, replace=replace, wait=wait, **fields)
    result = ingest_mod.ingest(app.workspace, app.ffmpeg, request, app.reporter)
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


def _select(app: App, episode_ids: tuple[str, ...], all_: bool):
    if episode_ids and all_:
        raise click.UsageError("name episodes or use --all, not both")
    if not episode_ids and not all_:
        raise click.UsageError("name one or more episodes (show/YYYY-MM-DD-slug) or use --all")
    return [e.strip("/") for e in episode_ids] if episode_ids else app.workspace.episode_ids()


@dataclass
class Outcome:
    """What processing one episode came to: its report, or why it failed."""

    report: EpisodeReport
    error: str | None = None  # one line, starting with the episode id
    exit_code: int = 0

    def to_dict(self) -> dict:
        return {**asdict(self.report), "error": self.error}


def _process(app: App, episode_ids: list[str], options: process_mod.ProcessOptions) -> list[Outcome]:
    """Process each episode in turn; a failed one (even an unreadable episode.toml) is recorded and the next
    one goes on."""
    ffmpeg = app.ffmpeg
    models = process_mod.ModelCache()
    outcomes = []
    for episode_id in episode_ids:
        try:
            episode = app.workspace.episode(episode_id)
            report = process_mod.process_episode(app.workspace, ffmpeg, episode, app.reporter, options, models)
        except Exception as exc:  # noqa: BLE001 - one episode's fault, whatever it is, is that episode's alone
            if not isinstance(exc, StudioError):
                app.reporter.debug(traceback.format_exc().rstrip())
            message, code = explain(exc, app.workspace.episode_dir(episode_id))
            if not message.startswith(episode_id):  # each failure line starts with its episode, once
                message = f"{episode_id}: {message}"
            if len(episode_ids) > 1:  # the reasons come together at the end; say now that this one failed
                app.reporter.info(f"{episode_id}: failed")
            outcomes.append(Outcome(EpisodeReport(id=episode_id), message, code))
            continue
        done = ", ".join(report.done) or "nothing to do"
        app.reporter.info(f"{episode_id}: {done}")
        outcomes.append(Outcome(report))
    return outcomes


def _process_on_workers(app: App, episode_ids: list[str], options: process_mod.ProcessOptions) -> list[Outcome]:
    """broker_url set: one task per stage and episode for the workers, waited for; the same outcomes as _process."""
    queue = jobs_mod.open_queue(app.workspace)
    params = {"model": options.model, "device": options.device, "compute_type": options.compute_type,
              "transcribe": options.transcribe, "clips": options.clips}
    if options.wait is not None:
        params["wait"] = options.wait
    chains = {}
    for episode_id in episode_ids:  # an unknown or broken episode fails in its job, with the same line
        chains[episode_id] = queue.enqueue_stages(episode_id, process_mod.stages_for(options), params)
    finished = wait_for_jobs(queue, [j.id for jobs in chains.values() for j in jobs], app.reporter.info)
    by_id = {j.id: j for j in finished}
    outcomes = []
    for episode_id, jobs in chains.items():
        jobs = [by_id[j.id] for j in jobs]
        report = EpisodeReport(id=episode_id, done=[j.stage for j in jobs if j.state == "done"])
        failed = next((j for j in jobs if j.state == "failed"), None)
        if failed:
            if len(episode_ids) > 1:
                app.reporter.info(f"{episode_id}: failed")
            outcomes.append(Outcome(report, failed.error, failed.exit_code or 1))
        else:
            app.reporter.info(f"{episode_id}: {', '.join(report.done)} (on workers)")
            outcomes.append(Outcome(report))
    return outcomes


def _failure_exit(outcomes: list[Outcome]) -> int:
    """Print one line per failed episode; the exit code: 0, 2 when every failure was bad input, else 1."""
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        click.echo(f"error: {outcome.error}", err=True)
    if len(outcomes) > 1 and failed:
        click.echo(f"error: {len(failed)} of {len(outcomes)} episodes failed", err=True)
    if not failed:
        return 0
    return 2 if all(o.exit_code == 2 for o in failed) else 1


wait_option = click.option(
    "--wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
    help="How long to wait for an episode another process is working on (default: as long as it takes); "
         "then that episode fails.")


def transcription_options(command):
    """--model/--device/--compute-type/--no-transcribe/--no-clips/--wait, shared by `process` and `run`."""
    options = [
        click.option("--model", default=None,
                      help="Whisper model: 'base' (bundled), a faster-whisper name or a local CTranslate2 folder "
                           "(default: the show's, then studio.toml's)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where Whisper runs."),
        click.option("--compute-type", default=None, help="CTranslate2 compute type (default int8 on CPU, float16 on GPU)."),
        click.option("--no-transcribe", is_flag=True, help="Skip transcription (and so automatic clips)."),
        click.option("--no-clips", is_flag=True, help="Skip video clips."),
        wait_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _process_options(model, device, compute_type, no_transcribe, no_clips, wait) -> process_mod.ProcessOptions:
    return process_mod.ProcessOptions(model=model, device=device, compute_type=compute_type,
                                      transcribe=not no_transcribe, clips=not no_clips, wait=wait)


@cli.command()
@click.argument("episode_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Process every episode in the workspace.")
@transcription_options
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def process(app: App, episode_ids: tuple[str, ...], all_: bool, model, device, compute_type, no_transcribe,
            no_clips, wait: float | None, as_json: bool) -> None:
    """Normalize loudness, make the podcast and broadcast renditions, transcribe and caption.

    Incremental: finished work is skipped; changing a show's loudness target
    redoes only what depends on it. A corrected transcript.vtt is kept and
    flows into the SRT, JSON and text files without transcribing again.

    An episode that fails does not stop the others: each failure is one line
    `error: EPISODE: reason` at the end (and an "error" in --json). Exit 1
    when any episode failed (2 when every failure was bad input).
    """
    options = _process_options(model, device, compute_type, no_transcribe, no_clips, wait)
    if app.workspace.settings.broker_url:
        outcomes = _process_on_workers(app, _select(app, episode_ids, all_), options)
    else:
        outcomes = _process(app, _select(app, episode_ids, all_), options)
    if as_json:
        emit_json([o.to_dict() for o in outcomes])
    raise click.exceptions.Exit(_failure_exit(outcomes))


@cli.command()
@transcription_options
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def run(app: App, model, device, compute_type, no_transcribe, no_clips, wait: float | None, as_json: bool) -> None:
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
    options = _process_options(model, device, compute_type, no_transcribe, no_clips, wait)
    if app.workspace.settings.broker_url:
        outcomes = _process_on_workers(app, episode_ids, options)
        queue = jobs_mod.open_queue(app.workspace)
        publish_job = wait_for_jobs(queue, [queue.enqueue("publish").id], app.reporter.info)[0]
        if publish_job.state == "failed":
            _failure_exit(outcomes)
            raise StudioError(publish_job.error)
        app.reporter.info("published")
        if as_json:
            emit_json({"processed": [o.to_dict() for o in outcomes], "published": publish_job.to_dict()})
        raise click.exceptions.Exit(_failure_exit(outcomes))
    outcomes = _process(app, episode_ids, options)
    try:
        published = publish_mod.publish(app.workspace, reporter=app.reporter)
    except Exception:
        _failure_exit(outcomes)  # the episodes' failures are said before publish's own
        raise
    app.reporter.info(published.message)
    if as_json:
        emit_json({"processed": [o.to_dict() for o in outcomes], "published": asdict(published)})
    raise click.exceptions.Exit(_failure_exit(outcomes))


@cli.command()
@click.option("--to", "target", default=None, metavar="DIR|s3://BUCKET/PREFIX",
              help="Where to publish (default: publish_to in studio.toml, i.e. public/).")
@click.option("--radio-to", default=None, metavar="DIR|s3://BUCKET/PREFIX",
              help="Where broadcast files and their manifest go, never public (default: radio_to in studio.toml, "
                   "i.e. radio/).")
@click.option("--base-url", default=None, help="Public URL of the published tree (default: base_url in studio.toml).")
@click.option("--endpoint-url", default=None,
              help="S3-compatible endpoint (MinIO, R2, ...) for the s3:// targets; credentials from the AWS chain.")
@click.option("--prune", is_flag=True,
              help="Delete files under the targets that are no longer published (never anything outside them).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def publish(app: App, target: str | None, radio_to: str | None, base_url: str | None, endpoint_url: str | None,
            prune: bool, as_json: bool) -> None:
    """Publish media, transcripts and clips, then the feeds; broadcast files go to the radio target.

    Feeds go last, so a feed never names a missing file. A file is skipped
    when the target holds it unchanged: one deleted there is uploaded again.
    A failed or killed publish leaves the published feeds as they were
    (exit 1) and running publish again finishes it, without uploading again
    what it already did. Broadcast WAVs and radio manifest.json go only to
    the radio target (a folder or an S3 prefix that is never public), which
    `studio serve --radio-dir` hands to stations with a token.
    """
    report = publish_mod.publish(app.workspace, target, base_url, endpoint_url, app.reporter, radio_to=radio_to,
                                 prune=prune)
    if as_json:
        emit_json({**asdict(report), "message": report.message})
    else:
        click.echo(report.message)


@cli.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Published folder to serve (default: publish_to in studio.toml).")
@click.option("--radio-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Radio folder answered under /radio/ to stations with a token (default: radio_to in studio.toml "
                   "when it is a folder).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True, help="0 picks a free port.")
@click.pass_obj
def serve(app: App, folder: Path | None, radio_dir: Path | None, host: str, port: int) -> None:
    """Serve a published folder over HTTP (ranges, ETags) plus the token-protected radio pull API.

    /radio/ answers from the radio folder, never the public one, and only to
    `Authorization: Bearer <token>` of a station (`studio station add`); each
    broadcast file sent is logged (`studio radio log`).
    """
    workspace = app.workspace
    serve_mod.serve(serve_mod.published_folder(workspace, folder), host, port,
                    stations=lambda: workspace.settings.stations,
                    ready=lambda url: click.echo(f"serving {url}/ (Ctrl-C to stop)"),
                    radio_folder=serve_mod.radio_folder(workspace, radio_dir),
                    delivery_log=deliveries_mod.log_path(workspace))


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
@click.option("--format", "formats", type=click.Choice(process_mod.CLIP_FORMATS), multiple=True,
              help="vertical (1080x1920), square (1080x1080) or landscape (1920x1080, videotron); default all.")
@wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the clip files as JSON.")
@click.pass_obj
def clip(app: App, episode_id: str, start: float, end: float, title: str, formats: tuple[str, ...],
         wait: float | None, as_json: bool) -> None:
    """Make a captioned video clip of EPISODE from --start to --end.

    The highlight is kept in episode.toml (so `process` keeps it up to date
    and the feed lists it as a soundbite) and rendered now.
    """
    episode = app.workspace.episode(episode_id)
    paths = process_mod.add_clip(app.workspace, app.ffmpeg, episode, start, end, title,
                                 list(formats or process_mod.CLIP_FORMATS), app.reporter, wait)
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
    path = app.workspace.episode_dir(episode.id) / status_mod.TRANSCRIPT_FILES[fmt]
    if not path.is_file():
        raise BadInput(f"{episode.id} has no transcript yet: run `studio process {episode.id}`")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@cli.command()
@click.argument("episode_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of episodes.")
@click.pass_obj
def status(app: App, episode_ids: tuple[str, ...], as_json: bool) -> None:
    """State and artifact paths of each episode (all by default)."""
    episodes = [app.workspace.episode(e) for e in episode_ids] if episode_ids else app.workspace.episodes()
    statuses = [status_mod.episode_status(app.workspace, e) for e in episodes]
    open_jobs = _open_jobs(app)
    for s in statuses:
        s["jobs"] = [j.to_dict() for j in open_jobs if j.episode == s["id"]]
    if as_json:
        emit_json(statuses)
        return
    if not statuses:
        click.echo("no episodes yet: add one with `studio ingest FILE --show SLUG`")
    for s in statuses:
        click.echo(status_mod.format_line(s))
    for job in open_jobs:
        click.echo(f"  job {job.line()}")


def _open_jobs(app: App) -> list:
    """Queued, running and failed jobs (not done ones), when there is a queue; [] when it cannot be read."""
    from .jobs.local import QUEUE_FILE

    if not app.workspace.settings.broker_url and not (app.workspace.root / QUEUE_FILE).is_file():
        return []
    try:
        found = jobs_mod.open_queue(app.workspace).jobs(limit=200)
    except Exception as exc:  # noqa: BLE001 - status still shows the episodes when the broker is away
        app.reporter.info(f"jobs unknown: {explain(exc)[0]}")
        return []
    return [j for j in found if j.state != "done"]


@cli.command()
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Jobs run at the same time (one process each; each loads its own Whisper model).")
@click.option("--queues", default=None, metavar="Q1,Q2",
              help="With a broker: the queues to take tasks from, of default, transcribe, clips (default: all).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="CPU threads of each job's Whisper model [default: cores / concurrency].")
@click.pass_obj
def worker(app: App, concurrency: int, queues: str | None, threads: int | None) -> None:
    """Run jobs for this workspace until stopped (Ctrl-C).

    With broker_url in studio.toml: a Celery worker (start one on each machine
    that shares the workspace folder). Without: local workers on the
    workspace's own queue, as the web app starts them.

    One worker per machine with --concurrency N shares the cores out by
    itself; several `studio worker` on one machine should each get
    --threads (cores / workers), or their models fight over the CPUs.
    """
    workspace = app.workspace
    if workspace.settings.broker_url:
        from .jobs.celery.worker import run_worker

        run_worker(workspace, concurrency, [q.strip() for q in queues.split(",")] if queues else None,
                   "WARNING" if app.reporter.quiet else "INFO", threads)
        return
    if queues:
        raise BadInput("--queues needs broker_url in studio.toml (the local queue has one queue)")
    app.reporter.info(f"{concurrency} local worker(s) on {workspace.root}; Ctrl-C to stop")
    jobs_mod.local.run_workers(workspace, concurrency, threads)


@cli.command()
@click.option("--state", type=click.Choice(jobs_mod.STATES), default=None, help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--retry", "retry_id", default=None, metavar="JOB", help="Queue failed job JOB again.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of jobs, newest first.")
@click.pass_obj
def jobs(app: App, state: str | None, limit: int, retry_id: str | None, as_json: bool) -> None:
    """Jobs, newest first: queued, running (worker, progress), failed (reason) and done."""
    queue = jobs_mod.open_queue(app.workspace)
    if retry_id:
        job = queue.retry(retry_id)
        click.echo(job.id)
        return
    found = queue.jobs(state=state, limit=limit)
    if as_json:
        emit_json([j.to_dict() for j in found])
        return
    if not found:
        app.reporter.info("no jobs")
    for job in found:
        click.echo(job.line())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_obj
def doctor(app: App, as_json: bool) -> None:
    """Check ffmpeg, the transcription model, fonts and workspace write access."""
    checks = doctor_mod.run_checks(app.workspace)
    if as_json:
        emit_json([asdict(c) for c in checks])
    else:
        for check in checks:
            click.echo(f"{'ok ' if check.ok else 'FAIL'} {check.name:<10} {check.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)


# -- radio --------------------------------------------------------------------

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


# -- web app, users, approval -------------------------------------------------

@cli.group()
def user() -> None:
    """Users of the web app (roles: producer, scheduler, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users_mod.ROLES), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of making one.")
@click.pass_obj
def user_add(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME; prints a new one-time password (only its argon2 hash is stored)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    made = users_mod.add_user(app.workspace, name, role, password)
    audit_mod.record(app.workspace, _os_user(), "user.add", f"{name} ({role})")
    if password is None:
        click.echo(made)
        app.reporter.info(f"user {name} ({role}) added: hand this password over now, it cannot be shown again")
    else:
        app.reporter.info(f"user {name} ({role}) added")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def user_list(app: App, as_json: bool) -> None:
    """List the web app's users and their roles."""
    found = users_mod.list_users(app.workspace)
    if as_json:
        emit_json([asdict(u) for u in found])
    else:
        for u in found:
            click.echo(f"{u.name:<24} {u.role}")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(app: App, name: str) -> None:
    """Remove user NAME (their sessions end at the next request)."""
    users_mod.remove_user(app.workspace, name)
    audit_mod.record(app.workspace, _os_user(), "user.remove", name)
    app.reporter.info(f"user {name} removed")


def _os_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@cli.command()
@click.argument("episode_id")
@click.option("--by", "by", envvar="STUDIO_USER", required=True, show_envvar=True,
              help="The approving producer (a web app user, not the one who uploaded the episode).")
@click.pass_obj
def approve(app: App, episode_id: str, by: str) -> None:
    """Approve EPISODE for publishing (shows with require_approval = true: four eyes)."""
    episode = app.workspace.episode(episode_id)
    approved = approval_mod.approve(app.workspace, episode, by)
    audit_mod.record(app.workspace, by, "approve", episode.id)
    app.reporter.info(f"{episode.id} approved by {approved.approved_by}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8080, show_default=True, help="0 picks a free port.")
@click.option("--workers", type=click.IntRange(min=0), default=1, show_default=True,
              help="Local worker processes taking jobs from the workspace queue (ignored with broker_url).")
@click.option("--trusted-proxy", default=None, metavar="ADDR",
              help="Address of an HTTPS reverse proxy whose X-Forwarded-Proto to trust (cookies become Secure).")
@click.pass_obj
def web(app: App, host: str, port: int, workers: int, trusted_proxy: str | None) -> None:
    """The producer web app: episodes, upload, review, approve, publish, radio, jobs.

    Add users first with `studio user add NAME --role producer`. Work started
    from the web (process, clips, publish) runs in local worker processes
    (or Celery workers when broker_url is set in studio.toml).
    """
    from . import web as web_mod

    workspace = app.workspace
    if not workspace.settings_path.is_file():
        raise BadInput(f"{workspace.root} is not a Studio workspace (no studio.toml); run `studio init` first")
    flask_app = web_mod.create_app(workspace)
    runners = None
    if workers and not workspace.settings.broker_url:
        try:
            from .jobs import start_local_workers
        except ImportError:
            app.reporter.info("no job queue in this Studio (studio.jobs): uploads are kept but not processed")
        else:
            runners = start_local_workers(workspace, count=workers)
    # A plain SIGTERM would end this process at once and leave the workers running: leave through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        web_mod.serve(flask_app, host, port, trusted_proxy=trusted_proxy,
                      ready=lambda url: click.echo(f"studio web on {url}/ (Ctrl-C to stop)"))
    finally:
        if runners is not None:
            runners.stop()


def main() -> None:
    cli(prog_name="studio")
