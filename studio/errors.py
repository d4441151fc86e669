"""Errors that map onto the command-line contract's exit codes."""

from __future__ import annotations

import errno
from pathlib import Path


class StudioError(Exception):
    """A failure reported to the user as one line; `exit_code` follows DESIGN.md."""

    exit_code = 1


class BadInput(StudioError):
    """Bad usage or bad input: exit code 2, nothing written."""

    exit_code = 2


class ProcessingError(StudioError):
    """A stage failed on valid input: exit code 1."""

    exit_code = 1


class ResourceError(ProcessingError):
    """The machine failed, not the input: a hung ffmpeg, a full disk. Exit code 1, never blamed on the file."""


def explain(exc: Exception, folder: Path | None = None) -> tuple[str, int]:
    """The one-line message and exit code of a failure; `folder` is where the work happened, if known."""
    if isinstance(exc, StudioError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            where = Path(exc.filename).parent if exc.filename else folder
            return f"no space left on {where or 'device'}", 1
        reason = exc.strerror or str(exc)
        if exc.filename and exc.filename2:
            return f"{exc.filename} -> {exc.filename2}: {reason}", 1
        if exc.filename:
            return f"{exc.filename}: {reason}", 1
        return f"{reason} (in {folder})" if folder else reason, 1
    message = " ".join(str(exc).split())
    return f"internal error: {type(exc).__name__}{': ' + message if message else ''} " \
           "(run with -v for the traceback)", 1
