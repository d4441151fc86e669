"""Errors that map onto the command-line contract's exit codes."""


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
