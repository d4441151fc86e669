"""The `studio` group: global options, the one-line error contract, and what every command shares."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

from .. import __version__
from ..errors import StudioError, explain
from ..media.ffmpeg import FFmpeg, find_ffmpeg
from ..progress import Reporter
from ..workspace import Workspace


@dataclass
class App:
    workspace: Workspace
    reporter: Reporter
    _ffmpeg: FFmpeg | None = None

    @property
    def ffmpeg(self) -> FFmpeg:
        if self._ffmpeg is None:
            self._ffmpeg = find_ffmpeg(self.workspace.settings.ffmpeg_stall_timeout,
                                       self.workspace.settings.ffmpeg_time_factor)
        return self._ffmpeg


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def json_option(help: str = "Print JSON."):
    return click.option("--json", "as_json", is_flag=True, help=help)


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
        except BrokenPipeError:
            raise  # the reader of our output went away (`studio stats | head`): click ends quietly with exit 1
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


def os_user() -> str:
    """Who runs the command, for the audit log."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
