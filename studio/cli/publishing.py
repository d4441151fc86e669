"""Publishing: publish, serve."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from ..publish import publish as publish_all
from ..publish import serve as serve_mod
from ..radio import deliveries
from ..radio.push import run as push_mod
from ..stats import accesslog
from ..workspace.config import local_address_warning
from ..workspace.release import now_from_env
from .base import App, cli, emit_json, json_option
from .radio import show_push_report


def say_local_address(base_url: str) -> None:
    """One line on stderr while the published addresses would be this machine's (a warning, not an error)."""
    warning = local_address_warning(base_url)
    if warning:
        click.echo(warning, err=True)


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
@click.option("--no-push", is_flag=True,
              help="Do not push broadcast files to the push stations (azuracast, libretime, rivendell) afterwards.")
@json_option("Print the report as JSON.")
@click.pass_context
def publish(ctx: click.Context, target: str | None, radio_to: str | None, base_url: str | None,
            endpoint_url: str | None, prune: bool, no_push: bool, as_json: bool) -> None:
    """Publish media, transcripts and clips, then the feeds; broadcast files go to the radio target.

    Feeds go last, so a feed never names a missing file. A file is skipped
    when the target holds it unchanged: one deleted there is uploaded again.
    A failed or killed publish leaves the published feeds as they were
    (exit 1) and running publish again finishes it, without uploading again
    what it already did. Broadcast WAVs and radio manifest.json go only to
    the radio target (a folder or an S3 prefix that is never public), which
    `studio serve --radio-dir` hands to stations with a token. Then the
    broadcast files go to each push station (`studio radio push`; not with
    --no-push), a line per station; a station that failed makes the exit 1.
    """
    app: App = ctx.obj
    say_local_address(base_url or app.workspace.settings.base_url)
    report = publish_all(app.workspace, target, base_url, endpoint_url, app.reporter, radio_to=radio_to, prune=prune,
                         now=now_from_env())
    pushed = None if no_push else push_mod.push(app.workspace)
    if as_json:
        emit_json({**asdict(report), "message": report.message, **({"push": pushed.to_dict()} if pushed else {})})
    else:
        click.echo(report.message)
        if pushed and pushed.stations:
            show_push_report(app, pushed)
    if pushed:
        ctx.exit(pushed.exit_code)


@cli.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Published folder to serve (default: publish_to in studio.toml).")
@click.option("--radio-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Radio folder answered under /radio/ to stations with a token (default: radio_to in studio.toml "
                   "when it is a folder).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True, help="0 picks a free port.")
@click.option("--trust-proxy", is_flag=True,
              help="Behind a reverse proxy: the client's address is the last one in X-Forwarded-For (the proxy's).")
@click.pass_obj
def serve(app: App, folder: Path | None, radio_dir: Path | None, host: str, port: int, trust_proxy: bool) -> None:
    """Serve a published folder over HTTP (ranges, ETags) plus the token-protected radio pull API.

    /radio/ answers from the radio folder, never the public one, and only to
    `Authorization: Bearer <token>` of a station (`studio station add`); each
    broadcast file sent is logged (`studio radio log`). Each media file and
    page sent is logged in logs/access/ for the statistics, without the
    listener's address (`access_log = false` in studio.toml turns it off).
    """
    workspace = app.workspace
    serve_mod.serve(serve_mod.published_folder(workspace, folder), host, port,
                    stations=lambda: workspace.settings.stations,
                    ready=lambda url: click.echo(f"serving {url}/ (Ctrl-C to stop)"),
                    radio_folder=serve_mod.radio_folder(workspace, radio_dir),
                    delivery_log=deliveries.log_path(workspace), limits=workspace.settings.http_limits(),
                    access_log=accesslog.writer(workspace), trust_proxy=trust_proxy)
