"""Work outside the command: the workers, the job list, and the producer web app."""

from __future__ import annotations

import signal
import sys
import time

import click

from .. import jobs as jobs_mod
from ..errors import BadInput
from .base import App, cli, emit_json, json_option


@cli.command()
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Jobs run at the same time (one process each; each loads its own Whisper model).")
@click.option("--queues", default=None, metavar="Q1,Q2",
              help="With a broker: the queues to take tasks from, of default, transcribe, clips, record (default: the "
                   "first three; a worker taking record runs Celery beat and records the shows' [[recordings]]).")
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
        from ..jobs.celery.worker import run_worker

        run_worker(workspace, concurrency, [q.strip() for q in queues.split(",")] if queues else None,
                   "WARNING" if app.reporter.quiet else "INFO", threads)
        return
    if queues:
        raise BadInput("--queues needs broker_url in studio.toml (the local queue has one queue)")
    app.reporter.info(f"{concurrency} local worker(s) on {workspace.root}; Ctrl-C to stop")
    jobs_mod.run_workers(workspace, concurrency, threads)


@cli.command()
@click.option("--once", is_flag=True, help="Scan once and exit (for cron); a file is taken after watch_stable_scans "
                                         "runs have seen it unchanged.")
@click.pass_obj
def watch(app: App, once: bool) -> None:
    """Ingest the recordings saved into the shows' watch folders (watch_folder in feeds/<show>.toml).

    A file is ingested once its size and time have not changed for
    watch_stable_scans scans (watch_interval seconds apart), then moved to
    done/ or refused/ with a one-line reason beside it; its processing is
    queued for the workers. `studio worker` scans too: run this where no
    worker runs, or from cron with --once.
    """
    from ..jobs import watch as watch_mod

    workspace = app.workspace
    if not any(show.watch_folder for show in workspace.shows().values()):
        raise BadInput("no show names a watch_folder (feeds/<show>.toml)")
    while True:
        watch_mod.scan(workspace, say=click.echo)
        if once:
            return
        time.sleep(workspace.settings.watch_interval)
        workspace = type(workspace)(workspace.root)  # an edited show or setting needs no restart


@cli.command()
@click.option("--state", type=click.Choice(jobs_mod.STATES), default=None, help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--retry", "retry_id", default=None, metavar="JOB", help="Queue failed job JOB again.")
@json_option("Print a JSON list of jobs, newest first.")
@click.pass_obj
def jobs(app: App, state: str | None, limit: int, retry_id: str | None, as_json: bool) -> None:
    """Jobs, newest first: queued, running (worker, progress), failed (reason) and done."""
    queue = jobs_mod.open_queue(app.workspace)
    if retry_id:
        job = queue.retry(retry_id)
        click.echo(job.id)
        return
    queue.recover()  # the jobs of workers lost are queued again before they are listed
    found = queue.jobs(state=state, limit=limit)
    if as_json:
        emit_json([j.to_dict() for j in found])
        return
    if not found:
        app.reporter.info("no jobs")
    for job in found:
        click.echo(job.line())


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
    from .. import web as web_mod

    workspace = app.workspace
    if not workspace.settings_path.is_file():
        raise BadInput(f"{workspace.root} is not a Studio workspace (no studio.toml); run `studio init` first")
    flask_app = web_mod.create_app(workspace)
    runners = None
    if workers and not workspace.settings.broker_url:
        runners = jobs_mod.start_local_workers(workspace, count=workers)
    # A plain SIGTERM would end this process at once and leave the workers running: leave through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        web_mod.serve(flask_app, host, port, trusted_proxy=trusted_proxy, limits=workspace.settings.http_limits(),
                      ready=lambda url: click.echo(f"studio web on {url}/ (Ctrl-C to stop)"))
    finally:
        if runners is not None:
            runners.stop()
